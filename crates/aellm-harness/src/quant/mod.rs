//! Weight quantization: FP16, FP8 (E4M3), INT8 and INT4 with RTN, GPTQ, AWQ and SmoothQuant.
//!
//! One entry point, [`quantize_group`], takes the linears that read one shared input (for
//! example q, k, v after an RMSNorm) and the activations that feed them, and returns a
//! [`QuantizedGroup`]: one [`QuantizedLinear`] per weight and, for AWQ and SmoothQuant, the
//! per-input-channel scale `s` the caller divides the shared input by.
//!
//! Integer weights are stored in candle's own block formats (INT8 → `Q8_0`, INT4 → `Q4_0`, 32
//! weights per block sharing one f16 scale) and multiplied with candle's quantized matmul, so
//! the bytes held and the kernels run are the real ones. Every method writes its own integers
//! and scales into those blocks ([`blocks`](self) module), whichever algorithm chose them.
//!
//! | precision | methods | storage |
//! |---|---|---|
//! | FP16 | none | `DType::F16` tensor |
//! | FP8 | none | E4M3 codes (u8) + one f32 scale per output channel |
//! | INT8 | RTN, GPTQ, SmoothQuant (W8A8) | `Q8_0` blocks |
//! | INT4 | RTN, GPTQ, AWQ | `Q4_0` blocks |
//!
//! QLoRA's frozen base during fine-tuning is a separate format, [`nf4`]: 4-bit NormalFloat
//! codes in blocks of 64 with double-quantized scales, and a matmul whose backward reaches the
//! input (candle's quantized matmul has none). It is merged back to dense weights before the
//! inference stage quantizes them as above.

mod apply;
mod awq;
mod blocks;
mod cholesky;
mod error;
mod fp16;
mod fp8;
mod gptq;
mod grid;
mod linear;
mod matrix;
pub mod nf4;
mod reference;
mod rtn;
mod smoothquant;

pub use aellm_space::{QuantMethod, WeightPrecision};
pub use apply::{quantize_model, quantize_model_nf4};
pub use error::QuantError;
pub use linear::QuantizedLinear;
pub use reference::weight_only_reference;

use aellm_space::Configuration;
use candle_core::{Device, Tensor};
use grid::Bits;
use matrix::Matrix;
use serde::{Deserialize, Serialize};

/// Weights per block of candle's `Q8_0` and `Q4_0` formats: the finest group an integer scale can have.
pub const BLOCK_SIZE: usize = 32;

/// What to quantize to and how, with each method's tuning knobs.
///
/// ```
/// use aellm_harness::quant::{QuantSpec, WeightPrecision, QuantMethod};
///
/// let spec = QuantSpec::new(WeightPrecision::Int4, Some(QuantMethod::Gptq));
/// assert_eq!(spec.group_size, 32);
/// assert!(spec.validate().is_ok());
/// // SmoothQuant is W8A8: the space's rule rejects it on INT4 weights.
/// let bad = QuantSpec::new(WeightPrecision::Int4, Some(QuantMethod::SmoothQuant));
/// assert!(bad.validate().unwrap_err().to_string().contains("INT8"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantSpec {
    /// Storage precision of the weights.
    pub precision: WeightPrecision,
    /// Integer quantization method; `None` for FP16 and FP8.
    pub method: Option<QuantMethod>,
    /// Input channels sharing one integer scale: a positive multiple of [`BLOCK_SIZE`].
    pub group_size: usize,
    /// GPTQ's dampening, as a fraction of the mean diagonal of the Hessian.
    pub gptq_damp: f64,
    /// SmoothQuant's migration strength α in `[0, 1]`.
    pub smoothquant_alpha: f64,
    /// Grid points AWQ tries for the exponent α in `[0, 1)`.
    pub awq_grid: usize,
}

impl QuantSpec {
    /// A spec with the papers' defaults: groups of 32, GPTQ damp 0.01, SmoothQuant α 0.5, 20 AWQ grid points.
    pub fn new(precision: WeightPrecision, method: Option<QuantMethod>) -> Self {
        QuantSpec {
            precision,
            method,
            group_size: BLOCK_SIZE,
            gptq_damp: 0.01,
            smoothquant_alpha: 0.5,
            awq_grid: 20,
        }
    }

