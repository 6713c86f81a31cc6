//! MHA, GQA and MQA: one code path with any number of key/value heads.

use super::bytes::tensor_bytes;
use super::calibration::{Recorder, note};
use super::config::ModelConfig;
use super::groups::{LinearGroup, LinearRole};
use super::kv_cache::{CachePrecision, CacheTensor, LayerCache};
use super::linear::{Linear, load_linear};
use super::rope::{Rope, causal_mask};
use crate::checkpoint::names::{self, AttnProj, Group};
use candle_core::{D, Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// Grouped-query attention; `kv_heads == heads` is MHA, `kv_heads == 1` is MQA.
#[derive(Debug, Clone)]
pub struct Attention {
    /// Query projection `[heads * head_dim, hidden]`.
    pub q: Linear,
    /// Key projection `[kv_heads * head_dim, hidden]`.
    pub k: Linear,
    /// Value projection `[kv_heads * head_dim, hidden]`.
    pub v: Linear,
    /// Output projection `[hidden, heads * head_dim]`.
    pub o: Linear,
    /// Query, key and value biases (Qwen2), when the model has them.
    pub bias: Option<QkvBias>,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    rope: Rope,
    prefix: String,
}

/// Biases added after the query, key and value projections.
#[derive(Debug, Clone)]
pub struct QkvBias {
    /// `[heads * head_dim]`.
    pub q: Tensor,
    /// `[kv_heads * head_dim]`.
    pub k: Tensor,
    /// `[kv_heads * head_dim]`.
    pub v: Tensor,
}

impl Attention {
    /// Loads (or, from a `VarMap`, creates) the projections under `vb`.
    pub fn load(vb: VarBuilder, cfg: &ModelConfig) -> Result<Self> {
        let (h, n, g, d) = (cfg.hidden, cfg.heads, cfg.kv_heads(), cfg.head_dim());
        let bias = |p: AttnProj, len: usize| {
            vb.pp(p.as_str())
                .get_with_hints(len, names::BIAS, Init::Const(0.0))
        };
        let qkv_bias = if cfg.qkv_bias {
            Some(QkvBias {
                q: bias(AttnProj::Q, n * d)?,
                k: bias(AttnProj::K, g * d)?,
                v: bias(AttnProj::V, g * d)?,
            })
        } else {
            None
        };
        Ok(Attention {
            q: load_linear(&vb, AttnProj::Q.as_str(), h, n * d)?,
            k: load_linear(&vb, AttnProj::K.as_str(), h, g * d)?,
            v: load_linear(&vb, AttnProj::V.as_str(), h, g * d)?,
            o: load_linear(&vb, AttnProj::O.as_str(), n * d, h)?,
            bias: qkv_bias,
            heads: n,
            kv_heads: g,
            head_dim: d,
            rope: Rope::new(d, cfg.rope_theta, cfg.rope_scaling),
            prefix: vb.prefix(),
        })
    }

    /// The quantizable linears in their calibration groups: q, k, v read the
    /// normed residual (`norm_gain`), o the merged heads.
    pub fn groups<'a>(&'a mut self, norm_gain: &'a mut Tensor) -> Vec<LinearGroup<'a>> {
        let p = &self.prefix;
        let role = LinearRole::Attention;
        let qkv = vec![
            (AttnProj::Q.as_str(), &mut self.q),
            (AttnProj::K.as_str(), &mut self.k),
            (AttnProj::V.as_str(), &mut self.v),
        ];
        let o = vec![(AttnProj::O.as_str(), &mut self.o)];
        vec![
            LinearGroup::new(Group::Qkv.under(p), p, role, qkv).fed_by(norm_gain),
            LinearGroup::new(Group::AttnOut.under(p), p, role, o),
        ]
    }

    /// Every linear, for counting.
    pub fn linears(&self) -> [&Linear; 4] {
        [&self.q, &self.k, &self.v, &self.o]
    }

    /// Bytes of the biases.
    pub fn bias_bytes(&self) -> usize {
        self.bias.as_ref().map_or(0, |b| {
            tensor_bytes(&b.q) + tensor_bytes(&b.k) + tensor_bytes(&b.v)
        })
    }

    /// An empty cache for this layer.
    pub fn new_cache(&self, precision: CachePrecision) -> LayerCache {
        LayerCache::Standard {
            k: CacheTensor::new(precision, 2),
            v: CacheTensor::new(precision, 2),
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
        let (b, t, _) = x.dims3()?;
        let d = self.head_dim;
        note(&mut rec, &Group::Qkv.under(&self.prefix), x)?;
        let heads = |y: Tensor, n: usize| y.reshape((b, t, n, d))?.transpose(1, 2)?.contiguous();
        let proj = |l: &Linear, bias: Option<&Tensor>| match bias {
            Some(bias) => l.forward(x)?.broadcast_add(bias),
            None => l.forward(x),
        };
        let bias = self.bias.as_ref();
        let q = proj(&self.q, bias.map(|b| &b.q))?;
        let q = self.rope.apply(&heads(q, self.heads)?, offset)?;
        let k = proj(&self.k, bias.map(|b| &b.k))?;
        let mut k = self.rope.apply(&heads(k, self.kv_heads)?, offset)?;
        let mut v = heads(proj(&self.v, bias.map(|b| &b.v))?, self.kv_heads)?;
        match cache {
            Some(LayerCache::Standard { k: ck, v: cv }) => {
                k = ck.append(&k)?;
                v = cv.append(&v)?;
            }
            Some(LayerCache::Latent { .. }) => {
                candle_core::bail!("MLA cache given to GQA attention")
            }
            None => {}
        }
        let y = attend(&q, &k, &v, offset)?;
        project_out(&y, &self.o, &mut rec, &self.prefix)
    }
}

/// Merges heads `[b, n, t, d] -> [b, t, n * d]` and applies the output projection.
pub(crate) fn project_out(
    y: &Tensor,
    o: &Linear,
    rec: &mut Option<&mut Recorder>,
    prefix: &str,
) -> Result<Tensor> {
    let (b, n, t, d) = y.dims4()?;
    let y = y.transpose(1, 2)?.reshape((b, t, n * d))?;
    note(rec, &Group::AttnOut.under(prefix), &y)?;
    o.forward(&y)
}

/// Scaled dot-product attention of `q [b, n, tq, dq]` over `k [b, g, tk, dq]`
/// and `v [b, g, tk, dv]`, where each of the `g` key/value heads serves
/// `n / g` contiguous query heads. Queries sit at `offset..offset + tq`.
///
/// Queries of a group are stacked so one matmul per group serves them all:
/// no key/value head is copied, and `g == n` runs exactly MHA's operations.
pub fn attend(q: &Tensor, k: &Tensor, v: &Tensor, offset: usize) -> Result<Tensor> {
    let (b, n, tq, dq) = q.dims4()?;
    let (_, g, tk, _) = k.dims4()?;
    let dv = v.dim(D::Minus1)?;
    let rep = n / g;
    let qg = q.reshape((b, g, rep * tq, dq))?;
    let scores = (qg.matmul(&k.t()?.contiguous()?)? / (dq as f64).sqrt())?;
    let scores = if tq > 1 {
        let mask = causal_mask(tq, offset, q.device())?;
        scores
            .reshape((b, g, rep, tq, tk))?
            .broadcast_add(&mask)?
            .reshape((b, g, rep * tq, tk))?
    } else {
        scores
    };
    let p = candle_nn::ops::softmax(&scores, D::Minus1)?;
    p.matmul(&v.contiguous()?)?.reshape((b, n, tq, dv))
}
