//! The paper's main-results and ablation tables, measured on the default
//! scenario (the harness's small model on this machine), every method at the
//! same evaluation budget, medians over seeds.
//!
//! ```sh
//! cargo run --release --example paper_tables             # 3 seeds, budget 24
//! cargo run --release --example paper_tables -- 1 16     # seeds, budget
//! cargo run --release --example paper_tables -- paper    # Table 2's shape, paper scenarios
//! ```
//! With `paper`, the paper's Table 2 in its shape instead: each model of
//! `examples/scenarios/paper/` on its hardware, searched with the cost
//! model, the paper's own figures beside ours (labelled "paper's claim"
//! and "predicted (cost model)"), and section 5.6's hardware insights checked.
//! Measurements go through one study per seed (and the harness's own disk
//! cache), so a configuration two methods both pick is measured once.

#[path = "paper_tables/claims.rs"]
mod claims;
#[path = "paper_tables/table2.rs"]
mod table2;

use aellm::harness::{HarnessEvaluator, HarnessOptions};
use aellm::optimizer::baselines::{BaselineRuns, compare, run_baselines};
use aellm::optimizer::experiment::ablations::ablations;
use aellm::optimizer::observer::Silent;
use aellm::optimizer::study::SqliteStudy;
use aellm::optimizer::{AeLlm, AeLlmParams, AeLlmResult, BaselineRow};

#[global_allocator]
static ALLOC: aellm::harness::metrics::CountingAllocator =
    aellm::harness::metrics::CountingAllocator;

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Median over seeds of each row's figures, rows matched by method name.
fn print_table(title: &str, per_seed: &[Vec<BaselineRow>]) {
    println!("\n{title}");
    println!(
        "{:<34} {:>9} {:>11} {:>10} {:>10} {:>11} {:>8} {:>6}",
        "method", "accuracy", "latency ms", "memory MB", "energy J", "efficiency", "HV", "evals"
    );
    for row in &per_seed[0] {
        let same: Vec<&BaselineRow> = per_seed
            .iter()
            .filter_map(|rows| rows.iter().find(|r| r.method == row.method))
            .collect();
        let fig = |f: &dyn Fn(&BaselineRow) -> Option<f64>| {
            median(same.iter().filter_map(|r| f(r)).collect())
        };
        println!(
            "{:<34} {:>9.4} {:>11.2} {:>10.3} {:>10.4} {:>11.2} {:>8.4} {:>6}",
            row.method,
            fig(&|r| r.objectives.map(|o| o.accuracy)),
            fig(&|r| r.objectives.map(|o| o.latency_ms)),
            fig(&|r| r.objectives.map(|o| 1e3 * o.memory_gb)),
            fig(&|r| r.objectives.map(|o| o.energy_j)),
            fig(&|r| r.efficiency_score),
            fig(&|r| r.hypervolume),
            row.evaluations
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "paper") {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/paper");
        let seed: u64 = args.get(1).map_or(Ok(0), |s| s.parse())?;
        table2::run(&dir, seed)?;
        return table2::insights(&dir, seed);
    }
    let seeds: u64 = args.first().map_or(Ok(3), |s| s.parse())?;
    let budget: usize = args.get(1).map_or(Ok(24), |s| s.parse())?;
    let evaluator = HarnessEvaluator::new(HarnessOptions::default());
    let scenario = HarnessEvaluator::default_scenario();
    let space = HarnessEvaluator::space();
    let dir = std::env::temp_dir().join("aellm-paper-tables");
    std::fs::create_dir_all(&dir)?;
    println!(
        "default scenario: {} on {} ({}), budget {budget} per method, {seeds} seed(s); energy on a CPU without RAPL is estimated",
        scenario.model.name, scenario.hardware.name, scenario.task.name
    );

    let mut main_rows = Vec::new();
    let mut ablation_rows = Vec::new();
    for seed in 0..seeds {
        let study = SqliteStudy::open(dir.join(format!("study-seed{seed}.sqlite")))?;
        let base = AeLlmParams {
            budget,
            seed,
            ..Default::default()
        };
        let run = |p: AeLlmParams| -> Result<AeLlmResult, Box<dyn std::error::Error>> {
            Ok(AeLlm::new(p).run(&evaluator, &scenario, &space, &study, &Silent)?)
        };
        let mut full = run(base.clone())?;
        let baselines =
            run_baselines(&evaluator, &scenario, &space, &study, &Silent, budget, seed)?;
        let mut main = full.clone();
        compare(&mut main, &baselines)?;
        main_rows.push(main.baselines);

        // Ablations: each component off in turn, and 0-5 refinement rounds.
        let mut runs = BaselineRuns::default();
        for a in ablations(&base) {
            runs.runs.push((a.name, run(a.params)?.evaluations));
        }
        compare(&mut full, &runs)?;
        // The full method is "AE-LLM" (3 refinement rounds); ablations follow it.
        full.baselines.rotate_right(1);
        ablation_rows.push(full.baselines);
        eprintln!("seed {seed} done");
    }
    print_table("Main results (median over seeds)", &main_rows);
    print_table("Ablations (median over seeds)", &ablation_rows);
    println!(
        "\nEfficiency score: geometric mean of the latency, memory and energy ratios against the default, times accuracy / default accuracy when accuracy drops. HV: hypervolume of each method's measured front in objectives normalised over everything measured in that seed, reference 1.1."
    );
    Ok(())
}
