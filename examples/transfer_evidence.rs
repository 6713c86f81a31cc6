//! Transfer across models (the paper's section 3.5): how many evaluations
//! of the target a run warm-started from a smaller model's study needs to
//! reach the hypervolume a cold start reaches with its whole budget.
//!
//! ```sh
//! cargo run --release --example transfer_evidence              # 10 seeds, budget 50
//! cargo run --release --example transfer_evidence -- 20 100    # seeds, budget
//! cargo run --release --example transfer_evidence -- 5 50 phi-2 # only these held-out scenarios
//! ```
//! For each held-out scenario (`experiment::scenarios::HELD_OUT`) the
//! source is another model on the same hardware and task (a smaller one
//! where the paper's grid has one). The source's study is one cold AE-LLM
//! run of 100 evaluations on it; the warm start's surrogates are fitted on
//! its successes. Then, per seed, a cold run and a warm-started run on the
//! target, each with the whole budget. The hypervolume after each
//! evaluation is taken in objectives normalised over both runs' evaluations
//! (reference 1.1); "to reach" is the first evaluation after which a run's
//! front has the cold run's final hypervolume. Studies go under
//! `$TMPDIR/aellm-transfer/`. Every figure is the cost model's prediction.

use aellm::costmodel::CostModel;
use aellm::optimizer::experiment::Quartiles;
use aellm::optimizer::experiment::progress::{evaluations_to_reach, hypervolume_by_evaluation};
use aellm::optimizer::experiment::scenarios::HELD_OUT;
use aellm::optimizer::observer::Silent;
use aellm::optimizer::scoring::Normaliser;
use aellm::optimizer::study::SqliteStudy;
use aellm::optimizer::transfer::{TransferParams, WarmStart};
use aellm::optimizer::{AeLlm, AeLlmParams};
use aellm::space::{Objectives, Scenario, Space, presets};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::PathBuf;

/// The source model of each held-out scenario, on the target's hardware and task.
const SOURCES: [(&str, &str); 8] = [
    ("llama-2-1b", "qwen-1.8b"),
    ("phi-2", "tinyllama-1.1b"),
    ("llama-2-7b", "tinyllama-1.1b"),
    ("mistral-7b", "llama-2-7b"),
    ("llama-3-8b", "llama-2-7b"),
    ("llama-2-70b", "llama-2-7b"),
    ("mixtral-8x7b", "mistral-7b"),
    ("qwen-72b", "qwen-7b"),
];

/// Evaluations of the source's study.
const SOURCE_BUDGET: usize = 100;

fn study(name: &str) -> Result<SqliteStudy> {
    let dir: PathBuf = std::env::temp_dir().join("aellm-transfer");
    std::fs::create_dir_all(&dir)?;
    Ok(SqliteStudy::open(dir.join(format!("{name}.sqlite")))?)
}

/// One seed: (evaluations for the cold run to reach its final HV, for the
/// warm run to reach it (None: never), cold final HV, warm final HV).
fn one_seed(
    target: &Scenario,
    name: &str,
    warm: &WarmStart,
    budget: usize,
    seed: u64,
) -> Result<(usize, Option<usize>, f64, f64)> {
    let (e, space) = (CostModel::default(), Space::paper());
    let params = AeLlmParams {
        budget,
        seed,
        ..Default::default()
    };
    let cold = AeLlm::new(params.clone()).run(
        &e,
        target,
        &space,
        &study(&format!("{name}-cold-b{budget}-s{seed}"))?,
        &Silent,
    )?;
    let warm_run = AeLlm::new(params).warm_start(warm.clone()).run(
        &e,
        target,
        &space,
        &study(&format!("{name}-warm-b{budget}-s{seed}"))?,
        &Silent,
    )?;
    let all: Vec<Objectives> = cold
        .evaluations
        .iter()
        .chain(&warm_run.evaluations)
        .filter_map(|e| e.measurement())
        .map(|m| m.objectives())
        .collect();
    let norm = Normaliser::fit(&all).context("nothing evaluated")?;
    let c = hypervolume_by_evaluation(&cold.evaluations, target, &norm);
    let w = hypervolume_by_evaluation(&warm_run.evaluations, target, &norm);
    let goal = *c.last().context("empty cold run")?;
    let n_cold = evaluations_to_reach(&c, goal).unwrap_or(c.len());
    Ok((
        n_cold,
        evaluations_to_reach(&w, goal),
        goal,
        *w.last().unwrap_or(&0.0),
    ))
}

