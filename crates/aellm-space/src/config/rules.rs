//! Every validity rule of the configuration space, in one place.
//!
//! Other crates never re-implement these checks: they call
//! [`Configuration::validate`](crate::Configuration::validate).

use super::{Attention, Configuration, FineTuneMethod, KvCache, Moe, QuantMethod, WeightPrecision};
use crate::scenario::ModelSpec;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A validity rule, each with a reason a user can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// QLoRA fine-tunes adapters on a 4-bit base, so the weights must be INT4.
    QloraNeeds4BitBase,
    /// Full fine-tuning trains every weight; it has no rank or alpha.
    FullHasNoRank,
    /// LoRA-family methods need a rank of at least 1 and a positive alpha.
    LowRankNeedsRankAndAlpha,
    /// FP16 and FP8 are not integer-quantized, so they take no method.
    FloatHasNoMethod,
    /// INT8 and INT4 need a quantization method.
    IntegerNeedsMethod,
    /// SmoothQuant is W8A8: it needs INT8 weights.
    SmoothQuantIsW8A8,
    /// AWQ is a 4-bit weight-only method: it needs INT4 weights.
    AwqIs4Bit,
    /// GQA needs at least 2 key/value groups (1 group is MQA).
    GqaNeedsTwoGroups,
    /// MLA needs a positive latent width.
    MlaNeedsLatent,
    /// A sparse MoE needs 2 or more experts and routes each token to 1 or 2 of them.
    MoeShape,
    /// MLA caches its latent; head-sharing KV-cache layouts do not apply to it.
    MlaCachesLatent,
    /// Head-sharing KV-cache layouts pool heads the attention does not already share.
    KvLayoutRedundant,
    /// GQA's groups must divide the model's heads and be fewer than them.
    GqaGroupsDivideHeads,
    /// MLA's latent must be narrower than the model's key/value width, or nothing is saved.
    MlaLatentNarrower,
}

impl Rule {
    /// The reason a user reads, with the fix.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::QloraNeeds4BitBase => "QLoRA needs a 4-bit base: set inference weights to INT4",
            Rule::FullHasNoRank => "Full fine-tuning has no rank or alpha: leave them out",
            Rule::LowRankNeedsRankAndAlpha => {
                "LoRA, QLoRA, DoRA and RSLoRA need a rank >= 1 and an alpha > 0"
            }
            Rule::FloatHasNoMethod => {
                "FP16 and FP8 have no quantization method: leave the method out"
            }
            Rule::IntegerNeedsMethod => {
                "INT8 and INT4 need a quantization method: RTN, GPTQ, AWQ (INT4) or SmoothQuant (INT8)"
            }
            Rule::SmoothQuantIsW8A8 => "SmoothQuant is W8A8: it needs INT8 weights",
            Rule::AwqIs4Bit => "AWQ is a 4-bit weight-only method: it needs INT4 weights",
            Rule::GqaNeedsTwoGroups => "GQA needs at least 2 key/value groups (1 group is MQA)",
            Rule::MlaNeedsLatent => "MLA needs a latent dimension of at least 1",
            Rule::MoeShape => {
                "a sparse MoE needs at least 2 experts and top-1 or top-2 routing within them"
            }
            Rule::MlaCachesLatent => {
                "MLA caches its latent: use the full or INT8 KV cache, not MQA- or GQA-style"
            }
            Rule::KvLayoutRedundant => {
                "this KV-cache layout shares no more heads than the attention already does: use the full KV cache"
            }
            Rule::GqaGroupsDivideHeads => {
                "GQA's key/value groups must divide the model's attention heads and be fewer than them"
            }
            Rule::MlaLatentNarrower => {
                "MLA's latent dimension must be smaller than the model's key/value width (kv heads x head dim)"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// A broken rule, with what in the configuration broke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// What the configuration holds that breaks it.
    pub found: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (found {})", self.rule, self.found)
    }
}

impl std::error::Error for Violation {}

