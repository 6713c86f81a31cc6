//! The shape of a harness model: widths, attention variant and FFN layout.

use super::rope::RopeScaling;
use crate::error::{HarnessError, Result};
use serde::{Deserialize, Serialize};

/// How attention produces and caches keys and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AttentionConfig {
    /// MHA, GQA or MQA: `kv_heads` key/value heads, each shared by
    /// `heads / kv_heads` query heads (contiguous groups).
    Standard {
        /// Key/value heads (equal to the heads for MHA, 1 for MQA).
        kv_heads: usize,
    },
    /// Multi-head latent attention (DeepSeek-V2): keys and values are
    /// up-projected from a `latent`-wide cached vector, plus a decoupled
    /// `rope_dim`-wide RoPE key shared by every head.
    Latent {
        /// Width of the cached latent.
        latent: usize,
        /// Width of the decoupled RoPE part of each query and of the shared RoPE key.
        rope_dim: usize,
    },
}

/// The feed-forward layout of every layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FfnConfig {
    /// One SwiGLU FFN of width [`ModelConfig::ffn`].
    Dense,
    /// A sparse mixture of `experts` SwiGLU experts of width `expert_ffn`,
    /// each token routed to `top_k` of them.
    Moe {
        /// Experts per layer.
        experts: usize,
        /// Experts per token.
        top_k: usize,
        /// Width of one expert's FFN.
        expert_ffn: usize,
    },
}

/// The full shape of a decoder-only transformer of the harness.
///
/// The fields real checkpoints need (biases, tied embeddings, RoPE scaling,
/// norm epsilon) default to the harness's own model and are left out of its
/// serialized form at their defaults, so cached checkpoints keep their keys.
///
/// ```
/// use aellm_harness::model::ModelConfig;
/// let c = ModelConfig::tiny(40);
/// assert_eq!(c.head_dim(), 8);
/// c.check().unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Vocabulary size.
    pub vocab: usize,
    /// Model width.
    pub hidden: usize,
    /// Transformer layers.
    pub layers: usize,
    /// Query heads.
    pub heads: usize,
    /// Width of the dense FFN.
    pub ffn: usize,
    /// Attention variant.
    pub attention: AttentionConfig,
    /// FFN layout.
    pub ffn_kind: FfnConfig,
    /// RoPE base frequency.
    #[serde(serialize_with = "integral_as_integer")]
    pub rope_theta: f64,
    /// Llama-3.1 RoPE frequency scaling, when the checkpoint has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rope_scaling: Option<RopeScaling>,
    /// RMSNorm epsilon.
    #[serde(default = "default_eps", skip_serializing_if = "is_default_eps")]
    pub norm_eps: f64,
    /// Query, key and value projections carry biases (Qwen2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub qkv_bias: bool,
    /// The LM head is the embedding matrix (SmolLM): no `lm_head.weight`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tied_embeddings: bool,
}

/// The harness's RMSNorm epsilon (Llama's).
pub const DEFAULT_NORM_EPS: f64 = 1e-5;

fn default_eps() -> f64 {
    DEFAULT_NORM_EPS
}

fn is_default_eps(e: &f64) -> bool {
    *e == DEFAULT_NORM_EPS
}

