//! Accuracy predicted from published changes per technique and model size,
//! as a fraction of the unmodified model's score (1.0 = the base model;
//! the figure's note also gives it as the change from the base, in %).
//!
//! Every row's source is in `docs/sources/accuracy.md`. Weight formats
//! have published perplexity changes, and turning a relative perplexity
//! increase into a relative score loss one for one is an assumption of this
//! model, stated in every figure it produces; attention and MoE conversions
//! have published task-score changes ([`architecture`]). Techniques without
//! a published row keep the score and widen the interval.

use aellm_space::{Configuration, FineTuneMethod, KvCache, QuantMethod, Scenario, WeightPrecision};
use serde::{Deserialize, Serialize};

mod architecture;
pub mod published;

pub use published::{PUBLISHED, PublishedChange, PublishedScore};

/// Predicted accuracy as a fraction of the unmodified model's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyPrediction {
    /// Fraction of the base score kept, in [0, 1].
    pub value: f64,
    /// One standard deviation.
    pub std: f64,
    /// Which rows and assumptions produced it.
    pub how: String,
}

/// The accuracy model: the published table and the uncertainty given to a
/// technique without a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyModel {
    /// Standard deviation added for each applied technique with no published row.
    pub unknown_technique_std: f64,
}

impl Default for AccuracyModel {
    fn default() -> Self {
        AccuracyModel {
            unknown_technique_std: 0.05,
        }
    }
}

/// The rows of `technique`, the one nearest in model size (log scale).
fn nearest(technique: &str, params_b: f64) -> Option<&'static PublishedChange> {
    PUBLISHED
        .iter()
        .filter(|r| r.technique == technique)
        .min_by(|a, b| {
            let d = |r: &PublishedChange| (r.params_b.ln() - params_b.ln()).abs();
            d(a).total_cmp(&d(b))
        })
}

/// The published technique standing for the configuration's weights, if any.
fn weight_technique(c: &Configuration) -> Option<&'static str> {
    match (c.inference.weights, c.inference.method) {
        (WeightPrecision::Fp16, _) => None,
        (WeightPrecision::Int4, Some(QuantMethod::Awq)) => Some("awq-int4-g128"),
        (WeightPrecision::Int4, Some(QuantMethod::Gptq)) => Some("gptq-int4-g128"),
        // Round-to-nearest 4-bit: llama.cpp's Q4_K_S (blockwise RTN scales).
        (WeightPrecision::Int4, _) => Some("gguf-q4_k_s"),
        // 8-bit weights (INT8 any method, FP8): Q8_0's change stands for them.
        (WeightPrecision::Int8 | WeightPrecision::Fp8, _) => Some("gguf-q8_0"),
    }
}

/// Techniques applied that have no published row.
fn unpublished(c: &Configuration) -> Vec<String> {
    let mut out = Vec::new();
    if c.inference.kv_cache != KvCache::Full {
        out.push(c.inference.kv_cache.to_string());
    }
    if c.fine_tuning.method != FineTuneMethod::Full {
        out.push(format!(
            "{} instead of full fine-tuning",
            c.fine_tuning.method
        ));
    }
    out
}

impl AccuracyPrediction {
    /// The predicted change from the unmodified model's score, in percent
    /// of it (0 = the base, -1.5 = 1.5% of its score lost).
    pub fn change_pct(&self) -> f64 {
        (self.value - 1.0) * 100.0
    }
}

/// The weight format's published perplexity rise, as a score change.
fn weights_change(c: &Configuration, params_b: f64) -> Option<(f64, String)> {
    let r = weight_technique(c).and_then(|t| nearest(t, params_b))?;
    // Assumption: a relative perplexity rise costs the same relative score.
    Some((
        -r.ppl_increase,
        format!(
            "{}: +{:.2}% perplexity at {:.0}B ({}), taken as the same relative score loss (an assumption)",
            r.technique,
            r.ppl_increase * 100.0,
            r.params_b,
            r.source
        ),
    ))
}

