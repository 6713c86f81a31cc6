//! Multi-head latent attention (DeepSeek-V2, Liu et al. 2024).
//!
//! Keys and values are up-projected from a narrow latent `c = x W_dkv`, and
//! the cache stores only that latent plus one small decoupled RoPE key shared
//! by every head, so its memory saving is real. Queries have a position-free
//! part (matched against the up-projected keys) and a RoPE part (matched
//! against the shared RoPE key).

use super::attention::{attend, project_out};
use super::calibration::{Recorder, note};
use super::kv_cache::{CachePrecision, CacheTensor, LayerCache};
use super::linear::Linear;
use super::rope::Rope;
use candle_core::{D, Module, Result, Tensor};
use candle_nn::VarBuilder;

/// MLA with a `latent`-wide cache and a `rope_dim`-wide decoupled RoPE key.
#[derive(Debug, Clone)]
pub struct LatentAttention {
    /// Position-free queries `[heads * (head_dim - rope_dim), hidden]`.
    pub q: Linear,
    /// RoPE queries `[heads * rope_dim, hidden]`.
    pub q_rope: Linear,
    /// Down-projection to the latent `[latent, hidden]`.
    pub kv_down: Linear,
    /// The shared RoPE key `[rope_dim, hidden]`.
    pub k_rope: Linear,
    /// Latent to position-free keys `[heads * (head_dim - rope_dim), latent]`.
    pub k_up: Linear,
    /// Latent to values `[heads * head_dim, latent]`.
    pub v_up: Linear,
    /// Output projection `[hidden, heads * head_dim]`.
    pub o: Linear,
    /// Query heads.
    pub heads: usize,
    /// Width of one head (position-free plus RoPE part).
    pub head_dim: usize,
    /// Width of the RoPE part.
    pub rope_dim: usize,
    /// Width of the cached latent.
    pub latent: usize,
    rope: Rope,
    name: String,
}

impl LatentAttention {
    /// Builds (or loads) the projections under `vb`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        vb: VarBuilder,
        hidden: usize,
        heads: usize,
        latent: usize,
        rope_dim: usize,
        theta: u32,
        name: &str,
    ) -> Result<Self> {
        let d = hidden / heads;
        let dn = d - rope_dim;
        let lin = |o: usize, i: usize, n: &str| {
            candle_nn::linear_no_bias(i, o, vb.pp(n)).map(Linear::Dense)
        };
        Ok(LatentAttention {
            q: lin(heads * dn, hidden, "q")?,
            q_rope: lin(heads * rope_dim, hidden, "q_rope")?,
            kv_down: lin(latent, hidden, "kv_down")?,
            k_rope: lin(rope_dim, hidden, "k_rope")?,
            k_up: lin(heads * dn, latent, "k_up")?,
            v_up: lin(heads * d, latent, "v_up")?,
            o: lin(hidden, heads * d, "o")?,
            heads,
            head_dim: d,
            rope_dim,
            latent,
            rope: Rope::truncated(rope_dim, d, theta),
            name: name.to_string(),
        })
    }

    /// An empty cache: the latent and the shared RoPE key only.
    pub fn new_cache(&self, precision: CachePrecision) -> LayerCache {
        LayerCache::Latent {
            latent: CacheTensor::new(precision, 1),
            k_rope: CacheTensor::new(precision, 2),
        }
    }

    /// `x [b, t, hidden]` at positions `offset..offset + t`, appending to `cache` if given.
    pub fn forward(
        &self,
        x: &Tensor,
        offset: usize,
        cache: Option<&mut LayerCache>,
        mut rec: Option<&mut Recorder>,
    ) -> Result<Tensor> {
        let b = x.dim(0)?;
        let (n, d, dr) = (self.heads, self.head_dim, self.rope_dim);
        let dn = d - dr;
        note(&mut rec, &format!("{}.in", self.name), x)?;
        let heads =
            |y: Tensor, h: usize, w: usize| y.reshape((b, (), h, w))?.transpose(1, 2)?.contiguous();
        let q_nope = heads(self.q.forward(x)?, n, dn)?;
        let q_rot = self
            .rope
            .apply(&heads(self.q_rope.forward(x)?, n, dr)?, offset)?;
        let mut c = self.kv_down.forward(x)?;
        let mut kr = self
            .rope
            .apply(&heads(self.k_rope.forward(x)?, 1, dr)?, offset)?;
        match cache {
            Some(LayerCache::Latent { latent, k_rope }) => {
                c = latent.append(&c)?;
                kr = k_rope.append(&kr)?;
            }
            Some(LayerCache::Standard { .. }) => candle_core::bail!("GQA cache given to MLA"),
            None => {}
        }
        note(&mut rec, &format!("{}.up", self.name), &c)?;
        let tk = c.dim(1)?;
        let k_nope = heads(self.k_up.forward(&c)?, n, dn)?;
        let v = heads(self.v_up.forward(&c)?, n, d)?;
        let q = Tensor::cat(&[q_nope, q_rot], D::Minus1)?;
        let k = Tensor::cat(
            &[k_nope, kr.broadcast_as((b, n, tk, dr))?.contiguous()?],
            D::Minus1,
        )?;
        let y = attend(&q, &k, &v, offset)?;
        project_out(&y, &self.o, &mut rec, &self.name)
    }
}
