//! A linear layer without bias: dense (trainable), adapted (a frozen weight
//! plus a low-rank update, for fine-tuning) or quantized (inference).

use super::bytes::tensor_bytes;
use crate::finetune::{Adapted, Frozen};
use crate::quant::QuantizedLinear;
use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

/// A bias-free linear layer `x [.., in] -> [.., out]`.
///
/// Training and conversion use [`Linear::Dense`]; the inference stage swaps
/// layers for their quantized form without the rest of the model noticing.
#[derive(Debug, Clone)]
pub enum Linear {
    /// Full-precision weights `[out, in]` (trainable when they come from a `VarMap`).
    Dense(candle_nn::Linear),
    /// Weights in a quantized format (FP16, FP8, INT8, INT4), with the
    /// activation scale `s` the input is divided by at run time when it
    /// could not be folded into a preceding norm (AWQ, SmoothQuant).
    Quantized {
        /// The layer.
        linear: QuantizedLinear,
        /// Runtime input divisor `[in]`.
        input_scale: Option<Tensor>,
    },
    /// A frozen weight with a LoRA-family adapter (fine-tuning only; merged
    /// back to [`Linear::Dense`] before serving).
    Adapted(Box<Adapted>),
    /// A frozen weight without an adapter, which gets no gradient: the
    /// LoRA family's layers where no adapter goes (NF4 for QLoRA).
    /// Fine-tuning only; written back as a dense weight before serving.
    Frozen(Frozen),
}

impl Linear {
    /// A dense layer from a weight `[out, in]`.
    pub fn dense(weight: Tensor) -> Self {
        Linear::Dense(candle_nn::Linear::new(weight, None))
    }

    /// The full-precision weight, if the layer has one.
    pub fn weight(&self) -> Option<&Tensor> {
        match self {
            Linear::Dense(l) => Some(l.weight()),
            Linear::Quantized { .. } | Linear::Adapted(_) | Linear::Frozen(_) => None,
        }
    }

    /// Bytes the layer's weights occupy.
    pub fn weight_bytes(&self) -> usize {
        match self {
            Linear::Dense(l) => tensor_bytes(l.weight()),
            Linear::Quantized {
                linear,
                input_scale,
            } => linear.weight_bytes() + input_scale.as_ref().map_or(0, tensor_bytes),
            Linear::Adapted(a) => a.weight_bytes(),
            Linear::Frozen(f) => f.bytes(),
        }
    }

    /// Output width.
    pub fn out_dim(&self) -> Result<usize> {
        match self {
            Linear::Dense(l) => l.weight().dim(0),
            Linear::Quantized { linear, .. } => Ok(linear.out_features()),
            Linear::Adapted(a) => a.out_dim(),
            Linear::Frozen(f) => Ok(f.dims()?.0),
        }
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Linear::Dense(l) => l.forward(x),
            Linear::Quantized {
                linear,
                input_scale: None,
            } => linear.forward(x),
            Linear::Quantized {
                linear,
                input_scale: Some(s),
            } => linear.forward(&x.broadcast_div(s)?),
            Linear::Adapted(a) => a.forward(x),
            Linear::Frozen(f) => f.forward(x),
        }
    }
}

/// A bias-free `[out, in]` linear under `vb.pp(seg)`.
pub(crate) fn load_linear(vb: &VarBuilder, seg: &str, inp: usize, out: usize) -> Result<Linear> {
    candle_nn::linear_no_bias(inp, out, vb.pp(seg)).map(Linear::Dense)
}
