//! Is AE-LLM better than the simpler ways of choosing, and what is each of
//! its parts worth? Every method and ablation on the same scenarios, seeds
//! and budgets, through the cost model (milliseconds an evaluation), with
//! medians, inter-quartile ranges and a paired test.
//!
//! ```sh
//! cargo run --release --example method_evidence                     # 5 seeds, budget 24, held-out scenarios
//! cargo run --release --example method_evidence -- 20 24,50,100     # seeds, budgets
//! cargo run --release --example method_evidence -- 20 50 --ablations
//! cargo run --release --example method_evidence -- 5 50 --tuning    # the tuning scenarios instead
//! cargo run --release --example method_evidence -- 20 50 --true-front
//! cargo run --release --example method_evidence -- 5 24 examples/scenarios/paper/phi-2.toml
//! ```
//! The scenarios are `experiment::scenarios::HELD_OUT` (the paper's Table
//! 2, which no tuning reads) unless `--tuning` or files are given. For each
//! scenario and budget, each seed runs AE-LLM and the baselines (default,
//! best single-stage, random search, Manual Selection,
//! EfficientLLM-recommended), and with `--ablations` every ablation of
//! `experiment::ablations`, through one SQLite study per (scenario, budget,
//! seed) under `$TMPDIR/aellm-evidence/`, so every evaluation is on disk
//! (and a rerun reads it back). Seeds run side by side, one per core.
//! The table gives, per method, the hypervolume of its evaluated front
//! (objectives normalised over everything the table's methods evaluated in
//! that seed, reference 1.1) and its efficiency score against the default,
//! as median [q1, q3] over seeds, and the two-sided Wilcoxon signed-rank
//! test of AE-LLM's hypervolume against the method's, paired by seed. The
//! ablations get their own table, normalised over AE-LLM and the ablations
//! (with `--true-front`, as shares of the true front).
//! With `--true-front`, every configuration of the scenario's space is
//! evaluated once (65,702 in the paper's space; seconds with the cost
//! model) and a third table gives each method's share of that true front's
//! hypervolume (objectives normalised over the whole space), which does not
//! depend on what the other methods found.
//! Every figure is the cost model's prediction, not a measurement.

#[path = "method_evidence/table.rs"]
mod table;

use aellm::costmodel::CostModel;
use aellm::optimizer::baselines::{BaselineRuns, compare, run_baselines};
use aellm::optimizer::experiment::ablations::ablations;
use aellm::optimizer::experiment::scenarios::{HELD_OUT, TUNING};
use aellm::optimizer::experiment::truth::TrueFront;
use aellm::optimizer::observer::Silent;
use aellm::optimizer::study::SqliteStudy;
use aellm::optimizer::{AeLlm, AeLlmParams, BaselineRow};
use aellm::space::{Scenario, Space};
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

/// What the command line asked for.
struct Plan {
    seeds: u64,
    budgets: Vec<usize>,
    ablations: bool,
    true_front: bool,
    /// (short name, scenario).
    scenarios: Vec<(String, Scenario)>,
}

fn plan() -> Result<Plan> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let seeds = rest
        .first()
        .map_or(Ok(5), |s| s.parse())
        .context("SEEDS: a count, e.g. 20")?;
    let budgets = rest
        .get(1)
        .map_or("24", |s| s.as_str())
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<usize>, _>>()
        .context("BUDGETS: comma-separated evaluation counts, e.g. 24,50,100")?;
    let named = if flag("--tuning") {
        &TUNING[..]
    } else {
        &HELD_OUT[..]
    };
    let scenarios = if rest.len() > 2 {
        rest[2..]
            .iter()
            .map(|p| {
                let path = PathBuf::from(p);
                let stem = path
                    .file_stem()
                    .map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
                Ok((
                    stem,
                    Scenario::from_path(&path).with_context(|| p.to_string())?,
                ))
            })
            .collect::<Result<Vec<_>>>()?
    } else {
        named
            .iter()
            .map(|n| Ok((n.name.to_string(), n.scenario()?)))
            .collect::<Result<Vec<_>>>()?
    };
    if seeds < 1 || budgets.is_empty() {
        bail!("give at least one seed and one budget");
    }
    Ok(Plan {
        seeds,
        budgets,
        ablations: flag("--ablations"),
        true_front: flag("--true-front"),
        scenarios,
    })
}

