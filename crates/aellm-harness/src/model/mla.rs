//! Multi-head latent attention (DeepSeek-V2, Liu et al. 2024).
//!
//! Keys and values are up-projected from a narrow latent `c = x W_dkv`, and
//! the cache stores only that latent plus one small decoupled RoPE key shared
//! by every head, so its memory saving is real. Queries have a position-free
//! part (matched against the up-projected keys) and a RoPE part (matched
//! against the shared RoPE key).

use super::attention::{attend, project_out};
use super::calibration::{Recorder, note};
use super::config::{AttentionConfig, ModelConfig};
use super::groups::{LinearGroup, LinearRole};
use super::kv_cache::{CachePrecision, CacheTensor, LayerCache};
use super::linear::{Linear, load_linear};
use super::rope::Rope;
use crate::checkpoint::names::{AttnProj, Group};
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
    prefix: String,
}

impl LatentAttention {
    /// Loads (or, from a `VarMap`, creates) the projections under `vb`;
    /// `cfg.attention` must be [`AttentionConfig::Latent`].
    pub fn load(vb: VarBuilder, cfg: &ModelConfig) -> Result<Self> {
        let AttentionConfig::Latent { latent, rope_dim } = cfg.attention else {
            candle_core::bail!(
                "LatentAttention::load needs an MLA config, got {:?}",
                cfg.attention
            )
        };
        let (h, n, d) = (cfg.hidden, cfg.heads, cfg.head_dim());
        let dn = d - rope_dim;
        let lin = |p: AttnProj, i: usize, o: usize| load_linear(&vb, p.as_str(), i, o);
        Ok(LatentAttention {
            q: lin(AttnProj::Q, h, n * dn)?,
            q_rope: lin(AttnProj::QRope, h, n * rope_dim)?,
            kv_down: lin(AttnProj::KvDown, h, latent)?,
            k_rope: lin(AttnProj::KRope, h, rope_dim)?,
            k_up: lin(AttnProj::KUp, latent, n * dn)?,
            v_up: lin(AttnProj::VUp, latent, n * d)?,
            o: lin(AttnProj::O, n * d, h)?,
            heads: n,
            head_dim: d,
            rope_dim,
            latent,
            rope: Rope::truncated(rope_dim, d, cfg.rope_theta, cfg.rope_scaling),
            prefix: vb.prefix(),
        })
    }

    /// The quantizable linears in their calibration groups: the four
    /// projections of the normed residual (`norm_gain`), the two
    /// up-projections of the latent, and o.
    pub fn groups<'a>(&'a mut self, norm_gain: &'a mut Tensor) -> Vec<LinearGroup<'a>> {
        let p = &self.prefix;
        let role = LinearRole::Attention;
        let inputs = vec![
            (AttnProj::Q.as_str(), &mut self.q),
            (AttnProj::QRope.as_str(), &mut self.q_rope),
            (AttnProj::KvDown.as_str(), &mut self.kv_down),
            (AttnProj::KRope.as_str(), &mut self.k_rope),
        ];
        let up = vec![
            (AttnProj::KUp.as_str(), &mut self.k_up),
            (AttnProj::VUp.as_str(), &mut self.v_up),
        ];
        let o = vec![(AttnProj::O.as_str(), &mut self.o)];
        vec![
            LinearGroup::new(Group::LatentIn.under(p), p, role, inputs).fed_by(norm_gain),
            LinearGroup::new(Group::LatentUp.under(p), p, role, up),
            LinearGroup::new(Group::AttnOut.under(p), p, role, o),
        ]
    }

    /// Every linear, for counting.
    pub fn linears(&self) -> [&Linear; 7] {
        [
            &self.q,
            &self.q_rope,
            &self.kv_down,
            &self.k_rope,
            &self.k_up,
            &self.v_up,
            &self.o,
        ]
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
        note(&mut rec, &Group::LatentIn.under(&self.prefix), x)?;
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
        note(&mut rec, &Group::LatentUp.under(&self.prefix), &c)?;
        let tk = c.dim(1)?;
        let k_nope = heads(self.k_up.forward(&c)?, n, dn)?;
        let v = heads(self.v_up.forward(&c)?, n, d)?;
        let q = Tensor::cat(&[q_nope, q_rot], D::Minus1)?;
        let k = Tensor::cat(
            &[k_nope, kr.broadcast_as((b, n, tk, dr))?.contiguous()?],
            D::Minus1,
        )?;
        let y = attend(&q, &k, &v, offset)?;
        project_out(&y, &self.o, &mut rec, &self.prefix)
    }
}
