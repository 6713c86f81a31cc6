//! The one table of the harness model's tensor names and calibration-group
//! names. Nothing else in the crate spells them.
//!
//! A harness checkpoint ([`Weights`](super::Weights)) is a flat map from
//! these names to tensors, the layout of its safetensors files:
//!
//! | tensor | name | shape |
//! |---|---|---|
//! | token embedding | `embed.weight` | `[vocab, hidden]` |
//! | norm before attention | `layers.{i}.attn_norm.weight` | `[hidden]` |
//! | MHA/GQA/MQA projections | `layers.{i}.attn.{q,k,v,o}.weight` | `[out, in]` |
//! | query/key/value biases (Qwen2) | `layers.{i}.attn.{q,k,v}.bias` | `[out]` |
//! | MLA projections | `layers.{i}.attn.{q,q_rope,kv_down,k_rope,k_up,v_up,o}.weight` | `[out, in]` |
//! | norm before the FFN | `layers.{i}.ffn_norm.weight` | `[hidden]` |
//! | dense SwiGLU | `layers.{i}.ffn.{gate,up,down}.weight` | `[out, in]` |
//! | MoE router | `layers.{i}.ffn.router.weight` | `[experts, hidden]` |
//! | MoE expert | `layers.{i}.ffn.experts.{e}.{gate,up,down}.weight` | `[out, in]` |
//! | final norm | `norm.weight` | `[hidden]` |
//! | LM head (absent when embeddings are tied) | `lm_head.weight` | `[vocab, hidden]` |
//!
//! Key and query rows are in rotate-half RoPE order (element `j` of a head
//! pairs with `j + head_dim / 2`), as in Hugging Face checkpoints.
//!
//! **For loaders of other formats** (Hugging Face folders, GGUF): map each
//! source tensor to a [`TensorName`] and insert it under
//! `TensorName::to_string()`; set the matching [`ModelConfig`] fields
//! (`qkv_bias`, `tied_embeddings`, `rope_theta`, `rope_scaling`,
//! `norm_eps`); then [`Transformer::load`] builds the model and names the
//! first missing tensor if any.
//!
//! ```
//! use aellm_harness::checkpoint::names::{AttnProj, TensorName};
//! let k = TensorName::Attn { layer: 3, proj: AttnProj::K, bias: false };
//! assert_eq!(k.to_string(), "layers.3.attn.k.weight");
//! assert_eq!(TensorName::parse("layers.3.attn.k.weight"), Some(k));
//! ```
//!
//! Calibration groups (linears that read the same input, quantized together
//! and whose inputs the [`Recorder`] keeps) are named `{layer prefix}.{group}`,
//! e.g. `layers.0.attn.qkv`; see [`Group`].
//!
//! [`ModelConfig`]: crate::model::ModelConfig
//! [`Transformer::load`]: crate::model::Transformer::load
//! [`Recorder`]: crate::model::Recorder

use serde::{Deserialize, Serialize};
use std::fmt;

/// Path segment of the token embedding.
pub const EMBED: &str = "embed";
/// Path segment of the block list (`layers.{i}`).
pub const LAYERS: &str = "layers";
/// Path segment of a block's attention.
pub const ATTN: &str = "attn";
/// Path segment of a block's norm before attention.
pub const ATTN_NORM: &str = "attn_norm";
/// Path segment of a block's FFN.
pub const FFN: &str = "ffn";
/// Path segment of a block's norm before the FFN.
pub const FFN_NORM: &str = "ffn_norm";
/// Path segment of the final norm.
pub const NORM: &str = "norm";
/// Path segment of the LM head.
pub const LM_HEAD: &str = "lm_head";
/// Path segment of an MoE router.
pub const ROUTER: &str = "router";
/// Path segment of the MoE expert list (`experts.{e}`).
pub const EXPERTS: &str = "experts";
/// Last segment of a weight.
pub const WEIGHT: &str = "weight";
/// Last segment of a bias.
pub const BIAS: &str = "bias";

/// `layers.{i}`: the prefix of block `i`.
pub fn layer(i: usize) -> String {
    format!("{LAYERS}.{i}")
}

/// `experts.{e}`: the segment of expert `e` under an FFN.
pub fn expert(e: usize) -> String {
    format!("{EXPERTS}.{e}")
}

