//! Architecture conversions of a pretrained MHA, dense checkpoint, the way
//! practitioners convert real ones: GQA/MQA by mean-pooling key/value heads
//! (Ainslie et al. 2023), MLA by a low-rank factorisation of the key/value
//! projections (partial RoPE plus joint factorisation, as in MHA2MLA, Ji et
//! al. 2025), MoE by splitting the dense FFN into experts (MoEfication,
//! Zhang et al. 2022) or copying it into every expert (sparse upcycling,
//! Komatsuzaki et al. 2023) with a new router.

mod kv_layout;
mod lowrank;
mod repeat;

pub use kv_layout::{kv_layout, pooled_heads};
pub use lowrank::{factorise, symmetric_eigen};
pub use repeat::{repeat_heads, to_mha};

use crate::checkpoint::Weights;
use crate::checkpoint::names::{AttnProj, FfnProj, TensorName};
use crate::error::{HarnessError, Result};
use crate::model::{AttentionConfig, FfnConfig, ModelConfig};
use candle_core::{Device, Tensor};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// How a dense FFN becomes a mixture of experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MoeConversion {
    /// Split the FFN's neurons into `experts` disjoint experts (each
    /// `ffn / experts` wide): a token's compute shrinks with its routed share.
    #[default]
    Moefication,
    /// Copy the whole FFN into every expert: compute per token stays that
    /// of `top_k` dense FFNs, memory grows `experts`-fold.
    Upcycling,
}

fn get<'a>(w: &'a Weights, name: &str) -> Result<&'a Tensor> {
    w.get(name)
        .ok_or_else(|| HarnessError::Invalid(format!("checkpoint has no weight `{name}`")))
}

/// Mean-pools the `heads` key/value heads of `w [heads * d, hidden]` (or
/// of a bias `[heads * d]`) into `groups` heads of contiguous query heads.
pub fn pool_heads(w: &Tensor, heads: usize, groups: usize) -> Result<Tensor> {
    if groups == 0 || !heads.is_multiple_of(groups) {
        return Err(HarnessError::Unsupported(format!(
            "cannot pool {heads} key/value heads into {groups} groups: groups must divide the heads"
        )));
    }
    if w.rank() == 1 {
        return Ok(pool_heads(&w.unsqueeze(1)?, heads, groups)?.squeeze(1)?);
    }
    let (rows, hidden) = w.dims2()?;
    let d = rows / heads;
    Ok(w.reshape((groups, heads / groups, d, hidden))?
        .mean(1)?
        .reshape((groups * d, hidden))?)
}

/// GQA (or MQA with `kv_heads == 1`) from a standard-attention checkpoint.
pub fn to_gqa(cfg: &ModelConfig, w: &Weights, kv_heads: usize) -> Result<(ModelConfig, Weights)> {
    let AttentionConfig::Standard { kv_heads: have } = cfg.attention else {
        return Err(HarnessError::Unsupported(
            "GQA conversion needs a standard-attention checkpoint".into(),
        ));
    };
    let mut out = w.clone();
    for i in 0..cfg.layers {
        for proj in [AttnProj::K, AttnProj::V] {
            for bias in [false, true] {
                let name = TensorName::Attn {
                    layer: i,
                    proj,
                    bias,
                }
                .to_string();
                if bias && !cfg.qkv_bias {
                    continue;
                }
                out.insert(name.clone(), pool_heads(get(w, &name)?, have, kv_heads)?);
            }
        }
    }
    let c = ModelConfig {
        attention: AttentionConfig::Standard { kv_heads },
        ..*cfg
    };
    c.check()?;
    Ok((c, out))
}