/// Writes a whole-number float as an integer (`10000`, not `10000.0`), as
/// the field was once typed, so keys of cached checkpoints do not change.
fn integral_as_integer<S: serde::Serializer>(
    x: &f64,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

impl ModelConfig {
    /// A width-32, one-layer, 4-head MHA model for tests.
    pub fn tiny(vocab: usize) -> Self {
        ModelConfig {
            vocab,
            hidden: 32,
            layers: 1,
            heads: 4,
            ffn: 64,
            attention: AttentionConfig::Standard { kv_heads: 4 },
            ffn_kind: FfnConfig::Dense,
            rope_theta: 10_000.0,
            rope_scaling: None,
            norm_eps: DEFAULT_NORM_EPS,
            qkv_bias: false,
            tied_embeddings: false,
        }
    }

    /// Width of one head.
    pub fn head_dim(&self) -> usize {
        self.hidden / self.heads.max(1)
    }

    /// Query heads that share one cached key/value head (1 for MHA and MLA).
    pub fn kv_heads(&self) -> usize {
        match self.attention {
            AttentionConfig::Standard { kv_heads } => kv_heads,
            AttentionConfig::Latent { .. } => self.heads,
        }
    }

    /// Checks the shape can be built; the error names the field and the fix.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(HarnessError::Invalid(m));
        if [self.vocab, self.hidden, self.layers, self.heads, self.ffn].contains(&0) {
            return bad(format!("every width must be at least 1, got {self:?}"));
        }
        if !(self.rope_theta > 0.0 && self.norm_eps > 0.0) {
            return bad(format!(
                "rope_theta ({}) and norm_eps ({}) must be positive",
                self.rope_theta, self.norm_eps
            ));
        }
        if let Some(r) = self.rope_scaling {
            r.check().map_err(HarnessError::Invalid)?;
        }
        if self.qkv_bias && !matches!(self.attention, AttentionConfig::Standard { .. }) {
            return bad("q/k/v biases are supported on MHA/GQA/MQA only, not MLA".into());
        }
        if !self.hidden.is_multiple_of(self.heads) || !self.head_dim().is_multiple_of(2) {
            return bad(format!(
                "heads ({}) must divide hidden ({}) into an even head width (RoPE rotates pairs)",
                self.heads, self.hidden
            ));
        }
        match self.attention {
            AttentionConfig::Standard { kv_heads } => {
                if kv_heads == 0 || !self.heads.is_multiple_of(kv_heads) {
                    return bad(format!(
                        "kv_heads ({kv_heads}) must divide heads ({})",
                        self.heads
                    ));
                }
            }
            AttentionConfig::Latent { latent, rope_dim } => {
                if latent == 0 || rope_dim == 0 || !rope_dim.is_multiple_of(2) {
                    return bad(format!(
                        "MLA needs latent >= 1 and an even rope_dim >= 2, got {latent} and {rope_dim}"
                    ));
                }
                if rope_dim >= self.head_dim() {
                    return bad(format!(
                        "MLA rope_dim ({rope_dim}) must be narrower than the head width ({})",
                        self.head_dim()
                    ));
                }
            }
        }
        if let FfnConfig::Moe {
            experts,
            top_k,
            expert_ffn,
        } = self.ffn_kind
            && (experts < 2 || top_k == 0 || top_k > experts || expert_ffn == 0)
        {
            return bad(format!(
                "MoE needs >= 2 experts, 1 <= top_k <= experts and expert_ffn >= 1, got {experts}, {top_k}, {expert_ffn}"
            ));
        }
        Ok(())
    }

    /// Parameters of the model (every expert counted).
    pub fn parameters(&self) -> usize {
        let (h, d, n) = (self.hidden, self.head_dim(), self.heads);
        let attn = match self.attention {
            AttentionConfig::Standard { kv_heads } => 2 * h * h + 2 * h * kv_heads * d,
            AttentionConfig::Latent { latent, rope_dim } => {
                let dn = d - rope_dim;
                h * n * dn
                    + h * n * rope_dim
                    + h * latent
                    + h * rope_dim
                    + latent * n * dn
                    + latent * n * d
                    + n * d * h
            }
        };
        let ffn = match self.ffn_kind {
            FfnConfig::Dense => 3 * h * self.ffn,
            FfnConfig::Moe {
                experts,
                expert_ffn,
                ..
            } => experts * 3 * h * expert_ffn + h * experts,
        };
        let bias = if self.qkv_bias {
            (self.heads + 2 * self.kv_heads()) * d
        } else {
            0
        };
        let head = if self.tied_embeddings {
            0
        } else {
            self.vocab * h
        };
        self.layers * (attn + bias + ffn + 2 * h) + self.vocab * h + head + h
    }
}
