//! RMSNorm from composed ops (candle's fused `rms_norm` has no backward).

use crate::checkpoint::names;
use candle_core::{D, Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// Root-mean-square layer norm with a learned gain (Zhang & Sennrich 2019).
#[derive(Debug, Clone)]
pub struct RmsNorm {
    /// Gain `[hidden]`.
    pub weight: Tensor,
    eps: f64,
}

impl RmsNorm {
    /// A norm with the given gain and epsilon.
    pub fn new(weight: Tensor, eps: f64) -> Self {
        RmsNorm { weight, eps }
    }

    /// Loads (or, from a `VarMap`, creates at one) the gain `[hidden]` under `vb`.
    pub fn load(vb: VarBuilder, hidden: usize, eps: f64) -> Result<Self> {
        let weight = vb.get_with_hints(hidden, names::WEIGHT, Init::Const(1.0))?;
        Ok(Self::new(weight, eps))
    }

    /// `x / sqrt(mean(x²) + eps) * gain` over the last dimension.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let ms = x.sqr()?.mean_keepdim(D::Minus1)?;
        let inv = (ms + self.eps)?.sqrt()?.recip()?;
        x.broadcast_mul(&inv)?.broadcast_mul(&self.weight)
    }
}