fn q(v: &[f64]) -> String {
    Quartiles::of(v).map_or("-".into(), |q| {
        format!("{:.1} [{:.1}, {:.1}]", q.median, q.q1, q.q3)
    })
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args
        .first()
        .map_or(Ok(10), |s| s.parse())
        .context("SEEDS: a count")?;
    let budget: usize = args
        .get(1)
        .map_or(Ok(50), |s| s.parse())
        .context("BUDGET: evaluations")?;
    let bar = ProgressBar::new(HELD_OUT.len() as u64 * seeds).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds, {elapsed} (eta {eta}) {msg}")?,
    );
    println!(
        "{:<13} {:<16} {:>9} {:>17} {:>17} {:>9} {:>17}",
        "target", "source", "reached", "cold: evals", "warm: evals", "ratio", "warm HV / cold HV"
    );
    let mut ratios_all = Vec::new();
    let only: Vec<&String> = args.iter().skip(2).collect();
    for (h, (_, source_model)) in HELD_OUT.iter().zip(SOURCES) {
        if !only.is_empty() && !only.iter().any(|n| *n == h.name) {
            continue;
        }
        bar.set_message(h.name);
        let target = h.scenario()?;
        let mut source = target.clone();
        source.model = presets::model(source_model)?;
        let src = AeLlm::new(AeLlmParams {
            budget: SOURCE_BUDGET,
            ..Default::default()
        })
        .run(
            &CostModel::default(),
            &source,
            &Space::paper(),
            &study(&format!("source-{source_model}-for-{}", h.name))?,
            &Silent,
        )?;
        let warm =
            WarmStart::from_evaluations(&src.evaluations, &source, &TransferParams::default())?;
        let rows: Vec<_> = (0..seeds)
            .into_par_iter()
            .map(|seed| {
                let r = one_seed(&target, h.name, &warm, budget, seed);
                bar.inc(1);
                r
            })
            .collect::<Result<_>>()?;
        let reached: Vec<&(usize, Option<usize>, f64, f64)> =
            rows.iter().filter(|r| r.1.is_some()).collect();
        let cold: Vec<f64> = rows.iter().map(|r| r.0 as f64).collect();
        // A warm run that never reaches the goal counts as needing the whole budget.
        let warm_n: Vec<f64> = rows
            .iter()
            .map(|r| r.1.map_or(budget as f64, |n| n as f64))
            .collect();
        let ratios: Vec<f64> = cold.iter().zip(&warm_n).map(|(c, w)| c / w).collect();
        let hv: Vec<f64> = rows.iter().map(|r| r.3 / r.2).collect();
        ratios_all.extend(&ratios);
        bar.suspend(|| {
            println!(
                "{:<13} {:<16} {:>9} {:>17} {:>17} {:>9} {:>17}",
                h.name,
                source_model,
                format!("{}/{}", reached.len(), rows.len()),
                q(&cold),
                q(&warm_n),
                Quartiles::of(&ratios).map_or("-".into(), |q| format!("{:.2}x", q.median)),
                Quartiles::of(&hv).map_or("-".into(), |q| format!("{:.3}", q.median)),
            )
        });
    }
    bar.finish_and_clear();
    let all = Quartiles::of(&ratios_all).context("no runs")?;
    println!(
        "\nmedian over every (scenario, seed): the warm start needs {:.2}x fewer evaluations [q1 {:.2}, q3 {:.2}] to reach the cold start's hypervolume at budget {budget} (predicted by the cost model; a warm run that never reaches it counts as the whole budget)",
        all.median, all.q1, all.q3
    );
    Ok(())
}
