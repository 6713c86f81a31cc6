//! The harness evaluator on a real checkpoint (SmolLM2-135M-Instruct by
//! default): how long one full configuration evaluation takes (conversion,
//! fine-tune, quantization, all four objectives), how long the same takes
//! when its converted and fine-tuned weights are cached, and the
//! multiple-choice accuracy after each fine-tuning method against the base.
//!
//! ```text
//! scripts/fetch-model.sh smollm2-135m && bash scripts/fetch-data.sh   # once
//! cargo run --release --example real_model_eval                      # or: -- MODEL RUNS [all|timings|methods]
//! ```
//! The evaluation sizes are `RealOptions::default()` (printed first). The
//! timings are wall-clock on this machine with whatever else runs on it:
//! the load average is printed next to them.

use aellm::harness::finetune::finetune_with;
use aellm::harness::metrics::CountingAllocator;
use aellm::harness::metrics::accuracy::score;
use aellm::harness::model::{CachePrecision, Transformer};
use aellm::harness::pretrained::data::{MC_CHANCE, Split, real_text, science_questions};
use aellm::harness::pretrained::{Pretrained, load};
use aellm::harness::tasks::{Example, TaskFamily};
use aellm::harness::{HarnessEvaluator, HarnessOptions, evaluator};
use aellm::space::{
    Attention, Configuration, Evaluator, FineTuneMethod, FineTuning, Inference, KvCache,
    QuantMethod, Scenario, TaskSpec, WeightPrecision,
};
use anyhow::Result;
use std::time::Instant;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// The latency shape of these timings (the scenario file's task).
const PROMPT: u32 = 128;
/// Generated tokens of the latency runs.
const OUTPUT: u32 = 32;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let model = args.next().unwrap_or_else(|| "smollm2-135m".into());
    let runs: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let device = aellm::harness::device::best();
    let p = load(&model, &device)?;
    let o = HarnessOptions::default().real;
    println!(
        "{} ({} parameters, stored as {}); evaluation sizes: {o:#?}",
        p.name,
        p.parameters(),
        p.precision.name
    );
    println!(
        "latency shape: prompt {PROMPT} + {OUTPUT} generated tokens, batch 1 (scaled down from the paper's 512 + 128)"
    );
    let part = args.next().unwrap_or_else(|| "all".into());
    if !matches!(part.as_str(), "all" | "timings" | "methods") {
        anyhow::bail!("third argument `{part}`: use all, timings or methods");
    }
    if part != "methods" {
        timings(&p, runs)?;
    }
    if part != "timings" {
        methods(&p)?;
    }
    Ok(())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// `runs` full evaluations (each a new fine-tuning rank, so nothing is
/// cached), each followed by one that differs only in its KV cache (same
/// quantizer), which reuses the stored converted and fine-tuned weights.
fn timings(p: &Pretrained, runs: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let e = HarnessEvaluator::new(HarnessOptions::with_cache_dir(dir.path()));
    let task = TaskSpec {
        prompt_tokens: PROMPT,
        output_tokens: OUTPUT,
        ..evaluator::default_task()
    };
    let s = Scenario::new(p.model_spec(), task, evaluator::this_machine(10.0));
    let (mut full, mut cached) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let rank = [8u32, 16, 32, 4, 64][i % 5];
        let mut c = Configuration {
            fine_tuning: FineTuning::low_rank(FineTuneMethod::Lora, rank, 2.0 * rank as f64),
            inference: Inference {
                weights: WeightPrecision::Int4,
                method: Some(QuantMethod::Gptq),
                kv_cache: KvCache::Full,
            },
            ..Default::default()
        };
        // MHA by repeating the checkpoint's key/value heads: a conversion that keeps the
        // function (MQA by mean-pooling them does not; see `real_model`).
        c.architecture.attention = Attention::Mha;
        for (what, times) in [("full", &mut full), ("cached", &mut cached)] {
            let (t, load) = (Instant::now(), aellm::harness::device::load_average());
            let m = e.evaluate(&c, &s)?;
            let secs = t.elapsed().as_secs_f64();
            println!(
                "  {what} {c}: {secs:.1} s (load {load}); accuracy {:.3}, latency {:.0} ms, \
                 memory {:.3} GB, energy {:.2} J ({:?}), perplexity {:.2}",
                m.accuracy.value,
                m.latency_ms.value,
                m.memory_gb.value,
                m.energy_j.value,
                m.energy_j.provenance,
                m.extra["perplexity"].value
            );
            for k in [
                "finetune_seconds",
                "quantize_seconds",
                "accuracy_seconds",
                "perplexity_seconds",
            ] {
                if let Some(f) = m.extra.get(k) {
                    println!("      {k}: {:.1}", f.value);
                }
            }
            times.push(secs);
            // The cached run: same architecture, fine-tuning and quantizer (the same
            // quantization work); only the KV cache differs, so nothing measured is reused
            // but the converted and fine-tuned weights.
            c.inference.kv_cache = KvCache::Int8;
        }
    }
    println!(
        "one full configuration evaluation: median {:.1} s of {runs}; with its tuned weights cached: median {:.1} s (measured here, load average now {})",
        median(full),
        median(cached),
        aellm::harness::device::load_average()
    );
    Ok(())
}

/// Multiple-choice accuracy on the test questions of the base and after
/// each fine-tuning method (the evaluator's fine-tune: same data, steps and
/// learning rates).
fn methods(p: &Pretrained) -> Result<()> {
    let device = aellm::harness::device::best();
    let o = HarnessOptions::default().real;
    let cfg = p.model_config()?;
    let w = p.harness_weights()?;
    let tok = &p.tokenizer;
    let test: Vec<Example> = science_questions(Split::Test)?
        .iter()
        .map(|q| q.to_example())
        .collect();
    let mc_train: Vec<Example> = science_questions(Split::Train)?
        .iter()
        .map(|q| Example {
            choices: Vec::new(),
            ..q.to_example()
        })
        .collect();
    let ids = tok.encode(&real_text(Split::Train)?)?;
    let text: Vec<Example> = ids
        .chunks_exact(o.text_tokens)
        .map(|c| {
            Ok(Example {
                prompt: String::new(),
                answer: tok.decode(c)?,
                choices: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
    let acc = |m: &Transformer| score(m, tok, TaskFamily::Choice, &test, CachePrecision::Full);
    let base = acc(&p.transformer(&device)?)?;
    let se = |a: f64| 100.0 * (a * (1.0 - a) / test.len() as f64).sqrt();
    println!(
        "\nmultiple-choice accuracy on the {} test questions (chance {:.0}%; measured):",
        test.len(),
        100.0 * MC_CHANCE
    );
    println!("  base: {:.1}% ± {:.1}", 100.0 * base, se(base));
    for method in FineTuneMethod::ALL {
        let ft = match method {
            FineTuneMethod::Full => FineTuning::full(),
            m => FineTuning::low_rank(m, 8, 16.0),
        };
        let t = Instant::now();
        let sources = [text.as_slice(), mc_train.as_slice()];
        let (tuned, _) = finetune_with(tok, &ft, cfg, &w, &sources, &o.finetune, &device)?;
        let (_vars, tuned_model) = aellm::harness::checkpoint::trainable(cfg, &tuned, &device)?;
        let a = acc(&tuned_model)?;
        println!(
            "  {ft}: {:.1}% ± {:.1} ({:+.1} points; {} steps of {} sequences, {:.0} s)",
            100.0 * a,
            se(a),
            100.0 * (a - base),
            o.finetune.recipe.steps,
            o.finetune.recipe.batch,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