/// Rows of one head that keep RoPE in MLA (the `rope_dim / 2` fastest
/// rotating pairs, in rotate-half order) and the rows that lose it.
fn rope_split(d: usize, rope_dim: usize) -> (Vec<u32>, Vec<u32>) {
    let h = rope_dim / 2;
    let rot: Vec<u32> = (0..h).chain(d / 2..d / 2 + h).map(|i| i as u32).collect();
    let rest = (0..d as u32).filter(|i| !rot.contains(i)).collect();
    (rot, rest)
}

fn rows_of_heads(w: &Tensor, heads: usize, d: usize, rows: &[u32], dev: &Device) -> Result<Tensor> {
    let idx: Vec<u32> = (0..heads as u32)
        .flat_map(|h| rows.iter().map(move |r| h * d as u32 + r))
        .collect();
    let n = idx.len();
    Ok(w.index_select(&Tensor::from_vec(idx, n, dev)?, 0)?)
}

/// MLA from an MHA checkpoint: queries and keys keep RoPE on their
/// `rope_dim` fastest dimensions (the key's pooled over heads into the one
/// shared RoPE key); the remaining key dimensions and the values are jointly
/// factorised to rank `latent`, whose down-projection becomes the cached latent.
pub fn to_mla(
    cfg: &ModelConfig,
    w: &Weights,
    latent: usize,
    rope_dim: usize,
) -> Result<(ModelConfig, Weights)> {
    if cfg.attention
        != (AttentionConfig::Standard {
            kv_heads: cfg.heads,
        })
        || cfg.qkv_bias
    {
        return Err(HarnessError::Unsupported(
            "MLA conversion needs an MHA checkpoint without q/k/v biases".into(),
        ));
    }
    let c = ModelConfig {
        attention: AttentionConfig::Latent { latent, rope_dim },
        ..*cfg
    };
    c.check()?;
    let (n, d) = (cfg.heads, cfg.head_dim());
    let (rot, rest) = rope_split(d, rope_dim);
    let mut out = w.clone();
    for i in 0..cfg.layers {
        let p = |proj: AttnProj| {
            TensorName::Attn {
                layer: i,
                proj,
                bias: false,
            }
            .to_string()
        };
        let (q, k, v) = (
            get(w, &p(AttnProj::Q))?,
            get(w, &p(AttnProj::K))?,
            get(w, &p(AttnProj::V))?,
        );
        let dev = q.device();
        let k_nope = rows_of_heads(k, n, d, &rest, dev)?;
        let stacked = Tensor::cat(&[&k_nope, v], 0)?;
        let (up, down) = factorise(&stacked, latent)?;
        let kn_rows = k_nope.dim(0)?;
        out.remove(&p(AttnProj::K));
        out.remove(&p(AttnProj::V));
        out.insert(p(AttnProj::Q), rows_of_heads(q, n, d, &rest, dev)?);
        out.insert(p(AttnProj::QRope), rows_of_heads(q, n, d, &rot, dev)?);
        let k_rot = rows_of_heads(k, n, d, &rot, dev)?;
        out.insert(
            p(AttnProj::KRope),
            k_rot.reshape((n, rope_dim, ()))?.mean(0)?,
        );
        out.insert(p(AttnProj::KvDown), down);
        out.insert(p(AttnProj::KUp), up.narrow(0, 0, kn_rows)?);
        out.insert(
            p(AttnProj::VUp),
            up.narrow(0, kn_rows, up.dim(0)? - kn_rows)?,
        );
    }
    Ok((c, out))
}

