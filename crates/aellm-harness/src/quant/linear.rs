//! A linear layer (no bias) with quantized weights, used like `candle_nn::Linear`.

use super::fp8::{self, Fp8Weights};
use super::grid::{Bits, IntWeights};
use super::matrix::Matrix;
use super::{QuantError, QuantMethod, WeightPrecision, blocks, fp16};
use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{DType, Device, Module, Result, Tensor};
use std::sync::Arc;

/// `y = x Wᵀ` with `W` `[out, in]` held in its quantized form.
///
/// Made by [`quantize_group`](super::quantize_group). `forward` takes `[.., in]` and returns
/// `[.., out]` in the input's dtype (f32, f16 or bf16).
///
/// ```
/// use aellm_harness::quant::{quantize_group, QuantSpec, WeightPrecision, QuantMethod};
/// use candle_core::{Device, Module, Tensor};
///
/// let w = Tensor::randn(0f32, 1.0, (8, 64), &Device::Cpu)?;
/// let x = Tensor::randn(0f32, 1.0, (2, 3, 64), &Device::Cpu)?;
/// let spec = QuantSpec::new(WeightPrecision::Int8, Some(QuantMethod::Rtn));
/// let lin = &quantize_group(&[&w], &x.flatten_to(1)?, &spec)?.linears[0];
/// assert_eq!(lin.forward(&x)?.dims(), &[2, 3, 8]);
/// assert_eq!(lin.weight_bytes(), 8 * 2 * 34); // two Q8_0 blocks a row
/// assert_eq!(lin.precision(), WeightPrecision::Int8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct QuantizedLinear {
    kind: Kind,
    method: Option<QuantMethod>,
    out_features: usize,
    in_features: usize,
}

#[derive(Debug, Clone)]
enum Kind {
    /// `Q8_0` / `Q4_0` blocks run by candle's quantized matmul.
    Blocks {
        qtensor: Arc<QTensor>,
        matmul: QMatMul,
        bits: Bits,
    },
    /// `[out, in]` f16.
    F16(Tensor),
    /// E4M3 codes `[out * in]` u8, scales `[out, 1]` f32, the code table `[256]` f32.
    Fp8 {
        codes: Tensor,
        scales: Tensor,
        table: Tensor,
    },
}

impl QuantizedLinear {
    pub(crate) fn from_int(
        iw: &IntWeights,
        method: Option<QuantMethod>,
        device: &Device,
    ) -> std::result::Result<Self, QuantError> {
        let qtensor = Arc::new(blocks::to_qtensor(iw, device)?);
        Ok(QuantizedLinear {
            // Built directly rather than through `QMatMul::from_arc`, which dequantizes to f32
            // when CANDLE_DEQUANTIZE_ALL is set: the bytes held must be the blocks.
            kind: Kind::Blocks {
                matmul: QMatMul::QTensor(qtensor.clone()),
                qtensor,
                bits: iw.bits,
            },
            method,
            out_features: iw.rows,
            in_features: iw.cols,
        })
    }

    pub(crate) fn from_f16(
        w: &Matrix,
        input: &str,
        device: &Device,
    ) -> std::result::Result<Self, QuantError> {
        Ok(QuantizedLinear {
            kind: Kind::F16(fp16::to_f16(w, input, device)?),
            method: None,
            out_features: w.rows,
            in_features: w.cols,
        })
    }

    pub(crate) fn from_fp8(
        f: &Fp8Weights,
        device: &Device,
    ) -> std::result::Result<Self, QuantError> {
        Ok(QuantizedLinear {
            kind: Kind::Fp8 {
                codes: Tensor::from_slice(&f.codes, f.codes.len(), device)?,
                scales: Tensor::from_slice(&f.scales, (f.rows, 1), device)?,
                table: Tensor::from_vec(fp8::decode_table(), 256, device)?,
            },
            method: None,
            out_features: f.rows,
            in_features: f.cols,
        })
    }

    /// Storage precision of the weights.
    pub fn precision(&self) -> WeightPrecision {
        match &self.kind {
            Kind::Blocks {
                bits: Bits::Eight, ..
            } => WeightPrecision::Int8,
            Kind::Blocks {
                bits: Bits::Four, ..
            } => WeightPrecision::Int4,
            Kind::F16(_) => WeightPrecision::Fp16,
            Kind::Fp8 { .. } => WeightPrecision::Fp8,
        }
    }

    /// The method that chose the integers (`None` for FP16 and FP8).
    pub fn method(&self) -> Option<QuantMethod> {
        self.method
    }

    /// Output width.
    pub fn out_features(&self) -> usize {
        self.out_features
    }

    /// Input width.
    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// Bytes of weight storage really held: blocks with their scales, f16 values, or FP8 codes
    /// plus the f32 per-channel scales. The decode table and tensor headers are not counted.
    pub fn weight_bytes(&self) -> usize {
        match &self.kind {
            Kind::Blocks { qtensor, .. } => qtensor.storage_size_in_bytes(),
            Kind::F16(w) => w.elem_count() * DType::F16.size_in_bytes(),
            Kind::Fp8 { codes, scales, .. } => {
                codes.elem_count() + scales.elem_count() * DType::F32.size_in_bytes()
            }
        }
    }

    /// The weights the layer multiplies by, `[out, in]` f32 (decoded from the storage).
    pub fn dequantized_weight(&self) -> Result<Tensor> {
        match &self.kind {
            Kind::Blocks { qtensor, .. } => qtensor.dequantize(&qtensor.device()),
            Kind::F16(w) => w.to_dtype(DType::F32),
            Kind::Fp8 {
                codes,
                scales,
                table,
            } => table
                .index_select(codes, 0)?
                .reshape((self.out_features, self.in_features))?
                .broadcast_mul(scales),
        }
    }
}

impl Module for QuantizedLinear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let one_row = x.rank() == 1;
        let x = if one_row { x.unsqueeze(0)? } else { x.clone() };
        let y = match &self.kind {
            // On CPU, candle quantizes the activations itself and takes integer dot products,
            // so INT8 here is W8A8 (candle-core 0.11.1, quantized/mod.rs `cpu_fwd`):
            // - generic path (`k_quants::matmul`): each activation row becomes Q8_0 blocks
            //   (32 values, one f16 scale) via `VecDotType::from_float`; VecDotType is BlockQ8_0
            //   for both Q8_0 and Q4_0 weights;
            // - x86 AVX-512-VNNI repack path (Q8_0 only, out % 16 == 0 and in % 256 == 0):
            //   `repack_x86::quantize_lhs` makes Q8K blocks (256 values, one f32 scale).
            // Either way activations get 8-bit per-row, per-block scales: finer than per-token.
            Kind::Blocks { matmul, .. } => matmul.forward(&x.contiguous()?)?,
            Kind::F16(w) => x
                .to_dtype(DType::F16)?
                .broadcast_matmul(&w.t()?)?
                .to_dtype(x.dtype())?,
            Kind::Fp8 { .. } => {
                let w = self.dequantized_weight()?.to_dtype(x.dtype())?;
                x.broadcast_matmul(&w.t()?)?
            }
        };
        if one_row { y.squeeze(0) } else { Ok(y) }
    }
}
