//! Chooses the method's defaults on the tuning scenarios only
//! (`experiment::scenarios::TUNING`, models outside the paper's Table 2),
//! so that what the README reports on the held-out scenarios was not tuned
//! on them.
//!
//! ```sh
//! cargo run --release --example tune_defaults              # 5 seeds, budget 50
//! cargo run --release --example tune_defaults -- 10 24     # seeds, budget
//! ```
//! Each seed of each tuning scenario runs the current defaults ("AE-LLM"),
//! each candidate setting, and random search at the same budget through the
//! cost model, one SQLite study per (scenario, budget, seed) under
//! `$TMPDIR/aellm-tuning/`. Per scenario it prints median [q1, q3] of each
//! candidate's share of the true front's hypervolume (every configuration
//! of the space evaluated once, `experiment::truth`) and the paired test
//! against the defaults; at the end, each candidate's median over every
//! (scenario, seed) of its share minus the defaults'. Every figure is the
//! cost model's prediction.

#[path = "method_evidence/table.rs"]
mod table;

use aellm::costmodel::CostModel;
use aellm::optimizer::baselines::{BaselineRuns, compare};
use aellm::optimizer::experiment::Quartiles;
use aellm::optimizer::experiment::scenarios::TUNING;
use aellm::optimizer::experiment::truth::TrueFront;
use aellm::optimizer::observer::Silent;
use aellm::optimizer::refinement::Acquisition;
use aellm::optimizer::study::SqliteStudy;
use aellm::optimizer::{AeLlm, AeLlmParams, BaselineRow};
use aellm::space::{Scenario, Space};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

/// The settings tried against the defaults, each one change.
fn candidates(base: &AeLlmParams) -> Vec<(String, AeLlmParams)> {
    let mut v = Vec::new();
    for f in [0.2, 0.3, 0.4, 0.5, 0.6] {
        if f == base.initial_fraction {
            continue;
        }
        v.push((
            format!("initial fraction {f}"),
            AeLlmParams {
                initial_fraction: f,
                ..base.clone()
            },
        ));
    }
    for kappa in [0.0, 1.0, 2.0] {
        let a = Acquisition::HypervolumeImprovement { kappa };
        if a == base.acquisition {
            continue;
        }
        v.push((
            format!("refinement kappa {kappa}"),
            AeLlmParams {
                acquisition: a,
                ..base.clone()
            },
        ));
    }
    v.push((
        "random search".into(),
        AeLlmParams {
            use_surrogates: false,
            ..base.clone()
        },
    ));
    v
}

fn one_seed(
    scenario: &Scenario,
    stem: &str,
    budget: usize,
    seed: u64,
    truth: &TrueFront,
) -> Result<Vec<BaselineRow>> {
    let dir = std::env::temp_dir().join("aellm-tuning");
    std::fs::create_dir_all(&dir)?;
    let study = SqliteStudy::open(dir.join(format!("{stem}-b{budget}-s{seed}.sqlite")))?;
    let (evaluator, space) = (CostModel::default(), Space::paper());
    let base = AeLlmParams {
        budget,
        seed,
        ..Default::default()
    };
    let mut r = AeLlm::new(base.clone()).run(&evaluator, scenario, &space, &study, &Silent)?;
    let mut runs = BaselineRuns::default();
    for (name, p) in candidates(&base) {
        runs.runs.push((
            name,
            AeLlm::new(p)
                .run(&evaluator, scenario, &space, &study, &Silent)?
                .evaluations,
        ));
    }
    compare(&mut r, &runs)?;
    r.baselines.rotate_right(1);
    Ok(table::shares(&r, scenario, truth))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args
        .first()
        .map_or(Ok(5), |s| s.parse())
        .context("SEEDS: a count")?;
    let budget: usize = args
        .get(1)
        .map_or(Ok(50), |s| s.parse())
        .context("BUDGET: evaluations")?;
    let bar = ProgressBar::new(TUNING.len() as u64 * seeds).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds, {elapsed} (eta {eta}) {msg}")?,
    );
    let mut all: Vec<Vec<BaselineRow>> = Vec::new();
    let mut tally = table::Tally::default();
    for t in &TUNING {
        let scenario = t.scenario()?;
        bar.set_message(t.name);
        let truth = TrueFront::evaluate(&CostModel::default(), &scenario, &Space::paper())?;
        let per_seed: Vec<Vec<BaselineRow>> = (0..seeds)
            .into_par_iter()
            .map(|seed| {
                let r = one_seed(&scenario, t.name, budget, seed, &truth);
                bar.inc(1);
                r
            })
            .collect::<Result<_>>()?;
        let title = format!(
            "{} (tuning): {} on {}, {}, budget {budget}, {seeds} seeds; \"hypervolume\" is the share of the true front's (predicted by the cost model)",
            t.name, scenario.model.name, scenario.hardware.name, scenario.task.name
        );
        tally.add(bar.suspend(|| table::print(&title, &per_seed))?);
        all.extend(per_seed);
    }
    bar.finish_and_clear();
    tally.print("each candidate (the current defaults are the AE-LLM row)");
    println!(
        "\nOver all {} tuning (scenario, seed) cells: share of the true front minus the defaults' (median [q1, q3]):",
        all.len()
    );
    let ours = table::series(&all, "AE-LLM", |r| r.hypervolume);
    for row in all[0].iter().skip(1) {
        let theirs = table::series(&all, &row.method, |r| r.hypervolume);
        let d: Vec<f64> = theirs.iter().zip(&ours).map(|(t, o)| t - o).collect();
        let q = Quartiles::of(&d);
        println!(
            "  {:<28} {}",
            row.method,
            q.map_or("-".into(), |q| format!(
                "{:+.4} [{:+.4}, {:+.4}]",
                q.median, q.q1, q.q3
            ))
        );
    }
    Ok(())
}