    /// Checks the precision/method pair (with the space crate's rules, the one source of truth)
    /// and the tuning knobs.
    pub fn validate(&self) -> Result<(), QuantError> {
        let mut c = Configuration::default();
        c.inference.weights = self.precision;
        c.inference.method = self.method;
        // The default configuration breaks no rule, so every violation here is the pair's.
        if let Some(v) = c.validate().into_iter().next() {
            return Err(QuantError::InvalidSpec(v.to_string()));
        }
        if self.group_size == 0 || !self.group_size.is_multiple_of(BLOCK_SIZE) {
            return Err(QuantError::BadParameter {
                name: "group_size",
                value: self.group_size.to_string(),
                fix: "use a positive multiple of 32 (the Q8_0/Q4_0 block size), e.g. 32 or 128",
            });
        }
        if !(self.gptq_damp.is_finite() && self.gptq_damp >= 0.0) {
            return Err(QuantError::BadParameter {
                name: "gptq_damp",
                value: self.gptq_damp.to_string(),
                fix: "use a finite value >= 0, typically 0.01",
            });
        }
        if !(0.0..=1.0).contains(&self.smoothquant_alpha) {
            return Err(QuantError::BadParameter {
                name: "smoothquant_alpha",
                value: self.smoothquant_alpha.to_string(),
                fix: "use a value in [0, 1], typically 0.5",
            });
        }
        if self.awq_grid == 0 {
            return Err(QuantError::BadParameter {
                name: "awq_grid",
                value: "0".into(),
                fix: "use at least 1 grid point, typically 20",
            });
        }
        Ok(())
    }
}

/// The quantized linears of one group and the input scale they expect.
#[derive(Debug, Clone)]
pub struct QuantizedGroup {
    /// One quantized linear per input weight, in the same order.
    pub linears: Vec<QuantizedLinear>,
    /// Per-input-channel scale `s` `[in]` (AWQ, SmoothQuant): the linears hold `W·diag(s)`, so the
    /// shared input must be divided by `s` first (fold `1/s` into the preceding RMSNorm gain, or
    /// call [`QuantizedGroup::scale_input`] at runtime). `None` when the input is used as is.
    pub input_scale: Option<Tensor>,
}

impl QuantizedGroup {
    /// The shared input as the linears expect it: `x / s` when there is an input scale, else `x`.
    pub fn scale_input(&self, x: &Tensor) -> Result<Tensor, QuantError> {
        match &self.input_scale {
            None => Ok(x.clone()),
            Some(s) => {
                let s = s.to_dtype(x.dtype())?.to_device(x.device())?;
                Ok(x.broadcast_div(&s)?)
            }
        }
    }

    /// Bytes of weight storage held by every linear of the group (the input scale excluded).
    pub fn weight_bytes(&self) -> usize {
        self.linears.iter().map(QuantizedLinear::weight_bytes).sum()
    }
}

