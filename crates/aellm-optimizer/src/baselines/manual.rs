//! *Manual Selection*: an expert's rules, the AE-LLM paper's section 5.6
//! guidelines, one rule picked by the scenario's binding limit and then by
//! the user's weights (docs/baselines.md gives the sources and the mapping).

use super::snap::nearest_valid;
use crate::OptimizerError;
use aellm_space::footprint::{Footprint, FootprintOptions};
use aellm_space::{
    Architecture, Attention, Configuration, FineTuneMethod, FineTuning, Inference, KvCache, Moe,
    QuantMethod, Scenario, Space, WeightPrecision,
};
use serde::{Deserialize, Serialize};

/// One of the four guidelines of the paper's section 5.6.
///
/// ```
/// use aellm_optimizer::baselines::ManualRule;
/// use aellm_space::{presets, Scenario, Space};
///
/// // Llama-2-70B in FP16 (about 138 GB of weights) does not fit a 24 GB card:
/// // memory binds, whatever the user's weights.
/// let s = Scenario::new(presets::model("llama-2-70b").unwrap(),
///     presets::task("mmlu").unwrap(), presets::hardware("rtx-4090").unwrap());
/// let (rule, c) = ManualRule::select(&s, &Space::paper()).unwrap();
/// assert_eq!(rule, ManualRule::MemoryConstrained);
/// assert!(c.validate_for(&s.model).is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManualRule {
    /// "Prioritize INT4 quantization with MQA attention; use LoRA (rank 32)".
    MemoryConstrained,
    /// "Employ MoE (4-8 experts) with GQA attention and INT8 quantization".
    LatencyCritical,
    /// "Use MLA attention at FP16 precision, combined with RSLoRA (rank 64)
    /// for larger architectures".
    AccuracyCritical,
    /// "Quantization remains the most effective lever for energy reduction,
    /// especially when paired with efficient attention variants".
    Energy,
}

/// Models up to this size are the paper's "small" class (0.5B-2B), for
/// which "full fine-tuning is often competitive" (its section 5.1); the
/// accuracy rule's RSLoRA is "for larger architectures".
const SMALL_MODEL_BILLIONS: f64 = 2.0;

impl ManualRule {
    /// The rule an expert reaches for: the scenario's binding limit first
    /// (weights that do not fit the memory limit at FP16, then a latency
    /// limit, a minimum accuracy, a power limit below the hardware's), else
    /// the objective the user weights most (ties in the order accuracy,
    /// latency, memory, energy).
    pub fn for_scenario(s: &Scenario) -> ManualRule {
        if fp16_weights_gb(s).is_some_and(|gb| gb > s.memory_limit_gb()) {
            return ManualRule::MemoryConstrained;
        }
        let c = &s.constraints;
        if c.max_latency_ms.is_some() {
            return ManualRule::LatencyCritical;
        }
        if c.min_accuracy.is_some() {
            return ManualRule::AccuracyCritical;
        }
        if s.power_limit_w() < s.hardware.power_w {
            return ManualRule::Energy;
        }
        let w = s.preferences.normalised();
        let rules = [
            ManualRule::AccuracyCritical,
            ManualRule::LatencyCritical,
            ManualRule::MemoryConstrained,
            ManualRule::Energy,
        ];
        let best = (0..4).fold(0, |b, i| if w[i] > w[b] { i } else { b });
        rules[best]
    }

    /// What the rule asks for on `model`, before the space has its say.
    /// Choices the guideline leaves open are ours and documented: GPTQ for
    /// integer weights, alpha = rank, 4 experts with top-1 routing, GQA with
    /// 8 groups, MLA with a 512 latent, the default elsewhere.
    pub fn wish(self, model_billions: f64) -> Configuration {
        let quant = |weights| Inference {
            weights,
            method: Some(QuantMethod::Gptq),
            kv_cache: KvCache::Full,
        };
        let arch = |attention, moe| Architecture { attention, moe };
        let gqa = Attention::Gqa { kv_groups: 8 };
        let (architecture, fine_tuning, inference) = match self {
            ManualRule::MemoryConstrained => (
                arch(Attention::Mqa, Moe::Dense),
                FineTuning::low_rank(FineTuneMethod::Lora, 32, 32.0),
                quant(WeightPrecision::Int4),
            ),
            ManualRule::LatencyCritical => (
                arch(
                    gqa,
                    Moe::Sparse {
                        experts: 4,
                        top_k: 1,
                    },
                ),
                FineTuning::full(),
                quant(WeightPrecision::Int8),
            ),
            ManualRule::AccuracyCritical => (
                arch(Attention::Mla { latent_dim: 512 }, Moe::Dense),
                if model_billions > SMALL_MODEL_BILLIONS {
                    FineTuning::low_rank(FineTuneMethod::Rslora, 64, 64.0)
                } else {
                    FineTuning::full()
                },
                Inference::default(),
            ),
            ManualRule::Energy => (
                arch(gqa, Moe::Dense),
                FineTuning::full(),
                quant(WeightPrecision::Int4),
            ),
        };
        Configuration {
            architecture,
            fine_tuning,
            inference,
        }
    }

