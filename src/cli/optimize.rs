//! `aellm optimize`: the whole AE-LLM method, with a report directory.

use super::progress::Bars;
use aellm::harness::{HarnessEvaluator, HarnessOptions};
use aellm::optimizer::baselines::{compare, run_baselines};
use aellm::optimizer::study::SqliteStudy;
use aellm::optimizer::{AeLlm, AeLlmParams, OptimizationResult, write_report};
use aellm::space::{Preferences, Scenario, ScenarioFile, Space};
use anyhow::{Context, bail};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Scenario file (TOML or JSON): model, task, hardware, preferences,
    /// constraints, budget. Without it: the harness's small model, its
    /// default task, and this machine as the hardware.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Report directory.
    #[arg(long, default_value = "aellm-out")]
    out: PathBuf,
    /// Study database (every measurement; a rerun with the same file resumes).
    /// Default: OUT/study.sqlite.
    #[arg(long)]
    study: Option<PathBuf>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Real evaluations for AE-LLM (and for each baseline). Default: the
    /// scenario file's `budget`, else 24.
    #[arg(long)]
    budget: Option<usize>,
    /// Preference weights `accuracy,latency,memory,energy`, e.g. `0.4,0.2,0.2,0.2`.
    #[arg(long, value_parser = parse_weights)]
    weights: Option<Preferences>,
    /// Stop starting new evaluations after this long (`90s`, `10m`, `1h`, or seconds);
    /// the best result so far is written.
    #[arg(long, value_parser = parse_duration)]
    max_time: Option<Duration>,
    /// Skip the baselines (default, best single-stage, random search).
    #[arg(long)]
    no_baselines: bool,
    /// Refinement rounds after the first search.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Ablation: search by measuring random configurations instead of
    /// through the surrogates.
    #[arg(long)]
    no_surrogates: bool,
    /// Ablation: start the search from uniformly sampled configurations
    /// instead of ones predicted to fit the hardware.
    #[arg(long)]
    no_constraint_init: bool,
    /// Ablation: recombine gene by gene instead of stage by stage.
    #[arg(long)]
    no_hierarchical_crossover: bool,
}

fn parse_weights(s: &str) -> Result<Preferences, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .map_err(|e| format!("`{x}` in --weights: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let [accuracy, latency, memory, energy] = v[..] else {
        return Err(format!(
            "--weights needs 4 numbers `accuracy,latency,memory,energy`, got {}",
            v.len()
        ));
    };
    let p = Preferences {
        accuracy,
        latency,
        memory,
        energy,
    };
    p.check().map_err(|e| e.to_string())?;
    Ok(p)
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_alphabetic()).unwrap_or(s.len()));
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|e| format!("`{s}`: {e}; use e.g. 90s, 10m, 1h"))?;
    let secs = match unit {
        "" | "s" => v,
        "m" => 60.0 * v,
        "h" => 3600.0 * v,
        _ => return Err(format!("`{s}`: unknown unit `{unit}`; use s, m or h")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{s}`: {e}"))
}

pub fn run(a: OptimizeArgs) -> anyhow::Result<()> {
    let harness = HarnessEvaluator::new(HarnessOptions::default());
    let (mut scenario, file_budget): (Scenario, Option<u32>) = match &a.scenario {
        Some(path) => {
            let f = ScenarioFile::from_path(path)?;
            let b = f.budget;
            (f.resolve()?, b)
        }
        None => (HarnessEvaluator::default_scenario(), None),
    };
    if let Some(w) = a.weights {
        scenario.preferences = w;
    }
    let space: Space = if a.scenario.is_none() {
        HarnessEvaluator::space()
    } else {
        Space::paper()
    };
    let budget = a.budget.or(file_budget.map(|b| b as usize)).unwrap_or(24);
    if budget < 7 {
        bail!("--budget {budget} is too small: the surrogates need at least 7 evaluations");
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("creating the report directory {}", a.out.display()))?;
    let study_path = a
        .study
        .clone()
        .unwrap_or_else(|| a.out.join("study.sqlite"));
    let study = SqliteStudy::open(&study_path)?;

    println!(
        "aellm: {} on {} ({}), {} valid configurations, budget {budget} evaluations, study {}",
        scenario.model.name,
        scenario.hardware.name,
        scenario.task.name,
        space.for_model(&scenario.model).size(),
        study_path.display()
    );
    let bars = Bars::new();
    let mut params = AeLlmParams {
        budget,
        seed: a.seed,
        max_time: a.max_time,
        refine_rounds: a.rounds,
        use_surrogates: !a.no_surrogates,
        ..Default::default()
    };
    params.search.constraint_aware_init = !a.no_constraint_init;
    params.search.hierarchical_crossover = !a.no_hierarchical_crossover;
    let started = std::time::Instant::now();
    let mut result: OptimizationResult =
        AeLlm::new(params).run(&harness, &scenario, &space, &study, &bars)?;
    let out_of_time = a.max_time.is_some_and(|t| started.elapsed() >= t);
    if !a.no_baselines && !out_of_time {
        let runs = run_baselines(&harness, &scenario, &space, &study, &bars, budget, a.seed)?;
        compare(&mut result, &runs)?;
    }
    if result
        .evaluations
        .iter()
        .filter_map(|e| e.measurement())
        .any(|m| !m.fully_measured())
    {
        result.notes.push(
            "Figures marked `estimated` were not read off a counter: see each figure's `how` in measurements.csv \
             (on a CPU without RAPL, energy is CPU time times a stated wattage)."
                .into(),
        );
    }
    let files = write_report(&a.out, &result)?;
    println!();
    match &result.recommended {
        Some(r) => {
            println!("Recommended: {}", r.member.configuration);
            let o = r.member.objectives;
            println!(
                "  accuracy {:.4}, latency {:.2} ms, memory {:.4} GB, energy {:.3} J ({}), efficiency score {}",
                o.accuracy,
                o.latency_ms,
                o.memory_gb,
                o.energy_j,
                r.member.provenance,
                r.efficiency_score
                    .map_or("n/a".into(), |e| format!("{e:.2}"))
            );
            for w in &r.why {
                println!("  - {w}");
            }
        }
        None => println!(
            "No measured configuration meets every limit; see the closest ones in report.md."
        ),
    }
    if !result.baselines.is_empty() {
        println!(
            "\n{:<20} {:>9} {:>11} {:>10} {:>10} {:>10} {:>6}",
            "method", "accuracy", "latency ms", "memory GB", "efficiency", "HV", "evals"
        );
        for b in &result.baselines {
            let o = b.objectives;
            println!(
                "{:<20} {:>9} {:>11} {:>10} {:>10} {:>10} {:>6}",
                b.method,
                o.map_or("–".into(), |o| format!("{:.4}", o.accuracy)),
                o.map_or("–".into(), |o| format!("{:.2}", o.latency_ms)),
                o.map_or("–".into(), |o| format!("{:.4}", o.memory_gb)),
                b.efficiency_score.map_or("–".into(), |e| format!("{e:.2}")),
                b.hypervolume.map_or("–".into(), |h| format!("{h:.4}")),
                b.evaluations
            );
        }
    }
    println!(
        "\nStopped: {}. Report: {} files in {}",
        result.stopped,
        files.len(),
        a.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weights_and_durations_with_clear_errors() {
        assert_eq!(parse_weights("1,0,0,0").unwrap().accuracy, 1.0);
        assert!(parse_weights("1,2,3").unwrap_err().contains("4 numbers"));
        assert!(parse_weights("-1,0,0,1").is_err());
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("3 weeks").unwrap_err().contains("unit"));
    }
}