/// A mixture of experts from a dense-FFN checkpoint, with a new router.
pub fn to_moe(
    cfg: &ModelConfig,
    w: &Weights,
    experts: usize,
    top_k: usize,
    how: MoeConversion,
    seed: u64,
) -> Result<(ModelConfig, Weights)> {
    if cfg.ffn_kind != FfnConfig::Dense {
        return Err(HarnessError::Unsupported(
            "MoE conversion needs a dense-FFN checkpoint".into(),
        ));
    }
    let expert_ffn = match how {
        MoeConversion::Moefication => {
            if experts == 0 || !cfg.ffn.is_multiple_of(experts) {
                return Err(HarnessError::Unsupported(format!(
                    "MoEfication splits the FFN's {} neurons evenly: {experts} experts must divide them",
                    cfg.ffn
                )));
            }
            cfg.ffn / experts
        }
        MoeConversion::Upcycling => cfg.ffn,
    };
    let c = ModelConfig {
        ffn_kind: FfnConfig::Moe {
            experts,
            top_k,
            expert_ffn,
        },
        ..*cfg
    };
    c.check()?;
    // Switch's top-1 weighs an expert by its probability (about 1/E at a
    // fresh router); top-k >= 2 renormalises. The down-projections are
    // scaled so the converted layer starts near the dense one.
    let down_scale = match (how, top_k) {
        (_, 1) => experts as f64,
        (MoeConversion::Moefication, k) => k as f64,
        (MoeConversion::Upcycling, _) => 1.0,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut out = w.clone();
    for i in 0..cfg.layers {
        let p = |proj| TensorName::Ffn { layer: i, proj }.to_string();
        let (gate, up, down) = (
            get(w, &p(FfnProj::Gate))?,
            get(w, &p(FfnProj::Up))?,
            get(w, &p(FfnProj::Down))?,
        );
        for proj in FfnProj::ALL {
            out.remove(&p(proj));
        }
        let split = ExpertSplit {
            layer: i,
            experts,
            expert_ffn,
            how,
            down_scale,
        };
        let centroids = split.experts(&mut out, [gate, up, down])?;
        let router = match how {
            MoeConversion::Moefication => (Tensor::stack(&centroids, 0)? * 0.1)?,
            MoeConversion::Upcycling => {
                let normal =
                    Normal::new(0f32, 0.02).map_err(|e| HarnessError::Invalid(e.to_string()))?;
                let v: Vec<f32> = (0..experts * cfg.hidden)
                    .map(|_| normal.sample(&mut rng))
                    .collect();
                Tensor::from_vec(v, (experts, cfg.hidden), gate.device())?
            }
        };
        out.insert(
            TensorName::Router { layer: i }.to_string(),
            router.contiguous()?,
        );
    }
    Ok((c, out))
}

/// How one layer's dense FFN is cut into experts.
struct ExpertSplit {
    layer: usize,
    experts: usize,
    expert_ffn: usize,
    how: MoeConversion,
    down_scale: f64,
}

impl ExpertSplit {
    /// Inserts every expert's weights into `out`; returns each expert's
    /// mean gate row (MoEfication's parameter-centre router).
    fn experts(&self, out: &mut Weights, [gate, up, down]: [&Tensor; 3]) -> Result<Vec<Tensor>> {
        let (i, experts, expert_ffn, how, down_scale) = (
            self.layer,
            self.experts,
            self.expert_ffn,
            self.how,
            self.down_scale,
        );
        let mut centroids = Vec::new();
        for e in 0..experts {
            let q = |proj| {
                TensorName::Expert {
                    layer: i,
                    expert: e,
                    proj,
                }
                .to_string()
            };
            let (g, u, dn) = match how {
                MoeConversion::Moefication => (
                    gate.narrow(0, e * expert_ffn, expert_ffn)?,
                    up.narrow(0, e * expert_ffn, expert_ffn)?,
                    down.narrow(1, e * expert_ffn, expert_ffn)?,
                ),
                MoeConversion::Upcycling => (gate.clone(), up.clone(), down.clone()),
            };
            // MoEfication's parameter-centre router: the mean gate row of each expert.
            centroids.push(g.mean(0)?);
            out.insert(q(FfnProj::Gate), g.contiguous()?);
            out.insert(q(FfnProj::Up), u.contiguous()?);
            out.insert(q(FfnProj::Down), (dn * down_scale)?.contiguous()?);
        }
        Ok(centroids)
    }
}

#[cfg(test)]
mod tests;