    /// The rule for `scenario` and its configuration: the wish snapped to
    /// the nearest configuration of `space` valid for the model.
    pub fn select(
        scenario: &Scenario,
        space: &Space,
    ) -> Result<(ManualRule, Configuration), OptimizerError> {
        let rule = ManualRule::for_scenario(scenario);
        let wish = rule.wish(scenario.model.billions());
        Ok((rule, nearest_valid(&wish, space, &scenario.model)?))
    }
}

/// The model's weights at FP16 in the default configuration, in GB (an
/// estimate from the space's counts; `None` for a model it cannot count).
pub(crate) fn fp16_weights_gb(s: &Scenario) -> Option<f64> {
    let f = Footprint::new(
        &s.model,
        &Configuration::default(),
        FootprintOptions::default(),
    )
    .ok()?;
    Some(f.weight_bytes_at(WeightPrecision::Fp16) / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::tests::scenario;
    use aellm_space::Preferences;

    fn weights(accuracy: f64, latency: f64, memory: f64, energy: f64) -> Preferences {
        Preferences {
            accuracy,
            latency,
            memory,
            energy,
        }
    }

    #[test]
    fn memory_binds_before_any_weight() {
        let mut s = scenario("llama-2-70b", "rtx-4090");
        s.preferences = weights(1.0, 0.0, 0.0, 0.0);
        let (rule, c) = ManualRule::select(&s, &Space::paper()).unwrap();
        assert_eq!(rule, ManualRule::MemoryConstrained);
        assert_eq!(c.inference.weights, WeightPrecision::Int4);
        assert_eq!(c.architecture.attention, Attention::Mqa);
        assert_eq!(
            c.fine_tuning,
            FineTuning::low_rank(FineTuneMethod::Lora, 32, 32.0)
        );
        assert!(Space::paper().contains(&c) && c.validate_for(&s.model).is_empty());
    }

    #[test]
    fn the_heaviest_weight_picks_the_rule_when_nothing_binds() {
        let mut s = scenario("llama-2-7b", "a100-80gb");
        s.preferences = weights(0.1, 0.6, 0.2, 0.1);
        let (rule, c) = ManualRule::select(&s, &Space::paper()).unwrap();
        assert_eq!(rule, ManualRule::LatencyCritical);
        assert_eq!(c.inference.weights, WeightPrecision::Int8);
        assert!(matches!(
            c.architecture.moe,
            Moe::Sparse { experts: 4..=8, .. }
        ));
        assert!(matches!(c.architecture.attention, Attention::Gqa { .. }));
        assert!(c.validate_for(&s.model).is_empty());

        s.preferences = weights(0.7, 0.1, 0.1, 0.1);
        let (rule, c) = ManualRule::select(&s, &Space::paper()).unwrap();
        assert_eq!(rule, ManualRule::AccuracyCritical);
        assert!(matches!(c.architecture.attention, Attention::Mla { .. }));
        assert_eq!(c.inference.weights, WeightPrecision::Fp16);
        assert_eq!(c.fine_tuning.method, FineTuneMethod::Rslora);
        assert_eq!(c.fine_tuning.rank, Some(64));
        assert!(c.validate_for(&s.model).is_empty());

        s.preferences = weights(0.1, 0.1, 0.1, 0.7);
        assert_eq!(ManualRule::for_scenario(&s), ManualRule::Energy);
    }

    #[test]
    fn a_set_limit_binds_before_the_weights() {
        let mut s = scenario("llama-2-7b", "a100-80gb");
        s.preferences = weights(0.9, 0.0, 0.1, 0.0);
        s.constraints.max_latency_ms = Some(50.0);
        assert_eq!(ManualRule::for_scenario(&s), ManualRule::LatencyCritical);
        s.constraints.max_latency_ms = None;
        s.constraints.max_power_w = Some(100.0);
        assert_eq!(ManualRule::for_scenario(&s), ManualRule::Energy);
    }

    #[test]
    fn small_models_keep_full_fine_tuning_under_the_accuracy_rule() {
        let s = scenario("tinyllama-1.1b", "a100-80gb");
        let (rule, c) = ManualRule::select(&s, &Space::paper()).unwrap();
        assert_eq!(rule, ManualRule::AccuracyCritical);
        assert_eq!(c.fine_tuning, FineTuning::full());
        // Its KV width (4 x 64) admits no MLA latent of the space: the rule
        // falls back to a valid attention and keeps FP16.
        assert!(!matches!(c.architecture.attention, Attention::Mla { .. }));
        assert_eq!(c.inference.weights, WeightPrecision::Fp16);
        assert!(c.validate_for(&s.model).is_empty());
    }
}
