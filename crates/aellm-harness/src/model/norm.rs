//! RMSNorm from composed ops (candle's fused `rms_norm` has no backward).

use candle_core::{D, Result, Tensor};

/// Root-mean-square layer norm with a learned gain (Zhang & Sennrich 2019).
#[derive(Debug, Clone)]
pub struct RmsNorm {
    /// Gain `[hidden]`.
    pub weight: Tensor,
    eps: f64,
}

impl RmsNorm {
    /// Epsilon added to the mean square.
    pub const EPS: f64 = 1e-5;

    /// A norm with the given gain.
    pub fn new(weight: Tensor) -> Self {
        RmsNorm {
            weight,
            eps: Self::EPS,
        }
    }

    /// `x / sqrt(mean(x²) + eps) * gain` over the last dimension.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let ms = x.sqr()?.mean_keepdim(D::Minus1)?;
        let inv = (ms + self.eps)?.sqrt()?.recip()?;
        x.broadcast_mul(&inv)?.broadcast_mul(&self.weight)
    }
}
