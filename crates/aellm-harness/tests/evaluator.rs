//! The evaluator end to end at a tiny size, for a sample of configurations
//! that covers every value of every stage.

use aellm_harness::base::BaseRecipe;
use aellm_harness::finetune::{FinetuneOptions, TrainRecipe};
use aellm_harness::metrics::{CountingAllocator, LatencyOptions};
use aellm_harness::model::{AttentionConfig, FfnConfig, ModelConfig};
use aellm_harness::tasks::{TaskSizes, Tokenizer};
use aellm_harness::{HarnessEvaluator, HarnessOptions, evaluator};
use aellm_space::*;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

fn options(dir: &std::path::Path) -> HarnessOptions {
    HarnessOptions {
        base: BaseRecipe {
            model: ModelConfig {
                vocab: Tokenizer.vocab(),
                hidden: 64,
                layers: 1,
                heads: 4,
                ffn: 128,
                attention: AttentionConfig::Standard { kv_heads: 4 },
                ffn_kind: FfnConfig::Dense,
                ..ModelConfig::tiny(Tokenizer.vocab())
            },
            train: TrainRecipe {
                steps: 20,
                batch: 8,
                ..TrainRecipe::default()
            },
            init_seed: 0,
            task_seed: 0,
            sizes: TaskSizes {
                train: 100,
                validation: 10,
                test: 10,
                recall_pairs: 6,
            },
            mixture: [1, 1, 1],
        },
        finetune: FinetuneOptions {
            recipe: TrainRecipe {
                steps: 2,
                batch: 4,
                ..TrainRecipe::default()
            },
            ..FinetuneOptions::default()
        },
        test_examples: 6,
        calibration_examples: 8,
        latency: LatencyOptions {
            warmups: 0,
            repeats: 2,
        },
        ..HarnessOptions::with_cache_dir(dir)
    }
}

fn config(
    attention: Attention,
    moe: Moe,
    ft: FineTuning,
    w: WeightPrecision,
    m: Option<QuantMethod>,
    kv: KvCache,
) -> Configuration {
    Configuration {
        architecture: Architecture { attention, moe },
        fine_tuning: ft,
        inference: Inference {
            weights: w,
            method: m,
            kv_cache: kv,
        },
    }
}

#[test]
fn every_stage_value_yields_a_valid_measurement_and_the_store_answers_repeats() {
    use Attention::*;
    use KvCache::{Full, GqaStyle, MqaStyle};
    let kv8 = KvCache::Int8;
    use QuantMethod::*;
    use WeightPrecision::*;
    let dir = tempfile::tempdir().unwrap();
    let e = HarnessEvaluator::new(options(dir.path()));
    let mut s = e.scenario();
    s.task = TaskSpec {
        name: "tiny".into(),
        kind: TaskKind::Reasoning,
        prompt_tokens: 12,
        output_tokens: 3,
        metric: TaskMetric::ExactMatch,
    };
    let full = FineTuning::full();
    let lora = FineTuning::low_rank(FineTuneMethod::Lora, 8, 16.0);
    let qlora = FineTuning::low_rank(FineTuneMethod::Qlora, 4, 8.0);
    let dense = Moe::Dense;
    let cases = [
        config(Mha, dense, full, Fp16, None, Full),
        config(
            Mqa,
            Moe::Sparse {
                experts: 2,
                top_k: 1,
            },
            full,
            Int4,
            Some(Gptq),
            kv8,
        ),
        config(
            Gqa { kv_groups: 2 },
            dense,
            lora,
            Int8,
            Some(SmoothQuant),
            MqaStyle,
        ),
        config(
            Mla { latent_dim: 32 },
            Moe::Sparse {
                experts: 4,
                top_k: 2,
            },
            qlora,
            Int4,
            Some(Awq),
            Full,
        ),
        config(Mha, dense, full, Fp8, None, GqaStyle),
        config(
            Mha,
            Moe::Sparse {
                experts: 2,
                top_k: 2,
            },
            full,
            Int8,
            Some(Rtn),
            kv8,
        ),
    ];
    for c in &cases {
        assert!(c.validate_for(&s.model).is_empty(), "{c} should be valid");
        let m = e.evaluate(c, &s).unwrap_or_else(|err| panic!("{c}: {err}"));
        m.check().unwrap();
        assert_eq!(
            m.memory_gb.provenance,
            Provenance::Measured,
            "{c}: the allocator is installed"
        );
        assert_eq!(
            m.energy_j.provenance,
            aellm_harness::metrics::EnergyMeter::detect(10.0).provenance()
        );
        for k in ["kv_cache_bytes", "weight_bytes", "ffn_macs_per_token"] {
            assert!(m.extra[k].value > 0.0, "{c}: {k}");
        }
        // Every fine-tuning method runs as itself, with its cost figures.
        assert!(!m.extra.contains_key("finetune_method_substituted"));
        for k in [
            "finetune_trainable_parameters",
            "finetune_optimizer_state_bytes",
            "finetune_peak_bytes",
            "finetune_seconds_per_step",
        ] {
            assert!(m.extra[k].value > 0.0, "{c}: {k}");
        }
        assert_eq!(
            m.extra["finetune_peak_bytes"].provenance,
            Provenance::Measured,
            "{c}: the allocator is installed"
        );
    }
    // The repeat comes from the store, identical.
    let again = e.evaluate(&cases[0], &s).unwrap();
    assert_eq!(again, e.evaluate(&cases[0], &s).unwrap());

    // Invalid and too-large are errors, never panics.
    let bad = config(Mha, dense, full, Fp16, Some(Rtn), Full);
    assert!(matches!(
        e.evaluate(&bad, &s),
        Err(EvalError::Invalid { .. })
    ));
    let mut big = s.clone();
    big.model = presets::model("llama-2-7b").unwrap();
    match e.evaluate(&cases[0], &big) {
        Err(EvalError::Unsupported { reason, .. }) => {
            assert!(reason.contains("at most 50000000"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(evaluator::space_for(&s.model).contains(&cases[3]));
}