impl AccuracyModel {
    /// The predicted fraction of the base score `c` keeps on `s`'s model.
    pub fn predict(&self, c: &Configuration, s: &Scenario) -> AccuracyPrediction {
        let params_b = s.model.parameters as f64 / 1e9;
        let mut changes: Vec<(f64, f64, String)> = Vec::new();
        if let Some((change, how)) = weights_change(c, params_b) {
            changes.push((change, change.abs(), how));
        }
        let arch = [
            architecture::attention(c.architecture.attention, &s.model),
            architecture::moe(c.architecture.moe, &s.model),
        ];
        changes.extend(arch.into_iter().flatten().map(|a| (a.change, a.std, a.how)));
        // Changes compose multiplicatively (an assumption: no interaction).
        let value: f64 = changes.iter().map(|(d, _, _)| 1.0 + d).product();
        let mut var: f64 = changes.iter().map(|(_, sd, _)| sd * sd).sum();
        let mut notes: Vec<String> = changes.into_iter().map(|(_, _, how)| how).collect();
        let unknown = unpublished(c);
        var += unknown.len() as f64 * self.unknown_technique_std.powi(2);
        if !unknown.is_empty() {
            notes.push(format!(
                "no published change for {} (score kept, interval widened)",
                unknown.join(", ")
            ));
        }
        let value = value.clamp(0.0, 1.0);
        AccuracyPrediction {
            value,
            std: var.sqrt(),
            how: format!(
                "fraction of the unmodified model's score: {value:.4} ({:+.2}% from the base); {}",
                (value - 1.0) * 100.0,
                if notes.is_empty() {
                    "no technique applied".to_string()
                } else {
                    notes.join("; ")
                }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::{Attention, FineTuning, Inference, Moe, presets};

    fn scenario(model: &str) -> Scenario {
        Scenario::new(
            presets::model(model).unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware("a100-80gb").unwrap(),
        )
    }

    fn int4(method: QuantMethod) -> Configuration {
        Configuration {
            inference: Inference {
                weights: WeightPrecision::Int4,
                method: Some(method),
                kv_cache: KvCache::Full,
            },
            ..Default::default()
        }
    }

    #[test]
    fn awq_on_a_7b_model_uses_the_7b_row() {
        let p = AccuracyModel::default().predict(&int4(QuantMethod::Awq), &scenario("llama-2-7b"));
        // 5.6 / 5.47 - 1 = 2.38% perplexity, taken as 2.38% of the score.
        assert!(
            (p.value - (1.0 - (5.6 / 5.47 - 1.0))).abs() < 1e-12,
            "{p:?}"
        );
        assert!(p.how.contains("llm-quantization") && p.how.contains("assumption"));
    }

    #[test]
    fn gptq_on_a_70b_model_uses_the_70b_row_and_fp16_keeps_the_score() {
        let p =
            AccuracyModel::default().predict(&int4(QuantMethod::Gptq), &scenario("llama-2-70b"));
        assert!((p.value - (1.0 - (3.52 / 3.32 - 1.0))).abs() < 1e-12);
        let base =
            AccuracyModel::default().predict(&Configuration::default(), &scenario("llama-2-70b"));
        assert_eq!((base.value, base.std), (1.0, 0.0));
    }

    #[test]
    fn unpublished_techniques_widen_the_interval_not_the_mean() {
        let mut c = Configuration::default();
        c.inference.kv_cache = KvCache::MqaStyle;
        c.fine_tuning = FineTuning::low_rank(FineTuneMethod::Lora, 8, 16.0);
        let p = AccuracyModel::default().predict(&c, &scenario("mistral-7b"));
        assert_eq!(p.value, 1.0);
        assert!((p.std - (2.0f64 * 0.05 * 0.05).sqrt()).abs() < 1e-12);
        assert!(p.how.contains("LoRA") && p.how.contains("no published change"));
    }

    #[test]
    fn conversions_cost_their_published_change_and_compose() {
        let s = scenario("llama-2-7b");
        let mut c = Configuration::default();
        c.architecture.attention = Attention::Mqa;
        c.architecture.moe = Moe::Sparse {
            experts: 8,
            top_k: 1,
        };
        let p = AccuracyModel::default().predict(&c, &s);
        let mqa = architecture::attention(Attention::Mqa, &s.model)
            .unwrap()
            .change;
        assert!((p.value - (1.0 + mqa) * 0.95).abs() < 1e-12, "{p:?}");
        assert!((p.change_pct() - (p.value - 1.0) * 100.0).abs() < 1e-12);
        assert!(p.how.contains("gqa-table1") && p.how.contains("moefication"));
        assert!(p.how.contains("from the base"));
    }
}
