//! The shape a configuration's architecture stage gives a checkpoint.
//!
//! Conversions start from the checkpoint and only compress: GQA with more
//! groups than the checkpoint has key/value heads keeps the checkpoint's
//! heads, MHA means "the checkpoint's own attention" (a GQA checkpoint is not
//! expanded back), MLA caches a latent plus a decoupled RoPE key shared by the
//! heads (as the harness's conversion does), and MoE regroups the FFN's
//! neurons (see [`ExpertWidth`]).

use super::options::{ExpertWidth, FootprintOptions};
use crate::{Architecture, Attention, ModelSpec, Moe};
use serde::{Deserialize, Serialize};

/// How attention produces and caches keys and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AttentionShape {
    /// MHA, GQA or MQA with `kv_heads` key/value heads.
    Standard {
        /// Key/value heads.
        kv_heads: u64,
    },
    /// Multi-head latent attention: a `latent`-wide cached vector and a
    /// `rope_dim`-wide RoPE key shared by every head.
    Latent {
        /// Width of the cached latent.
        latent: u64,
        /// Width of the decoupled RoPE key and of each query's RoPE part.
        rope_dim: u64,
    },
}

/// The feed-forward layout of every layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FfnShape {
    /// Projections per FFN: 3 for gated (SwiGLU), 2 for a plain MLP (Phi-2's GELU).
    pub projections: u64,
    /// Width of one expert's FFN (the dense FFN's width when `experts` is 1).
    pub width: u64,
    /// Experts per layer (1: dense).
    pub experts: u64,
    /// Experts each token is routed to.
    pub top_k: u64,
}

/// A model's widths after the architecture stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Transformer layers.
    pub layers: u64,
    /// Model width.
    pub hidden: u64,
    /// Query heads.
    pub heads: u64,
    /// Width of one head.
    pub head_dim: u64,
    /// Vocabulary.
    pub vocab: u64,
    /// Attention variant.
    pub attention: AttentionShape,
    /// FFN layout.
    pub ffn: FfnShape,
    /// Parameters the published count holds beyond the modelled shapes
    /// (biases, extra norms); kept in floating point, never quantized.
    pub other_parameters: u64,
    /// Whether the LM head's matrix is the token-embedding table.
    pub tied_embeddings: bool,
}

/// Parameters of a checkpoint modelled from its shapes, with `projections`
/// per FFN: embeddings and LM head (one table when tied), attention, FFN
/// (every expert) with router, two norms per layer, final norm.
fn modelled_parameters(m: &ModelSpec, projections: u64) -> u64 {
    let (h, l, v) = (m.hidden as u64, m.layers as u64, m.vocab as u64);
    let kv = m.kv_heads as u64 * m.head_dim() as u64;
    let attn = 2 * h * h + 2 * h * kv;
    let e = m.experts as u64;
    let router = if e > 1 { h * e } else { 0 };
    let ffn = projections * h * m.ffn as u64 * e + router;
    let tables = if m.tied_embeddings { 1 } else { 2 };
    l * (attn + ffn + 2 * h) + tables * v * h + h
}

/// The FFN's projections (3 gated or 2 plain), whichever modelled count is
/// nearer the published one: `ModelSpec` does not say which the model uses.
fn ffn_projections(m: &ModelSpec) -> u64 {
    let gap = |p| modelled_parameters(m, p).abs_diff(m.parameters);
    if gap(2) < gap(3) { 2 } else { 3 }
}

impl Shape {
    /// The checkpoint's shape under `arch`. The model and configuration
    /// must have passed their checks ([`Footprint::new`](super::Footprint::new) does it).
    pub fn new(m: &ModelSpec, arch: &Architecture, o: &FootprintOptions) -> Shape {
        let projections = ffn_projections(m);
        let head_dim = m.head_dim() as u64;
        let native_kv = m.kv_heads as u64;
        let attention = match arch.attention {
            Attention::Mha => AttentionShape::Standard {
                kv_heads: native_kv,
            },
            Attention::Mqa => AttentionShape::Standard { kv_heads: 1 },
            Attention::Gqa { kv_groups } => AttentionShape::Standard {
                kv_heads: (kv_groups as u64).min(native_kv),
            },
            Attention::Mla { latent_dim } => AttentionShape::Latent {
                latent: latent_dim as u64,
                rope_dim: mla_rope_dim(head_dim, o.mla_rope_fraction),
            },
        };
        Shape {
            layers: m.layers as u64,
            hidden: m.hidden as u64,
            heads: m.heads as u64,
            head_dim,
            vocab: m.vocab as u64,
            attention,
            ffn: ffn_shape(m, arch.moe, projections, o.expert_width),
            other_parameters: m
                .parameters
                .saturating_sub(modelled_parameters(m, projections)),
            tied_embeddings: m.tied_embeddings,
        }
    }

    /// Key/value heads the attention computes (MLA: every query head).
    pub fn kv_heads(&self) -> u64 {
        match self.attention {
            AttentionShape::Standard { kv_heads } => kv_heads,
            AttentionShape::Latent { .. } => self.heads,
        }
    }
}

/// MLA's RoPE width: an even share of the head, leaving at least two
/// position-free dimensions (the harness's rule).
fn mla_rope_dim(head_dim: u64, fraction: f64) -> u64 {
    let raw = ((head_dim as f64 * fraction.clamp(0.0, 1.0)) as u64) / 2 * 2;
    raw.clamp(2, head_dim.saturating_sub(2).max(2))
}

fn ffn_shape(m: &ModelSpec, moe: Moe, projections: u64, width: ExpertWidth) -> FfnShape {
    let (native_e, native_w) = (m.experts as u64, m.ffn as u64);
    match moe {
        // Dense means "the checkpoint's own FFN": Mixtral keeps its experts.
        Moe::Dense => FfnShape {
            projections,
            width: native_w,
            experts: native_e,
            top_k: (m.experts_per_token as u64).min(native_e),
        },
        Moe::Sparse { experts, top_k } => {
            let e = experts as u64;
            FfnShape {
                projections,
                width: match width {
                    // Every neuron of every native expert, shared out.
                    ExpertWidth::Split => (native_w * native_e / e).max(1),
                    ExpertWidth::Copies => native_w,
                },
                experts: e,
                top_k: top_k as u64,
            }
        }
    }
}
