//! Rotary position embedding from composed ops (candle's fused `rope` has no backward).

use candle_core::{D, DType, Device, Result, Tensor};

/// RoPE over the last dimension in the rotate-half layout: element `i` pairs
/// with `i + d/2` and turns at frequency `freqs[i]`.
#[derive(Debug, Clone)]
pub struct Rope {
    freqs: Vec<f32>,
}

impl Rope {
    /// The standard schedule for a head of width `dim`: `theta^(-2i/dim)`.
    pub fn new(dim: usize, theta: u32) -> Self {
        Self::truncated(dim, dim, theta)
    }

    /// The first `rotary / 2` frequencies of the schedule of a `dim`-wide
    /// head: MLA's decoupled RoPE part turns at the fastest frequencies of
    /// the head it was carved from, so a converted checkpoint keeps them.
    pub fn truncated(rotary: usize, dim: usize, theta: u32) -> Self {
        let freqs = (0..rotary / 2)
            .map(|i| (theta as f32).powf(-2.0 * i as f32 / dim as f32))
            .collect();
        Rope { freqs }
    }

    /// Rotates `x [.., t, rotary]` for positions `offset..offset + t`.
    pub fn apply(&self, x: &Tensor, offset: usize) -> Result<Tensor> {
        let t = x.dim(D::Minus2)?;
        let half = self.freqs.len();
        let mut cos = Vec::with_capacity(t * half);
        let mut sin = Vec::with_capacity(t * half);
        for p in offset..offset + t {
            for f in &self.freqs {
                let a = p as f32 * f;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        let dev: &Device = x.device();
        let cos = Tensor::from_vec(cos, (t, half), dev)?.to_dtype(x.dtype())?;
        let sin = Tensor::from_vec(sin, (t, half), dev)?.to_dtype(x.dtype())?;
        let x1 = x.narrow(D::Minus1, 0, half)?;
        let x2 = x.narrow(D::Minus1, half, half)?;
        let a = (x1.broadcast_mul(&cos)? - x2.broadcast_mul(&sin)?)?;
        let b = (x2.broadcast_mul(&cos)? + x1.broadcast_mul(&sin)?)?;
        Tensor::cat(&[a, b], D::Minus1)
    }
}

/// The additive causal mask `[t, offset + t]` for queries at `offset..offset + t`.
pub fn causal_mask(t: usize, offset: usize, device: &Device) -> Result<Tensor> {
    let total = offset + t;
    let mask: Vec<f32> = (0..t)
        .flat_map(|i| (0..total).map(move |j| if j > offset + i { -1e9 } else { 0.0 }))
        .collect();
    Tensor::from_vec(mask, (t, total), device)?.to_dtype(DType::F32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_preserves_norm_and_relative_position() {
        let dev = Device::Cpu;
        let r = Rope::new(8, 10_000);
        let q = Tensor::randn(0f32, 1., (1, 8), &dev).unwrap();
        let k = Tensor::randn(0f32, 1., (1, 8), &dev).unwrap();
        let dot = |a: usize, b: usize| {
            let qa = r.apply(&q, a).unwrap();
            let kb = r.apply(&k, b).unwrap();
            (qa * kb)
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        };
        // Only the distance matters.
        assert!((dot(3, 1) - dot(10, 8)).abs() < 1e-4);
        let n0 = q
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let n1 = r.apply(&q, 5).unwrap().sqr().unwrap().sum_all().unwrap();
        assert!((n0 - n1.to_scalar::<f32>().unwrap()).abs() < 1e-4);
    }
}