/// An attention projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttnProj {
    /// Queries (MLA: their position-free part).
    Q,
    /// Keys (MHA/GQA/MQA).
    K,
    /// Values (MHA/GQA/MQA).
    V,
    /// Output.
    O,
    /// MLA: the RoPE part of the queries.
    QRope,
    /// MLA: down-projection to the cached latent.
    KvDown,
    /// MLA: the shared RoPE key.
    KRope,
    /// MLA: latent to position-free keys.
    KUp,
    /// MLA: latent to values.
    VUp,
}

impl AttnProj {
    /// Every projection.
    pub const ALL: [AttnProj; 9] = [
        AttnProj::Q,
        AttnProj::K,
        AttnProj::V,
        AttnProj::O,
        AttnProj::QRope,
        AttnProj::KvDown,
        AttnProj::KRope,
        AttnProj::KUp,
        AttnProj::VUp,
    ];

    /// Its path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            AttnProj::Q => "q",
            AttnProj::K => "k",
            AttnProj::V => "v",
            AttnProj::O => "o",
            AttnProj::QRope => "q_rope",
            AttnProj::KvDown => "kv_down",
            AttnProj::KRope => "k_rope",
            AttnProj::KUp => "k_up",
            AttnProj::VUp => "v_up",
        }
    }
}

/// A SwiGLU projection (of a dense FFN or of an expert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FfnProj {
    /// Gate.
    Gate,
    /// Up.
    Up,
    /// Down.
    Down,
}

impl FfnProj {
    /// Every projection.
    pub const ALL: [FfnProj; 3] = [FfnProj::Gate, FfnProj::Up, FfnProj::Down];

    /// Its path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            FfnProj::Gate => "gate",
            FfnProj::Up => "up",
            FfnProj::Down => "down",
        }
    }
}

/// One tensor of a harness checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TensorName {
    /// The token embedding.
    Embed,
    /// Block `layer`'s norm before attention.
    AttnNorm {
        /// Block index.
        layer: usize,
    },
    /// An attention projection's weight, or its bias when `bias`.
    Attn {
        /// Block index.
        layer: usize,
        /// Which projection.
        proj: AttnProj,
        /// The bias rather than the weight.
        bias: bool,
    },
    /// Block `layer`'s norm before the FFN.
    FfnNorm {
        /// Block index.
        layer: usize,
    },
    /// A dense FFN projection.
    Ffn {
        /// Block index.
        layer: usize,
        /// Which projection.
        proj: FfnProj,
    },
    /// An MoE router.
    Router {
        /// Block index.
        layer: usize,
    },
    /// An MoE expert's projection.
    Expert {
        /// Block index.
        layer: usize,
        /// Expert index.
        expert: usize,
        /// Which projection.
        proj: FfnProj,
    },
    /// The final norm.
    Norm,
    /// The LM head.
    LmHead,
}

impl TensorName {
    /// The name without its last segment (`.weight` / `.bias`): the
    /// layer's path, as a `VarBuilder` prefix spells it.
    pub fn module(&self) -> String {
        match *self {
            TensorName::Embed => EMBED.into(),
            TensorName::AttnNorm { layer: l } => format!("{}.{ATTN_NORM}", layer(l)),
            TensorName::Attn { layer: l, proj, .. } => {
                format!("{}.{ATTN}.{}", layer(l), proj.as_str())
            }
            TensorName::FfnNorm { layer: l } => format!("{}.{FFN_NORM}", layer(l)),
            TensorName::Ffn { layer: l, proj } => format!("{}.{FFN}.{}", layer(l), proj.as_str()),
            TensorName::Router { layer: l } => format!("{}.{FFN}.{ROUTER}", layer(l)),
            TensorName::Expert {
                layer: l,
                expert: e,
                proj,
            } => format!("{}.{FFN}.{}.{}", layer(l), expert(e), proj.as_str()),
            TensorName::Norm => NORM.into(),
            TensorName::LmHead => LM_HEAD.into(),
        }
    }

    /// Whether it is a bias.
    pub fn is_bias(&self) -> bool {
        matches!(self, TensorName::Attn { bias: true, .. })
    }

    /// The tensor of a full name, `None` for a name outside the table.
    pub fn parse(name: &str) -> Option<TensorName> {
        let (module, last) = name.rsplit_once('.')?;
        let bias = match last {
            WEIGHT => false,
            BIAS => true,
            _ => return None,
        };
        let t = match module {
            EMBED => TensorName::Embed,
            NORM => TensorName::Norm,
            LM_HEAD => TensorName::LmHead,
            _ => parse_block(module, bias)?,
        };
        (t.is_bias() == bias).then_some(t)
    }
}

