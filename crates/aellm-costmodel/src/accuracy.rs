//! Accuracy predicted from published perplexity changes per technique and
//! model size, as a fraction of the unmodified model's score.
//!
//! Every row's source is in `docs/sources/accuracy.md`. Turning a relative
//! perplexity increase into a relative score loss one for one is an
//! assumption of this model, stated in every figure it produces;
//! techniques without a published row keep the score and widen the interval.

use aellm_space::{
    Attention, Configuration, FineTuneMethod, KvCache, Moe, QuantMethod, Scenario, WeightPrecision,
};
use serde::{Deserialize, Serialize};

/// One published perplexity change: `technique` on a model of
/// `params_b` billion parameters raised perplexity by `ppl_increase` (relative).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PublishedChange {
    /// What was applied.
    pub technique: &'static str,
    /// Model size, billions of parameters.
    pub params_b: f64,
    /// Perplexity after / before, minus one.
    pub ppl_increase: f64,
    /// Key of the source in `docs/sources/accuracy.md`.
    pub source: &'static str,
}

const fn row(
    technique: &'static str,
    params_b: f64,
    before: f64,
    after: f64,
    source: &'static str,
) -> PublishedChange {
    PublishedChange {
        technique,
        params_b,
        ppl_increase: after / before - 1.0,
        source,
    }
}

/// The published rows (WikiText-2 / wiki.test perplexity).
pub const PUBLISHED: &[PublishedChange] = &[
    row("awq-int4-g128", 6.74, 5.47, 5.6, "llm-quantization"),
    row("awq-int4-g128", 13.0, 4.88, 4.97, "llm-quantization"),
    row("awq-int4-g128", 69.0, 3.32, 3.41, "llm-quantization"),
    row("gptq-int4-g128", 13.0, 4.88, 4.97, "llm-quantization"),
    row("gptq-int4-g128", 69.0, 3.32, 3.52, "llm-quantization"),
    row("gguf-q8_0", 70.6, 2.8308, 2.8316, "llama.cpp-6745"),
    row("gguf-q4_k_s", 70.6, 2.8308, 3.0050, "llama.cpp-6745"),
];

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
    if !matches!(c.architecture.attention, Attention::Mha) {
        out.push(format!("{} conversion", c.architecture.attention));
    }
    if let Moe::Sparse { .. } = c.architecture.moe {
        out.push(format!("{} conversion", c.architecture.moe));
    }
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

impl AccuracyModel {
    /// The predicted fraction of the base score `c` keeps on `s`'s model.
    pub fn predict(&self, c: &Configuration, s: &Scenario) -> AccuracyPrediction {
        let params_b = s.model.parameters as f64 / 1e9;
        let mut value = 1.0;
        let mut var = 0.0;
        let mut notes = Vec::new();
        if let Some(r) = weight_technique(c).and_then(|t| nearest(t, params_b)) {
            // Assumption: a relative perplexity rise costs the same relative score.
            value -= r.ppl_increase;
            var += r.ppl_increase.powi(2);
            notes.push(format!(
                "{}: +{:.2}% perplexity at {:.0}B ({})",
                r.technique,
                r.ppl_increase * 100.0,
                r.params_b,
                r.source
            ));
        }
        let unknown = unpublished(c);
        var += unknown.len() as f64 * self.unknown_technique_std.powi(2);
        if !unknown.is_empty() {
            notes.push(format!(
                "no published change for {} (score kept, interval widened)",
                unknown.join(", ")
            ));
        }
        AccuracyPrediction {
            value: value.clamp(0.0, 1.0),
            std: var.sqrt(),
            how: format!(
                "fraction of the unmodified model's score; relative perplexity rise taken as the same relative score loss (an assumption); {}",
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
    use aellm_space::{FineTuning, Inference, presets};

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
        c.architecture.attention = Attention::Mqa;
        c.fine_tuning = FineTuning::low_rank(FineTuneMethod::Lora, 8, 16.0);
        let p = AccuracyModel::default().predict(&c, &scenario("mistral-7b"));
        assert_eq!(p.value, 1.0);
        assert!((p.std - (2.0f64 * 0.05 * 0.05).sqrt()).abs() < 1e-12);
        assert!(p.how.contains("MQA conversion") && p.how.contains("LoRA"));
    }
}