/// One seed's tables: AE-LLM with the baselines, and with the ablations.
struct SeedRows {
    main: Vec<BaselineRow>,
    ablations: Vec<BaselineRow>,
    /// `main` with each hypervolume replaced by its share of the true front's.
    shares: Vec<BaselineRow>,
}

fn one_seed(
    scenario: &Scenario,
    stem: &str,
    budget: usize,
    seed: u64,
    with_ablations: bool,
    truth: Option<&TrueFront>,
) -> Result<SeedRows> {
    let dir = std::env::temp_dir().join("aellm-evidence");
    std::fs::create_dir_all(&dir)?;
    let study = SqliteStudy::open(dir.join(format!("{stem}-b{budget}-s{seed}.sqlite")))?;
    let evaluator = CostModel::default();
    let space = Space::paper();
    let params = AeLlmParams {
        budget,
        seed,
        ..Default::default()
    };
    let full = AeLlm::new(params.clone()).run(&evaluator, scenario, &space, &study, &Silent)?;
    let mut main = full.clone();
    let b = run_baselines(&evaluator, scenario, &space, &study, &Silent, budget, seed)?;
    compare(&mut main, &b)?;
    let mut rows = SeedRows {
        shares: truth.map_or(Vec::new(), |t| table::shares(&main, scenario, t)),
        main: main.baselines,
        ablations: Vec::new(),
    };
    if with_ablations {
        let mut runs = BaselineRuns::default();
        for a in ablations(&params) {
            let r = AeLlm::new(a.params).run(&evaluator, scenario, &space, &study, &Silent)?;
            runs.runs.push((a.name, r.evaluations));
        }
        let mut full = full;
        compare(&mut full, &runs)?;
        // AE-LLM's own row first, the ablations after it.
        full.baselines.rotate_right(1);
        rows.ablations = match truth {
            Some(t) => table::shares(&full, scenario, t),
            None => full.baselines,
        };
    }
    Ok(rows)
}

fn main() -> Result<()> {
    let plan = plan()?;
    let runs = plan.scenarios.len() * plan.budgets.len() * plan.seeds as usize;
    let bar = ProgressBar::new(runs as u64).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} seeds, {elapsed} (eta {eta}) {msg}",
    )?);
    let start = Instant::now();
    let (mut main_tally, mut ablation_tally) = (table::Tally::default(), table::Tally::default());
    let mut share_tally = table::Tally::default();
    for (stem, scenario) in &plan.scenarios {
        let truth = if plan.true_front {
            Some(bar.suspend(|| {
                TrueFront::evaluate(&CostModel::default(), scenario, &Space::paper())
            })?)
        } else {
            None
        };
        for &budget in &plan.budgets {
            bar.set_message(format!("{stem}, budget {budget}"));
            let per_seed: Vec<SeedRows> = (0..plan.seeds)
                .into_par_iter()
                .map(|seed| {
                    let r = one_seed(scenario, stem, budget, seed, plan.ablations, truth.as_ref());
                    bar.inc(1);
                    r
                })
                .collect::<Result<_>>()?;
            let title = format!(
                "{stem}: {} on {}, budget {budget}, {} seeds (median [q1, q3]; predicted by the cost model)",
                scenario.model.name, scenario.hardware.name, plan.seeds
            );
            let main: Vec<_> = per_seed.iter().map(|r| r.main.clone()).collect();
            main_tally.add(bar.suspend(|| table::print(&title, &main))?);
            if plan.true_front {
                let shares: Vec<_> = per_seed.iter().map(|r| r.shares.clone()).collect();
                let t = format!("{title}: \"hypervolume\" is the share of the true front's");
                share_tally.add(bar.suspend(|| table::print(&t, &shares))?);
            }
            if plan.ablations {
                let abl: Vec<_> = per_seed.iter().map(|r| r.ablations.clone()).collect();
                ablation_tally
                    .add(bar.suspend(|| table::print(&format!("{title}: ablations"), &abl))?);
            }
        }
    }
    bar.finish_and_clear();
    main_tally.print("each baseline");
    if plan.true_front {
        share_tally.print("each baseline, as shares of the true front");
    }
    if plan.ablations {
        ablation_tally.print("each ablation");
    }
    println!("{runs} seed runs in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