/// `layers.{i}.…` less its last segment.
fn parse_block(module: &str, bias: bool) -> Option<TensorName> {
    let rest = module.strip_prefix(LAYERS)?.strip_prefix('.')?;
    let (i, rest) = rest.split_once('.')?;
    let layer: usize = i.parse().ok()?;
    let parts: Vec<&str> = rest.split('.').collect();
    let ffn = |s: &str| FfnProj::ALL.into_iter().find(|p| p.as_str() == s);
    Some(match parts.as_slice() {
        [ATTN_NORM] => TensorName::AttnNorm { layer },
        [FFN_NORM] => TensorName::FfnNorm { layer },
        [ATTN, p] => TensorName::Attn {
            layer,
            proj: AttnProj::ALL.into_iter().find(|a| a.as_str() == *p)?,
            bias,
        },
        [FFN, ROUTER] => TensorName::Router { layer },
        [FFN, p] => TensorName::Ffn {
            layer,
            proj: ffn(p)?,
        },
        [FFN, EXPERTS, e, p] => TensorName::Expert {
            layer,
            expert: e.parse().ok()?,
            proj: ffn(p)?,
        },
        _ => return None,
    })
}

impl fmt::Display for TensorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = if self.is_bias() { BIAS } else { WEIGHT };
        write!(f, "{}.{last}", self.module())
    }
}

/// A calibration group: the linears of one layer that read the same input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Group {
    /// MHA/GQA/MQA: q, k and v read the normed residual.
    Qkv,
    /// MLA: q, q_rope, kv_down and k_rope read the normed residual.
    LatentIn,
    /// MLA: k_up and v_up read the latent.
    LatentUp,
    /// The attention output projection reads the merged heads.
    AttnOut,
    /// SwiGLU: gate and up read the normed residual.
    GateUp,
    /// SwiGLU: down reads the gated hidden.
    Down,
    /// An MoE router reads the normed residual.
    Router,
    /// The LM head reads the final norm.
    LmHead,
}

impl Group {
    /// Its last segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Qkv => "qkv",
            Group::LatentIn => "in",
            Group::LatentUp => "up",
            Group::AttnOut => "o",
            Group::GateUp => "gate_up",
            Group::Down => "down",
            Group::Router => ROUTER,
            Group::LmHead => LM_HEAD,
        }
    }

    /// The group's full name under a layer's prefix (`layers.0.attn` →
    /// `layers.0.attn.qkv`); the LM head's group is `lm_head` at the root.
    pub fn under(self, prefix: &str) -> String {
        if prefix.is_empty() {
            self.as_str().into()
        } else {
            format!("{prefix}.{}", self.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_name() -> impl Strategy<Value = TensorName> {
        let l = 0usize..40;
        prop_oneof![
            Just(TensorName::Embed),
            Just(TensorName::Norm),
            Just(TensorName::LmHead),
            l.clone().prop_map(|layer| TensorName::AttnNorm { layer }),
            l.clone().prop_map(|layer| TensorName::FfnNorm { layer }),
            l.clone().prop_map(|layer| TensorName::Router { layer }),
            (l.clone(), 0usize..9, any::<bool>()).prop_map(|(layer, p, bias)| TensorName::Attn {
                layer,
                proj: AttnProj::ALL[p],
                bias
            }),
            (l.clone(), 0usize..3).prop_map(|(layer, p)| TensorName::Ffn {
                layer,
                proj: FfnProj::ALL[p]
            }),
            (l, 0usize..16, 0usize..3).prop_map(|(layer, expert, p)| TensorName::Expert {
                layer,
                expert,
                proj: FfnProj::ALL[p]
            }),
        ]
    }

    proptest! {
        #[test]
        fn every_name_parses_back_to_itself(t in any_name()) {
            prop_assert_eq!(TensorName::parse(&t.to_string()), Some(t));
        }
    }

    #[test]
    fn names_outside_the_table_are_refused() {
        for n in [
            "embed.bias",
            "layers.x.attn.q.weight",
            "layers.0.ffn.gate.bias",
            "model.embed_tokens.weight",
            "layers.0.attn.z.weight",
        ] {
            assert_eq!(TensorName::parse(n), None, "{n}");
        }
        assert_eq!(Group::Qkv.under("layers.1.attn"), "layers.1.attn.qkv");
        assert_eq!(Group::LmHead.under(""), "lm_head");
    }
}
