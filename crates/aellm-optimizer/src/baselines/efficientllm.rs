//! *EfficientLLM-recommended*: the configuration the EfficientLLM benchmark
//! (Yuan et al. 2025, arXiv 2505.13840) recommends. Its recommendations come
//! from aggregate performance across tasks, so they depend on the model's
//! size and on whether the device is constrained, never on the task or the
//! user's weights (docs/baselines.md quotes the findings used).

use super::manual::fp16_weights_gb;
use super::snap::nearest_valid;
use crate::OptimizerError;
use aellm_space::{
    Architecture, Attention, Configuration, FineTuneMethod, FineTuning, Inference, KvCache, Moe,
    QuantMethod, Scenario, Space, WeightPrecision,
};

/// "RSLoRA surpasses LoRA efficiency only beyond 14B parameters".
const RSLORA_ABOVE_BILLIONS: f64 = 14.0;

/// What the benchmark's findings ask for on this scenario, before the space
/// has its say. A constrained device (the model's FP16 weights exceed the
/// memory limit): "MQA offers optimal memory-latency trade-offs for
/// constrained devices" and "int4 quantization cuts memory/energy by up to
/// 3.9x at a 3-5% accuracy drop". Otherwise: "MLA achieves lowest
/// perplexity for quality-critical tasks" at float16. Dense FFN either way
/// (its MoE "increases VRAM by 40%"). Open choices are ours, as in
/// [`super::ManualRule::wish`]: rank 32, alpha = rank, GPTQ for INT4.
pub fn efficientllm_wish(scenario: &Scenario) -> Configuration {
    let constrained = fp16_weights_gb(scenario).is_some_and(|gb| gb > scenario.memory_limit_gb());
    let method = if scenario.model.billions() > RSLORA_ABOVE_BILLIONS {
        FineTuneMethod::Rslora
    } else {
        FineTuneMethod::Lora
    };
    let (attention, inference) = if constrained {
        (
            Attention::Mqa,
            Inference {
                weights: WeightPrecision::Int4,
                method: Some(QuantMethod::Gptq),
                kv_cache: KvCache::Full,
            },
        )
    } else {
        (Attention::Mla { latent_dim: 512 }, Inference::default())
    };
    Configuration {
        architecture: Architecture {
            attention,
            moe: Moe::Dense,
        },
        fine_tuning: FineTuning::low_rank(method, 32, 32.0),
        inference,
    }
}

/// The EfficientLLM-recommended configuration for `scenario`: its wish
/// snapped to the nearest configuration of `space` valid for the model.
///
/// ```
/// use aellm_optimizer::baselines::efficientllm_recommended;
/// use aellm_space::{presets, Scenario, Space, WeightPrecision};
///
/// let s = Scenario::new(presets::model("llama-2-7b").unwrap(),
///     presets::task("gsm8k").unwrap(), presets::hardware("a100-80gb").unwrap());
/// let c = efficientllm_recommended(&s, &Space::paper()).unwrap();
/// assert_eq!(c.inference.weights, WeightPrecision::Fp16); // 13 GB fit in 80 GB
/// ```
pub fn efficientllm_recommended(
    scenario: &Scenario,
    space: &Space,
) -> Result<Configuration, OptimizerError> {
    nearest_valid(&efficientllm_wish(scenario), space, &scenario.model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::tests::scenario;
    use aellm_space::Preferences;

    #[test]
    fn constrained_devices_get_mqa_and_int4_and_the_weights_do_not_matter() {
        let mut s = scenario("llama-2-70b", "rtx-4090");
        let c = efficientllm_recommended(&s, &Space::paper()).unwrap();
        assert_eq!(c.architecture.attention, Attention::Mqa);
        assert_eq!(c.inference.weights, WeightPrecision::Int4);
        assert_eq!(c.fine_tuning.method, FineTuneMethod::Rslora);
        assert!(Space::paper().contains(&c) && c.validate_for(&s.model).is_empty());
        s.preferences = Preferences {
            accuracy: 0.0,
            latency: 1.0,
            memory: 0.0,
            energy: 0.0,
        };
        assert_eq!(efficientllm_recommended(&s, &Space::paper()).unwrap(), c);
    }

    #[test]
    fn roomy_devices_get_mla_at_fp16_and_small_models_lora() {
        let s = scenario("llama-2-7b", "a100-80gb");
        let c = efficientllm_recommended(&s, &Space::paper()).unwrap();
        assert!(matches!(c.architecture.attention, Attention::Mla { .. }));
        assert_eq!(c.inference.weights, WeightPrecision::Fp16);
        assert_eq!(c.fine_tuning.method, FineTuneMethod::Lora);
        assert!(c.validate_for(&s.model).is_empty());
    }
}
