//! How much of the true Pareto front AE-LLM finds with a fifth of the
//! evaluations, on a space small enough to measure every configuration.
//!
//! ```sh
//! cargo run --release --example narrowed_space            # 3 seeds, 20% budget
//! cargo run --release --example narrowed_space -- 5 0.1   # seeds, budget fraction
//! cargo run --release --example narrowed_space -- 3 0.2 uncertainty  # refinement by σ alone
//! ```
//!
//! Every configuration of the narrowed space is measured once with the
//! harness on the default scenario (about 10 minutes the first time; the
//! study under `$TMPDIR/aellm-narrowed/` keeps them (one per harness version), so a
//! rerun only measures what is missing). The true front is the
//! non-dominated set of those measurements. Each method then runs against
//! a replay of them, so that it sees exactly the figures the true front was
//! computed from, and spends its budget on distinct configurations. The
//! hypervolume is taken on objectives normalised over all measurements
//! (reference point 1.1, as in the baselines table).
//!
//! Every evaluation is also written next to the study, as JSON (scenario,
//! evaluator and each configuration with its measurement or error) and as
//! CSV (one row per configuration, its four objectives or its error), for
//! other tools: `crates/aellm-optimizer/examples/surrogate_fidelity.rs`
//! measures the surrogates on the JSON.

use aellm::harness::{HarnessEvaluator, HarnessOptions};
use aellm::optimizer::observer::{PhaseObserver, Silent};
use aellm::optimizer::refinement::Acquisition;
use aellm::optimizer::runner::Runner;
use aellm::optimizer::scoring::Normaliser;
use aellm::optimizer::study::{MemoryStudy, SqliteStudy};
use aellm::optimizer::{AeLlm, AeLlmParams, feasibility, non_dominated};
use aellm::space::{
    Attention, Configuration, EvalError, Evaluation, Evaluator, FineTuneMethod, KvCache,
    Measurement, Moe, Objectives, QuantMethod, Scenario, Space, WeightPrecision,
};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use std::collections::HashMap;

#[global_allocator]
static ALLOC: aellm::harness::metrics::CountingAllocator =
    aellm::harness::metrics::CountingAllocator;

/// The default space cut down to a few hundred configurations that still
/// span every stage: four attention variants, dense or four experts,
/// full / LoRA / QLoRA at rank 8, FP16 or INT8/INT4 by RTN or GPTQ, and a
/// full or 8-bit KV cache.
fn narrowed_space() -> Space {
    let mut s = HarnessEvaluator::space();
    let mla = s
        .attention
        .iter()
        .copied()
        .find(|a| matches!(a, Attention::Mla { .. }));
    s.attention = [
        Some(Attention::Mha),
        Some(Attention::Mqa),
        Some(Attention::Gqa { kv_groups: 2 }),
        mla,
    ]
    .into_iter()
    .flatten()
    .filter(|a| s.attention.contains(a))
    .collect();
    s.moe = vec![
        Moe::Dense,
        Moe::Sparse {
            experts: 4,
            top_k: 1,
        },
    ];
    s.methods = vec![
        FineTuneMethod::Full,
        FineTuneMethod::Lora,
        FineTuneMethod::Qlora,
    ];
    s.ranks = vec![8];
    s.alpha_ratios = vec![2.0];
    s.weights = vec![
        WeightPrecision::Fp16,
        WeightPrecision::Int8,
        WeightPrecision::Int4,
    ];
    s.quant_methods = vec![QuantMethod::Rtn, QuantMethod::Gptq];
    s.kv_caches = vec![KvCache::Full, KvCache::Int8];
    s
}

/// Answers from the exhaustive measurements, so every method sees the same
/// figures the true front was computed from.
struct Replay(HashMap<Configuration, Result<Measurement, EvalError>>);

impl Evaluator for Replay {
    fn name(&self) -> String {
        "replay of the exhaustive harness measurements".into()
    }
    fn evaluate(&self, c: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
        self.0.get(c).cloned().unwrap_or_else(|| {
            Err(EvalError::Unsupported {
                evaluator: self.name(),
                reason: format!("{c} is outside the narrowed space"),
            })
        })
    }
}

/// One bar over the exhaustive measurement.
struct Bar(ProgressBar);

