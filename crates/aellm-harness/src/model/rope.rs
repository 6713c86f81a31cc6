//! Rotary position embedding from composed ops (candle's fused `rope` has no backward).

use candle_core::{D, DType, Device, Result, Tensor};
use serde::{Deserialize, Serialize};

/// Llama-3.1's RoPE frequency scaling (`rope_scaling.rope_type = "llama3"`
/// in a Hugging Face config): frequencies whose wavelength exceeds
/// `original_max_position_embeddings / low_freq_factor` are divided by
/// `factor`, those shorter than `original / high_freq_factor` are kept, and
/// those in between are interpolated smoothly (Meta's reference code).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RopeScaling {
    /// Divisor of the low frequencies.
    pub factor: f64,
    /// Wavelength bound (in units of the original context) above which frequencies are divided.
    pub low_freq_factor: f64,
    /// Wavelength bound below which frequencies are kept.
    pub high_freq_factor: f64,
    /// The context length the frequencies were trained for.
    pub original_max_position_embeddings: usize,
}

impl RopeScaling {
    /// Checks the factors describe a scaling; the message names the field.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.factor.is_nan() || self.factor < 1.0 || self.original_max_position_embeddings == 0 {
            return Err(format!(
                "rope_scaling needs factor >= 1 and original_max_position_embeddings >= 1, got {self:?}"
            ));
        }
        if !(self.high_freq_factor > self.low_freq_factor && self.low_freq_factor > 0.0) {
            return Err(format!(
                "rope_scaling needs high_freq_factor > low_freq_factor > 0, got {self:?}"
            ));
        }
        Ok(())
    }

    /// The scaled frequency (radians per position) of `freq`.
    pub fn apply(&self, freq: f32) -> f32 {
        let original = self.original_max_position_embeddings as f64;
        let low_wavelen = original / self.low_freq_factor;
        let high_wavelen = original / self.high_freq_factor;
        let f = freq as f64;
        let wavelen = 2.0 * std::f64::consts::PI / f;
        let scaled = if wavelen < high_wavelen {
            f
        } else if wavelen > low_wavelen {
            f / self.factor
        } else {
            let smooth = (original / wavelen - self.low_freq_factor)
                / (self.high_freq_factor - self.low_freq_factor);
            (1.0 - smooth) * f / self.factor + smooth * f
        };
        scaled as f32
    }
}

/// RoPE over the last dimension in the rotate-half layout: element `i` pairs
/// with `i + d/2` and turns at frequency `freqs[i]`.
#[derive(Debug, Clone)]
pub struct Rope {
    freqs: Vec<f32>,
}

impl Rope {
    /// The standard schedule for a head of width `dim`: `theta^(-2i/dim)`,
    /// then `scaling` if given.
    pub fn new(dim: usize, theta: f64, scaling: Option<RopeScaling>) -> Self {
        Self::truncated(dim, dim, theta, scaling)
    }

    /// The first `rotary / 2` frequencies of the schedule of a `dim`-wide
    /// head: MLA's decoupled RoPE part turns at the fastest frequencies of
    /// the head it was carved from, so a converted checkpoint keeps them.
    pub fn truncated(rotary: usize, dim: usize, theta: f64, scaling: Option<RopeScaling>) -> Self {
        let freqs = (0..rotary / 2)
            .map(|i| (theta as f32).powf(-2.0 * i as f32 / dim as f32))
            .map(|f| scaling.map_or(f, |s| s.apply(f)))
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
        let r = Rope::new(8, 10_000.0, None);
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

    #[test]
    fn llama3_scaling_keeps_fast_divides_slow_and_blends_between() {
        // Llama-3.1-8B's published settings.
        let s = RopeScaling {
            factor: 8.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_max_position_embeddings: 8192,
        };
        s.check().unwrap();
        let plain = Rope::new(128, 500_000.0, None).freqs;
        let scaled = Rope::new(128, 500_000.0, Some(s)).freqs;
        let wavelen = |f: f32| 2.0 * std::f32::consts::PI / f;
        let mut blended = 0;
        for (p, q) in plain.iter().zip(&scaled) {
            if wavelen(*p) < 8192.0 / 4.0 {
                assert_eq!(p, q);
            } else if wavelen(*p) > 8192.0 {
                assert!((p / 8.0 - q).abs() <= 1e-6 * p);
            } else {
                assert!(*q < *p && *q > p / 8.0, "{p} -> {q}");
                blended += 1;
            }
        }
        assert!(blended > 0, "no frequency fell in the blended band");
        // The blend is monotone: slower frequencies stay slower.
        assert!(scaled.windows(2).all(|w| w[1] < w[0]));
        assert!(RopeScaling { factor: 0.5, ..s }.check().is_err());
    }
}
