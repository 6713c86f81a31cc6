//! How much of the true Pareto front AE-LLM finds with a fifth of the
//! evaluations, on a space small enough to measure every configuration.
//!
//! ```sh
//! cargo run --release --example narrowed_space                 # 20 seeds, 20% budget
//! cargo run --release --example narrowed_space -- 5 0.1        # seeds, budget fraction
//! cargo run --release --example narrowed_space -- 20 24,50,100 # seeds, budgets (counts)
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
//! (reference point 1.1, as in the baselines table). For each budget, every
//! method (AE-LLM and the baselines of `aellm_optimizer::baselines`) runs
//! once per seed, seeds side by side; the table gives median [q1, q3] of
//! each method's share of the true front's hypervolume, of its efficiency
//! score, and AE-LLM's paired Wilcoxon test against it. The narrowed
//! space is reported on, never tuned on (the defaults come from
//! `examples/tune_defaults.rs` on the tuning scenarios).
//!
//! Every evaluation is also written next to the study, as JSON (scenario,
//! evaluator and each configuration with its measurement or error) and as
//! CSV (one row per configuration, its four objectives or its error), for
//! other tools: `crates/aellm-optimizer/examples/surrogate_fidelity.rs`
//! measures the surrogates on the JSON.

#[path = "method_evidence/table.rs"]
#[allow(dead_code)]
mod table;

use aellm::harness::{HarnessEvaluator, HarnessOptions};
use aellm::optimizer::BaselineRow;
use aellm::optimizer::baselines::{compare, run_baselines};
use aellm::optimizer::experiment::Quartiles;
use aellm::optimizer::experiment::truth::TrueFront;
use aellm::optimizer::observer::{PhaseObserver, Silent};
use aellm::optimizer::refinement::Acquisition;
use aellm::optimizer::runner::Runner;
use aellm::optimizer::study::{MemoryStudy, SqliteStudy};
use aellm::optimizer::{AeLlm, AeLlmParams, non_dominated};
use aellm::space::{
    Attention, Configuration, EvalError, Evaluation, Evaluator, FineTuneMethod, KvCache,
    Measurement, Moe, Objectives, QuantMethod, Scenario, Space, WeightPrecision,
};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
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

/// Budgets from the command line: a fraction of the space (≤ 1) or counts.
fn budgets(arg: Option<&String>, size: usize) -> Result<Vec<usize>, Box<dyn std::error::Error>> {
    arg.map_or("0.2", |s| s.as_str())
        .split(',')
        .map(|b| {
            let x: f64 = b.parse().map_err(|_| {
                format!("budget `{b}`: a fraction of the space (0.2) or a count (50)")
            })?;
            Ok(if x <= 1.0 {
                ((size as f64 * x).floor() as usize).max(8)
            } else {
                x as usize
            })
        })
        .collect()
}

/// Every method's row in one seed, each row's hypervolume replaced by its
/// share of the true front's.
fn one_seed(
    replay: &Replay,
    scenario: &Scenario,
    space: &Space,
    params: AeLlmParams,
    truth: &TrueFront,
) -> Result<Vec<BaselineRow>, String> {
    let study = MemoryStudy::new();
    let (budget, seed) = (params.budget, params.seed);
    let err = |e: aellm::optimizer::OptimizerError| e.to_string();
    let mut r = AeLlm::new(params)
        .run(replay, scenario, space, &study, &Silent)
        .map_err(err)?;
    let b = run_baselines(replay, scenario, space, &study, &Silent, budget, seed).map_err(err)?;
    compare(&mut r, &b).map_err(err)?;
    Ok(table::shares(&r, scenario, truth))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args.first().map_or(Ok(20), |s| s.parse())?;
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
    let budgets = budgets(args.get(1), all.len())?;
    println!(
        "narrowed space: {} configurations of the default scenario ({} on {}); budgets {budgets:?} per method, {seeds} seed(s)",
        all.len(),
        scenario.model.name,
        scenario.hardware.name,
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
    let front = TrueFront::from_objectives(&measured, &scenario)
        .ok_or("no configuration could be measured")?;
    let true_hv = front.hypervolume;
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

    for budget in budgets {
        let bar = ProgressBar::new(seeds).with_style(ProgressStyle::with_template(
            "{bar:40} {pos}/{len} seeds, {elapsed} (eta {eta})",
        )?);
        let per_seed: Vec<Vec<BaselineRow>> = (0..seeds)
            .into_par_iter()
            .map(|seed| {
                let params = AeLlmParams {
                    budget,
                    seed,
                    acquisition,
                    ..Default::default()
                };
                let r = one_seed(&replay, &scenario, &space, params, &front);
                bar.inc(1);
                r
            })
            .collect::<Result<_, String>>()?;
        bar.finish_and_clear();
        let title = format!(
            "budget {budget} of {} ({:.0}%), {seeds} seeds; \"hypervolume\" is the share of the true front's (replayed harness measurements)",
            all.len(),
            100.0 * budget as f64 / all.len() as f64
        );
        table::print(&title, &per_seed).map_err(|e| e.to_string())?;
        let share = Quartiles::of(&table::series(&per_seed, "AE-LLM", |r| r.hypervolume));
        if let Some(q) = share {
            println!(
                "median over {seeds} seed(s): AE-LLM reaches {:.1}% of the true front's hypervolume with {budget} of {} evaluations ({:.0}%)",
                100.0 * q.median,
                all.len(),
                100.0 * budget as f64 / all.len() as f64
            );
        }
    }
    Ok(())
}