/// Quantizes the linears that read one shared input.
///
/// `weights` are `[out_i, in]` matrices (converted to f32); `calibration_inputs` are `[n, in]`
/// activations that feed them (GPTQ, AWQ and SmoothQuant need `n >= 1`; RTN, FP16 and FP8 only
/// check its width). Errors, never panics, on mismatched shapes, non-finite values, an in-dim
/// that is not a multiple of the group size, or a precision/method pair the space rejects.
///
/// ```
/// use aellm_harness::quant::{quantize_group, QuantSpec, WeightPrecision, QuantMethod};
/// use candle_core::{Device, Module, Tensor};
///
/// let dev = Device::Cpu;
/// let w_q = Tensor::randn(0f32, 0.02, (64, 64), &dev)?;
/// let w_k = Tensor::randn(0f32, 0.02, (32, 64), &dev)?;
/// let x = Tensor::randn(0f32, 1.0, (128, 64), &dev)?;
/// let spec = QuantSpec::new(WeightPrecision::Int4, Some(QuantMethod::Awq));
/// let group = quantize_group(&[&w_q, &w_k], &x, &spec)?;
/// // AWQ scaled the weights by s: divide the shared input by s before the linears.
/// let xs = group.scale_input(&x)?;
/// let q = group.linears[0].forward(&xs)?;
/// assert_eq!(q.dims(), &[128, 64]);
/// // 4-bit blocks: 18 bytes per 32 weights.
/// assert_eq!(group.linears[1].weight_bytes(), 32 * 64 / 32 * 18);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quantize_group(
    weights: &[&Tensor],
    calibration_inputs: &Tensor,
    spec: &QuantSpec,
) -> Result<QuantizedGroup, QuantError> {
    spec.validate()?;
    let first = weights.first().ok_or(QuantError::NoWeights)?;
    let device = first.device().clone();
    let ws = weights
        .iter()
        .enumerate()
        .map(|(i, w)| Matrix::from_tensor(w, &format!("weights[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let x = Matrix::from_tensor(calibration_inputs, "calibration_inputs")?;
    let in_dim = check_group(&ws, &x, spec)?;
    let method = spec.method;
    tracing::debug!(
        precision = %spec.precision,
        method = ?method,
        linears = ws.len(),
        in_dim,
        calibration_rows = x.rows,
        "quantizing a group"
    );

    let (linears, input_scale) = quantize_weights(&ws, &x, spec, &device)?;
    let input_scale = input_scale
        .map(|s: Vec<f32>| Tensor::from_vec(s, in_dim, &Device::Cpu)?.to_device(&device))
        .transpose()?;
    Ok(QuantizedGroup {
        linears,
        input_scale,
    })
}

/// Checks a group's weights and calibration inputs agree; returns the shared input width.
fn check_group(ws: &[Matrix], x: &Matrix, spec: &QuantSpec) -> Result<usize, QuantError> {
    let in_dim = ws[0].cols;
    for (i, w) in ws.iter().enumerate() {
        if w.cols != in_dim {
            return Err(QuantError::InDimMismatch {
                input: format!("weights[{i}]"),
                found: w.cols,
                expected: in_dim,
            });
        }
        if w.rows == 0 || w.cols == 0 {
            return Err(QuantError::EmptyWeight {
                input: format!("weights[{i}]"),
                rows: w.rows,
                cols: w.cols,
            });
        }
    }
    if x.cols != in_dim {
        return Err(QuantError::InDimMismatch {
            input: "calibration_inputs".into(),
            found: x.cols,
            expected: in_dim,
        });
    }
    if spec.precision.needs_method() && !in_dim.is_multiple_of(spec.group_size) {
        return Err(QuantError::InDimNotMultiple {
            in_dim,
            group_size: spec.group_size,
        });
    }
    if matches!(
        spec.method,
        Some(QuantMethod::Gptq | QuantMethod::Awq | QuantMethod::SmoothQuant)
    ) && x.rows == 0
    {
        return Err(QuantError::NoCalibration {
            method: spec.method.map(|m| m.to_string()).unwrap_or_default(),
        });
    }
    Ok(in_dim)
}

/// The quantized linears of a checked group, and the input scale AWQ and
/// SmoothQuant ask the caller to divide by.
fn quantize_weights(
    ws: &[Matrix],
    x: &Matrix,
    spec: &QuantSpec,
    device: &Device,
) -> Result<(Vec<QuantizedLinear>, Option<Vec<f32>>), QuantError> {
    let method = spec.method;
    let int_linears = |ints: Vec<grid::IntWeights>| -> Result<Vec<QuantizedLinear>, QuantError> {
        ints.iter()
            .map(|iw| QuantizedLinear::from_int(iw, method, device))
            .collect()
    };
    Ok(match (spec.precision, method) {
        (WeightPrecision::Fp16, _) => (
            ws.iter()
                .enumerate()
                .map(|(i, w)| QuantizedLinear::from_f16(w, &format!("weights[{i}]"), device))
                .collect::<Result<_, _>>()?,
            None,
        ),
        (WeightPrecision::Fp8, _) => (
            ws.iter()
                .map(|w| QuantizedLinear::from_fp8(&fp8::quantize(w), device))
                .collect::<Result<_, _>>()?,
            None,
        ),
        (p, Some(m)) => {
            let bits = if p == WeightPrecision::Int8 {
                Bits::Eight
            } else {
                Bits::Four
            };
            match m {
                QuantMethod::Rtn => (
                    int_linears(rtn::quantize_all(ws, None, bits, spec.group_size)?)?,
                    None,
                ),
                QuantMethod::Gptq => {
                    let h = gptq::Hessian::from_inputs(x, spec.gptq_damp)?;
                    let ints = ws
                        .iter()
                        .enumerate()
                        .map(|(i, w)| {
                            h.quantize(w, bits, spec.group_size, &format!("weights[{i}]"))
                        })
                        .collect::<Result<_, _>>()?;
                    (int_linears(ints)?, None)
                }
                QuantMethod::Awq => {
                    let (ints, s) = awq::quantize(ws, x, bits, spec.group_size, spec.awq_grid)?;
                    (int_linears(ints)?, Some(s))
                }
                QuantMethod::SmoothQuant => {
                    let (ints, s) = smoothquant::quantize(
                        ws,
                        x,
                        bits,
                        spec.group_size,
                        spec.smoothquant_alpha,
                    )?;
                    (int_linears(ints)?, Some(s))
                }
            }
        }
        // validate() rejects integer precisions without a method.
        (p, None) => {
            return Err(QuantError::InvalidSpec(format!(
                "{p} needs a quantization method"
            )));
        }
    })
}

#[cfg(test)]
mod tests;
