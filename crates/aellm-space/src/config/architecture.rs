//! The architecture stage: attention variant and mixture-of-experts layout.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How queries, keys and values are shared across attention heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Attention {
    /// Multi-head attention: one key/value head per query head.
    Mha,
    /// Multi-query attention: one key/value head shared by every query head.
    Mqa,
    /// Grouped-query attention with `kv_groups` key/value heads, each shared
    /// by `heads / kv_groups` query heads (Ainslie et al. 2023).
    Gqa {
        /// Number of key/value heads (groups); at least 2 (1 is MQA).
        kv_groups: u32,
    },
    /// Multi-head latent attention (DeepSeek-V2): keys and values are
    /// reconstructed from a cached latent of `latent_dim` per token.
    Mla {
        /// Width of the compressed key/value latent that the cache stores.
        latent_dim: u32,
    },
}

impl Attention {
    /// Short lower-case name of the variant without its parameter.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Attention::Mha => "mha",
            Attention::Mqa => "mqa",
            Attention::Gqa { .. } => "gqa",
            Attention::Mla { .. } => "mla",
        }
    }
}

impl fmt::Display for Attention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attention::Mha => write!(f, "MHA"),
            Attention::Mqa => write!(f, "MQA"),
            Attention::Gqa { kv_groups } => write!(f, "GQA-{kv_groups}"),
            Attention::Mla { latent_dim } => write!(f, "MLA-{latent_dim}"),
        }
    }
}

/// Feed-forward layout: one dense FFN, or a sparse mixture of experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Moe {
    /// A single dense feed-forward network per layer.
    Dense,
    /// `experts` expert FFNs per layer, each token routed to `top_k` of them.
    Sparse {
        /// Number of experts per layer (the paper's space: 2, 4 or 8).
        experts: u32,
        /// Experts each token is routed to (1 or 2).
        top_k: u32,
    },
}

impl fmt::Display for Moe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Moe::Dense => write!(f, "dense"),
            Moe::Sparse { experts, top_k } => write!(f, "MoE-{experts}x top-{top_k}"),
        }
    }
}

/// The architecture stage of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Attention variant.
    pub attention: Attention,
    /// Feed-forward layout.
    pub moe: Moe,
}

impl Default for Architecture {
    fn default() -> Self {
        Architecture {
            attention: Attention::Mha,
            moe: Moe::Dense,
        }
    }
}
