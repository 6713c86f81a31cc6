//! Is AE-LLM better than the simpler ways of choosing? Every method on the
//! same scenarios, seeds and budgets, through the cost model (microseconds
//! an evaluation), with medians, inter-quartile ranges and a paired test.
//!
//! ```sh
//! cargo run --release --example method_evidence                    # 5 seeds, budget 24, the paper's 8 scenarios
//! cargo run --release --example method_evidence -- 20 24,50,100   # seeds, budgets
//! cargo run --release --example method_evidence -- 5 24 examples/scenarios/paper/phi-2.toml
//! ```
//! For each scenario and budget, each seed runs AE-LLM and the baselines
//! (default, best single-stage, random search, Manual Selection,
//! EfficientLLM-recommended) through one SQLite study per (scenario, budget,
//! seed) under `$TMPDIR/aellm-evidence/`, so every evaluation is on disk.
//! The table gives, per method, the hypervolume of its measured front
//! (objectives normalised over everything any method evaluated in that seed,
//! reference 1.1) and its efficiency score against the default, as median
//! [q1, q3] over seeds, and the two-sided Wilcoxon signed-rank test of
//! AE-LLM's hypervolume against the method's, paired by seed. Every figure
//! is the cost model's prediction, not a measurement.

use aellm::costmodel::CostModel;
use aellm::optimizer::baselines::{compare, run_baselines};
use aellm::optimizer::experiment::{Quartiles, wilcoxon_signed_rank};
use aellm::optimizer::observer::Silent;
use aellm::optimizer::study::SqliteStudy;
use aellm::optimizer::{AeLlm, AeLlmParams, BaselineRow};
use aellm::space::{Scenario, Space};
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The paper's Table 2 scenarios, in its row order.
const PAPER: [&str; 8] = [
    "llama-2-1b",
    "phi-2",
    "llama-2-7b",
    "mistral-7b",
    "llama-3-8b",
    "llama-2-70b",
    "mixtral-8x7b",
    "qwen-72b",
];

/// What the command line asked for.
struct Plan {
    seeds: u64,
    budgets: Vec<usize>,
    scenarios: Vec<PathBuf>,
}

fn plan() -> Result<Plan> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds = args
        .first()
        .map_or(Ok(5), |s| s.parse())
        .context("SEEDS: a count, e.g. 20")?;
    let budgets = args
        .get(1)
        .map_or("24", String::as_str)
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<usize>, _>>()
        .context("BUDGETS: comma-separated evaluation counts, e.g. 24,50,100")?;
    let paper = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/paper");
    let scenarios: Vec<PathBuf> = if args.len() > 2 {
        args[2..].iter().map(PathBuf::from).collect()
    } else {
        PAPER
            .iter()
            .map(|s| paper.join(format!("{s}.toml")))
            .collect()
    };
    if seeds < 1 || budgets.is_empty() {
        bail!("give at least one seed and one budget");
    }
    Ok(Plan {
        seeds,
        budgets,
        scenarios,
    })
}

/// Every method's row in one seed: AE-LLM and the baselines, compared.
fn one_seed(scenario: &Scenario, stem: &str, budget: usize, seed: u64) -> Result<Vec<BaselineRow>> {
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
    let mut r = AeLlm::new(params).run(&evaluator, scenario, &space, &study, &Silent)?;
    let b = run_baselines(&evaluator, scenario, &space, &study, &Silent, budget, seed)?;
    compare(&mut r, &b)?;
    Ok(r.baselines)
}

/// A figure of one method over the seeds, in seed order (NaN where missing).
fn series(
    per_seed: &[Vec<BaselineRow>],
    method: &str,
    f: fn(&BaselineRow) -> Option<f64>,
) -> Vec<f64> {
    per_seed
        .iter()
        .map(|rows| {
            rows.iter()
                .find(|r| r.method == method)
                .and_then(f)
                .unwrap_or(f64::NAN)
        })
        .collect()
}

fn cell(q: Option<Quartiles>) -> String {
    q.map_or("-".into(), |q| {
        format!("{:.3} [{:.3}, {:.3}]", q.median, q.q1, q.q3)
    })
}

/// The table of one scenario and budget; returns, per method, whether
/// AE-LLM's hypervolume is higher at p < 0.05.
fn table(title: &str, per_seed: &[Vec<BaselineRow>]) -> Result<Vec<(String, bool)>> {
    println!("\n{title}");
    println!(
        "  {:<20} {:>26} {:>26} {:>24}",
        "method", "hypervolume", "efficiency score", "AE-LLM vs it (HV)"
    );
    let ours = series(per_seed, "AE-LLM", |r| r.hypervolume);
    let mut wins = Vec::new();
    for row in &per_seed[0] {
        let hv = series(per_seed, &row.method, |r| r.hypervolume);
        let eff = series(per_seed, &row.method, |r| r.efficiency_score);
        let test = if row.method == "AE-LLM" {
            String::new()
        } else {
            // Seeds where either run found nothing feasible drop out of the pairing.
            let (a, b): (Vec<f64>, Vec<f64>) = ours
                .iter()
                .zip(&hv)
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .unzip();
            let t = wilcoxon_signed_rank(&a, &b)?;
            let better = a.iter().zip(&b).filter(|(a, b)| a > b).count();
            wins.push((row.method.clone(), t.w_plus > t.w_minus && t.p_value < 0.05));
            let p = if t.p_value < 0.001 {
                "p < 0.001".to_string()
            } else {
                format!("p = {:.3}", t.p_value)
            };
            format!("higher in {better}/{}, {p}", a.len())
        };
        println!(
            "  {:<20} {:>26} {:>26} {:>24}",
            row.method,
            cell(Quartiles::of(&hv)),
            cell(Quartiles::of(&eff)),
            test
        );
    }
    Ok(wins)
}

fn main() -> Result<()> {
    let plan = plan()?;
    let runs = plan.scenarios.len() * plan.budgets.len() * plan.seeds as usize;
    let bar = ProgressBar::new(runs as u64).with_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} runs, {elapsed} (eta {eta}) {msg}",
    )?);
    let start = Instant::now();
    let mut tally: Vec<(String, usize, usize)> = Vec::new();
    for path in &plan.scenarios {
        let scenario = Scenario::from_path(path).with_context(|| format!("{}", path.display()))?;
        let stem = path
            .file_stem()
            .map_or("scenario".into(), |s| s.to_string_lossy());
        for &budget in &plan.budgets {
            let mut per_seed = Vec::new();
            for seed in 0..plan.seeds {
                bar.set_message(format!("{stem}, budget {budget}, seed {seed}"));
                per_seed.push(one_seed(&scenario, &stem, budget, seed)?);
                bar.inc(1);
            }
            let title = format!(
                "{stem}: {} on {}, budget {budget}, {} seeds (median [q1, q3]; predicted by the cost model)",
                scenario.model.name, scenario.hardware.name, plan.seeds
            );
            bar.suspend(|| table(&title, &per_seed))?
                .into_iter()
                .for_each(|(m, win)| match tally.iter_mut().find(|t| t.0 == m) {
                    Some(t) => (t.1, t.2) = (t.1 + usize::from(win), t.2 + 1),
                    None => tally.push((m, usize::from(win), 1)),
                });
        }
    }
    bar.finish_and_clear();
    println!("\nAE-LLM's hypervolume higher at p < 0.05 (two-sided Wilcoxon, paired by seed):");
    for (m, won, of) in &tally {
        println!("  against {m:<20} in {won} of {of} scenario-budget cells");
    }
    println!("{runs} runs in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