/// The model-independent rules.
pub fn check(c: &Configuration) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut broken = |rule: Rule, found: String| out.push(Violation { rule, found });
    let ft = &c.fine_tuning;
    let inf = &c.inference;

    match ft.method {
        FineTuneMethod::Full => {
            if ft.rank.is_some() || ft.alpha.is_some() {
                broken(
                    Rule::FullHasNoRank,
                    format!("rank {:?}, alpha {:?}", ft.rank, ft.alpha),
                );
            }
        }
        m => {
            let rank_ok = ft.rank.is_some_and(|r| r >= 1);
            let alpha_ok = ft.alpha.is_some_and(|a| a.is_finite() && a > 0.0);
            if !rank_ok || !alpha_ok {
                broken(
                    Rule::LowRankNeedsRankAndAlpha,
                    format!("{m} with rank {:?}, alpha {:?}", ft.rank, ft.alpha),
                );
            }
            if m == FineTuneMethod::Qlora && inf.weights != WeightPrecision::Int4 {
                broken(
                    Rule::QloraNeeds4BitBase,
                    format!("QLoRA with {} weights", inf.weights),
                );
            }
        }
    }

    match (inf.weights.needs_method(), inf.method) {
        (false, Some(m)) => broken(Rule::FloatHasNoMethod, format!("{} with {m}", inf.weights)),
        (true, None) => broken(
            Rule::IntegerNeedsMethod,
            format!("{} without a method", inf.weights),
        ),
        _ => {}
    }
    if inf.method == Some(QuantMethod::SmoothQuant) && inf.weights != WeightPrecision::Int8 {
        broken(
            Rule::SmoothQuantIsW8A8,
            format!("SmoothQuant with {} weights", inf.weights),
        );
    }
    if inf.method == Some(QuantMethod::Awq) && inf.weights != WeightPrecision::Int4 {
        broken(Rule::AwqIs4Bit, format!("AWQ with {} weights", inf.weights));
    }

    match c.architecture.attention {
        Attention::Gqa { kv_groups } if kv_groups < 2 => broken(
            Rule::GqaNeedsTwoGroups,
            format!("GQA with {kv_groups} group(s)"),
        ),
        Attention::Mla { latent_dim: 0 } => broken(Rule::MlaNeedsLatent, "latent_dim 0".into()),
        _ => {}
    }
    if let Moe::Sparse { experts, top_k } = c.architecture.moe
        && (experts < 2 || !(1..=2).contains(&top_k) || top_k > experts)
    {
        broken(Rule::MoeShape, format!("{experts} experts, top-{top_k}"));
    }

    match (c.architecture.attention, inf.kv_cache) {
        (Attention::Mla { .. }, KvCache::MqaStyle | KvCache::GqaStyle) => {
            broken(Rule::MlaCachesLatent, format!("MLA with {}", inf.kv_cache))
        }
        (Attention::Mqa, KvCache::MqaStyle | KvCache::GqaStyle)
        | (Attention::Gqa { .. }, KvCache::GqaStyle) => broken(
            Rule::KvLayoutRedundant,
            format!("{} with {}", c.architecture.attention, inf.kv_cache),
        ),
        _ => {}
    }
    out
}

/// The rules that depend on the model the configuration is applied to.
pub fn check_for_model(c: &Configuration, model: &ModelSpec) -> Vec<Violation> {
    let mut out = Vec::new();
    match c.architecture.attention {
        Attention::Gqa { kv_groups }
            if kv_groups >= 2
                && (kv_groups >= model.heads || !model.heads.is_multiple_of(kv_groups)) =>
        {
            out.push(Violation {
                rule: Rule::GqaGroupsDivideHeads,
                found: format!(
                    "{kv_groups} groups for {} heads of {}",
                    model.heads, model.name
                ),
            });
        }
        Attention::Mla { latent_dim } if latent_dim >= 1 => {
            let kv_width = model.kv_heads * model.head_dim();
            if latent_dim >= kv_width {
                out.push(Violation {
                    rule: Rule::MlaLatentNarrower,
                    found: format!(
                        "latent {latent_dim} for key/value width {kv_width} of {}",
                        model.name
                    ),
                });
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FineTuning, Inference};

    #[test]
    fn every_broken_rule_is_reported() {
        let c = Configuration {
            fine_tuning: FineTuning::low_rank(FineTuneMethod::Qlora, 0, 16.0),
            inference: Inference {
                weights: WeightPrecision::Fp16,
                method: Some(QuantMethod::SmoothQuant),
                kv_cache: KvCache::Full,
            },
            ..Default::default()
        };
        let rules: Vec<Rule> = c.validate().into_iter().map(|v| v.rule).collect();
        for r in [
            Rule::LowRankNeedsRankAndAlpha,
            Rule::QloraNeeds4BitBase,
            Rule::FloatHasNoMethod,
            Rule::SmoothQuantIsW8A8,
        ] {
            assert!(rules.contains(&r), "{r:?} missing from {rules:?}");
        }
        assert_eq!(rules.len(), 4);
    }

    #[test]
    fn default_is_valid() {
        assert!(Configuration::default().validate().is_empty());
    }
}
