//! The shape of a harness model: widths, attention variant and FFN layout.

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
/// ```
/// use aellm_harness::model::ModelConfig;
/// let c = ModelConfig::tiny(40);
/// assert_eq!(c.head_dim(), 8);
/// c.check().unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// RoPE base.
    pub rope_theta: u32,
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
            rope_theta: 10_000,
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
        self.layers * (attn + ffn + 2 * h) + 2 * self.vocab * h + h
    }

    /// FFN multiply-adds per token in one layer: every expert a token is routed to.
    pub fn ffn_macs_per_token(&self) -> usize {
        match self.ffn_kind {
            FfnConfig::Dense => 3 * self.hidden * self.ffn,
            FfnConfig::Moe {
                experts,
                top_k,
                expert_ffn,
            } => top_k * 3 * self.hidden * expert_ffn + self.hidden * experts,
        }
    }
}
