//! MHA, GQA and MQA: one code path with any number of key/value heads.

use super::calibration::{Recorder, note};
use super::kv_cache::{CachePrecision, CacheTensor, LayerCache};
use super::linear::Linear;
use super::rope::{Rope, causal_mask};
use candle_core::{D, Module, Result, Tensor};
use candle_nn::VarBuilder;

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
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    rope: Rope,
    name: String,
}

impl Attention {
    /// Builds (or loads) the projections under `vb`.
    pub fn new(
        vb: VarBuilder,
        hidden: usize,
        heads: usize,
        kv_heads: usize,
        theta: u32,
        name: &str,
    ) -> Result<Self> {
        let d = hidden / heads;
        let lin = |o: usize, i: usize, n: &str| {
            candle_nn::linear_no_bias(i, o, vb.pp(n)).map(Linear::Dense)
        };
        Ok(Attention {
            q: lin(heads * d, hidden, "q")?,
            k: lin(kv_heads * d, hidden, "k")?,
            v: lin(kv_heads * d, hidden, "v")?,
            o: lin(hidden, heads * d, "o")?,
            heads,
            kv_heads,
            head_dim: d,
            rope: Rope::new(d, theta),
            name: name.to_string(),
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
        note(&mut rec, &format!("{}.qkv", self.name), x)?;
        let heads = |y: Tensor, n: usize| y.reshape((b, t, n, d))?.transpose(1, 2)?.contiguous();
        let q = self
            .rope
            .apply(&heads(self.q.forward(x)?, self.heads)?, offset)?;
        let mut k = self
            .rope
            .apply(&heads(self.k.forward(x)?, self.kv_heads)?, offset)?;
        let mut v = heads(self.v.forward(x)?, self.kv_heads)?;
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
        project_out(&y, &self.o, &mut rec, &self.name)
    }
}

/// Merges heads `[b, n, t, d] -> [b, t, n * d]` and applies the output projection.
pub(crate) fn project_out(
    y: &Tensor,
    o: &Linear,
    rec: &mut Option<&mut Recorder>,
    name: &str,
) -> Result<Tensor> {
    let (b, n, t, d) = y.dims4()?;
    let y = y.transpose(1, 2)?.reshape((b, t, n * d))?;
    note(rec, &format!("{name}.o"), &y)?;
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
