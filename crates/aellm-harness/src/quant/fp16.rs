//! FP16 weights: the unquantized baseline, held as a real `DType::F16` tensor (2 bytes a weight).

use super::QuantError;
use super::matrix::Matrix;
use candle_core::{DType, Device, Tensor};

/// The largest finite f16.
const F16_MAX: f32 = 65504.0;

/// `w` as an f16 tensor on `device`; values beyond f16's range are an error, not infinities.
pub(crate) fn to_f16(w: &Matrix, input: &str, device: &Device) -> Result<Tensor, QuantError> {
    if let Some(&v) = w.data.iter().find(|v| v.abs() > F16_MAX) {
        return Err(QuantError::OutOfRange {
            input: input.to_string(),
            value: f64::from(v),
            format: "FP16 (|w| <= 65504)",
        });
    }
    Ok(w.to_tensor()?.to_dtype(DType::F16)?.to_device(device)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_f16_and_rejects_overflow() {
        let w = Matrix {
            rows: 1,
            cols: 2,
            data: vec![0.1, -3.0],
        };
        let t = to_f16(&w, "w", &Device::Cpu).unwrap();
        assert_eq!(t.dtype(), DType::F16);
        let big = Matrix {
            rows: 1,
            cols: 1,
            data: vec![1e6],
        };
        assert!(matches!(
            to_f16(&big, "w", &Device::Cpu),
            Err(QuantError::OutOfRange { .. })
        ));
    }
}