impl PhaseObserver for Bar {
    fn evaluated(&self, e: &Evaluation, reused: bool) {
        self.0.set_message(format!(
            "{}{}",
            if reused { "stored: " } else { "" },
            e.configuration
        ));
        self.0.inc(1);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Hypervolume of the feasible members of `set`.
fn hypervolume(set: &[Objectives], s: &Scenario, norm: &Normaliser) -> f64 {
    let feasible: Vec<Objectives> = set
        .iter()
        .copied()
        .filter(|o| feasibility::violations(o, s).is_empty())
        .collect();
    norm.hypervolume(&feasible)
}

/// Writes every evaluation to `<stem>.json` (scenario, evaluator, each
/// configuration with its measurement or error) and `<stem>.csv` (the four
/// objectives, or the error, per configuration); returns both paths.
fn export(
    stem: &std::path::Path,
    scenario: &Scenario,
    evaluator: &str,
    evaluations: &[Evaluation],
) -> Result<(std::path::PathBuf, std::path::PathBuf), Box<dyn std::error::Error>> {
    let json = stem.with_extension("json");
    let doc = serde_json::json!({
        "what": "every configuration of examples/narrowed_space.rs, evaluated once",
        "evaluator": evaluator,
        "scenario": scenario,
        "evaluations": evaluations,
    });
    std::fs::write(&json, serde_json::to_string_pretty(&doc)?)?;
    let csv = stem.with_extension("csv");
    let mut w = csv::Writer::from_path(&csv)?;
    w.write_record([
        "configuration",
        "accuracy",
        "latency_ms",
        "memory_gb",
        "energy_j",
        "error",
    ])?;
    for e in evaluations {
        let mut row = vec![e.configuration.to_string()];
        match &e.outcome {
            Ok(m) => {
                let o = m.objectives();
                row.extend(
                    [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j].map(|v| v.to_string()),
                );
                row.push(String::new());
            }
            Err(err) => {
                row.extend(std::iter::repeat_n(String::new(), 4));
                row.push(err.to_string());
            }
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok((json, csv))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args.first().map_or(Ok(3), |s| s.parse())?;
    let fraction: f64 = args.get(1).map_or(Ok(0.2), |s| s.parse())?;
    let acquisition = match args.get(2).map(String::as_str) {
        None | Some("hvi") => Acquisition::default(),
        Some("uncertainty") => Acquisition::Uncertainty,
        Some(other) => {
            return Err(format!("unknown acquisition `{other}`: use hvi or uncertainty").into());
        }
    };
    let scenario = HarnessEvaluator::default_scenario();
    let space = narrowed_space();
    let all = space.enumerate();
    let budget = ((all.len() as f64 * fraction).floor() as usize).max(8);
    println!(
        "narrowed space: {} configurations of the default scenario ({} on {}); budget {budget} ({:.0}%) per method, {seeds} seed(s)",
        all.len(),
        scenario.model.name,
        scenario.hardware.name,
        100.0 * budget as f64 / all.len() as f64
    );

    // The ground truth: every configuration, measured once and kept.
    let harness = HarnessEvaluator::new(HarnessOptions::default());
    let dir = std::env::temp_dir().join("aellm-narrowed");
    std::fs::create_dir_all(&dir)?;
    // One file per harness version and options: a harness that measures
    // differently measures afresh.
    let version: String = harness
        .name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let study = SqliteStudy::open(dir.join(format!("exhaustive-{version}.sqlite")))?;
    let bar = ProgressBar::new(all.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "measuring all [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta} {wide_msg}",
    )?);
    let truth = Runner::new(&harness, &study, &scenario, &Bar(bar.clone()), None)
        .measure(&all, "exhaustive")?
        .evaluations;
    bar.finish();
    let (json, csv) = export(
        &dir.join(format!("exhaustive-{version}")),
        &scenario,
        &harness.name(),
        &truth,
    )?;
    println!(
        "all {} evaluations written to {} and {}",
        truth.len(),
        json.display(),
        csv.display()
    );
    let measured: Vec<Objectives> = truth
        .iter()
        .filter_map(|e| e.measurement())
        .map(|m| m.objectives())
        .collect();
    let failed = truth.len() - measured.len();
    let norm = Normaliser::fit(&measured).ok_or("no configuration could be measured")?;
    let true_hv = hypervolume(&measured, &scenario, &norm);
    let true_front = non_dominated(&measured, |o| *o).len();
    println!(
        "true front: {true_front} of {} measured configurations ({failed} failed), hypervolume {true_hv:.4}",
        measured.len()
    );
    let replay = Replay(
        truth
            .into_iter()
            .map(|e| (e.configuration, e.outcome))
            .collect(),
    );

    println!(
        "\n{:>4} {:>14} {:>8} {:>14} {:>8}",
        "seed", "AE-LLM HV/true", "evals", "random HV/true", "evals"
    );
    let (mut ours, mut random) = (Vec::new(), Vec::new());
    for seed in 0..seeds {
        let params = AeLlmParams {
            budget,
            seed,
            acquisition,
            ..Default::default()
        };
        let result =
            AeLlm::new(params).run(&replay, &scenario, &space, &MemoryStudy::new(), &Silent)?;
        let found: Vec<Objectives> = result
            .evaluations
            .iter()
            .filter_map(|e| e.measurement())
            .map(|m| m.objectives())
            .collect();
        let r_ours = hypervolume(&found, &scenario, &norm) / true_hv;

        // Random search at the same budget, from the same measurements.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut shuffled = all.clone();
        shuffled.shuffle(&mut rng);
        let picked: Vec<Objectives> = shuffled
            .iter()
            .take(budget)
            .filter_map(|c| replay.evaluate(c, &scenario).ok())
            .map(|m| m.objectives())
            .collect();
        let r_random = hypervolume(&picked, &scenario, &norm) / true_hv;
        println!(
            "{seed:>4} {r_ours:>14.4} {:>8} {r_random:>14.4} {budget:>8}",
            result.evaluations.len()
        );
        ours.push(r_ours);
        random.push(r_random);
    }
    println!(
        "\nmedian over {seeds} seed(s): AE-LLM reaches {:.1}% of the true front's hypervolume with {budget} of {} evaluations ({:.0}%); random search {:.1}%",
        100.0 * median(ours),
        all.len(),
        100.0 * budget as f64 / all.len() as f64,
        100.0 * median(random)
    );
    Ok(())
}
