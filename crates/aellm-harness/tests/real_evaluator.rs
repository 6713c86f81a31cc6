//! The evaluator on a real checkpoint, SmolLM2-135M-Instruct, through the
//! `Evaluator` trait at a small size: a cheap configuration measured end to
//! end, then one that differs only in its inference stage, which reuses the
//! stored converted and fine-tuned weights. Skipped with a message when the
//! model or the real text is absent; under `CI` (which fetches both) their
//! absence fails the test.

use aellm_harness::finetune::{FinetuneOptions, TrainRecipe};
use aellm_harness::metrics::{CountingAllocator, LatencyOptions};
use aellm_harness::pretrained::data::{MC_CHANCE, Split, real_text};
use aellm_harness::pretrained::{load, resolve};
use aellm_harness::{HarnessEvaluator, HarnessOptions, evaluator};
use aellm_space::*;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// Perplexity bound: the dequantized Q4_1 file reads Persuasion's test
/// chapters at about 35 (examples/real_model, 1,022 tokens); a
/// conversion-free configuration after two small LoRA steps stays under this.
const MAX_PERPLEXITY: f64 = 60.0;

/// True when the model and the text are here; false (skip) otherwise,
/// except under CI, where their absence is a failure.
fn present() -> bool {
    let missing = match (resolve("smollm2-135m"), real_text(Split::Test)) {
        (Ok(_), Ok(_)) => return true,
        (Err(e), _) => e.to_string(),
        (_, Err(e)) => e.to_string(),
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "CI fetches the model and the text (scripts/fetch-model.sh, scripts/fetch-data.sh): {missing}"
    );
    eprintln!("skipped: {missing}");
    false
}

fn options(dir: &std::path::Path) -> HarnessOptions {
    let mut o = HarnessOptions::with_cache_dir(dir);
    o.real.finetune = FinetuneOptions {
        recipe: TrainRecipe {
            steps: 2,
            batch: 2,
            ..o.real.finetune.recipe
        },
        ..o.real.finetune
    };
    o.real.text_tokens = 64;
    o.real.mc_questions = 40;
    o.real.ppl_tokens = 1024;
    o.real.calibration_sequences = 2;
    o.real.latency = LatencyOptions {
        warmups: 0,
        repeats: 1,
    };
    o
}

#[test]
fn measures_a_real_checkpoint_with_provenance_and_reuses_its_tuned_weights() {
    if !present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let e = HarnessEvaluator::new(options(dir.path()));
    let spec = load("smollm2-135m", &candle_core::Device::Cpu)
        .unwrap()
        .model_spec();
    assert!(spec.checkpoint.is_some());
    let task = TaskSpec {
        prompt_tokens: 32,
        output_tokens: 8,
        ..evaluator::default_task()
    };
    let s = Scenario::new(spec, task, evaluator::this_machine(10.0));
    let mut c = Configuration {
        fine_tuning: FineTuning::low_rank(FineTuneMethod::Lora, 4, 8.0),
        ..Default::default()
    };
    let m = e.evaluate(&c, &s).unwrap();
    for (name, f) in [
        ("accuracy", &m.accuracy),
        ("latency", &m.latency_ms),
        ("memory", &m.memory_gb),
    ] {
        assert_eq!(f.provenance, Provenance::Measured, "{name}: {f:?}");
    }
    assert!(m.energy_j.value > 0.0, "{:?}", m.energy_j);
    // 40 questions: 0.4 is more than two standard errors above chance.
    assert!(
        m.accuracy.value > MC_CHANCE + 0.15,
        "accuracy {:?}",
        m.accuracy
    );
    let ppl = &m.extra["perplexity"];
    assert_eq!(ppl.provenance, Provenance::Measured);
    assert!(
        ppl.value.is_finite() && ppl.value > 1.0 && ppl.value < MAX_PERPLEXITY,
        "{ppl:?}"
    );
    assert!(m.latency_ms.value > 0.0 && m.memory_gb.value > 0.1);
    assert!(!m.extra.contains_key("tuned_weights_read_seconds"));

    // Only the inference stage differs: the tuned weights come from disk.
    c.inference = Inference {
        weights: WeightPrecision::Int8,
        method: Some(QuantMethod::Rtn),
        kv_cache: KvCache::Full,
    };
    let q = e.evaluate(&c, &s).unwrap();
    assert!(q.extra.contains_key("tuned_weights_read_seconds"), "{q:?}");
    assert!(
        q.extra["weight_bytes"].value < 0.7 * m.extra["weight_bytes"].value,
        "INT8 holds fewer bytes"
    );
    let q_ppl = q.extra["perplexity"].value;
    assert!(
        (q_ppl - ppl.value).abs() < 0.05 * ppl.value,
        "INT8 RTN {q_ppl} vs {}",
        ppl.value
    );
}
