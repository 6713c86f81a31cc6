//! `aellm optimize`: the whole AE-LLM method, with a report directory.

use super::progress::Bars;
use super::{checkpoint, evaluator, fleet, parse, summary};
use crate::exit::BadInput;
use aellm::harness::HarnessEvaluator;
use aellm::harness::evaluator::space_for;
use aellm::optimizer::baselines::compare;
use aellm::optimizer::report::read_evaluated;
use aellm::optimizer::runner::DEFAULT_MAX_ATTEMPTS;
use aellm::optimizer::transfer::{TransferParams, WarmStart};
use aellm::optimizer::{AeLlmParams, AeLlmResult, write_report};
use aellm::space::{Preferences, Provenance, Scenario, ScenarioFile, Space};
use anyhow::Context;
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
    /// A real checkpoint as the scenario's model (a GGUF file, a Hugging
    /// Face folder, `smollm2-135m`, or `org/name` in the Hugging Face
    /// cache); its shape is read from the file.
    #[arg(long)]
    model: Option<String>,
    /// Report directory.
    #[arg(long, default_value = "aellm-out")]
    out: PathBuf,
    /// The study (every measurement; a rerun with the same study resumes):
    /// a SQLite file path or a postgres://user@host/db URL. Default:
    /// OUT/study.sqlite.
    #[arg(long)]
    study: Option<String>,
    /// Hand every evaluation to workers through the study and start this
    /// many `aellm worker`s here (0: start none, wait for workers started
    /// elsewhere, e.g. by Slurm or Kubernetes).
    #[arg(long)]
    workers: Option<usize>,
    /// Let local workers measure side by side (their timings then disturb
    /// each other; each gets an equal share of the cores through
    /// RAYON_NUM_THREADS unless you set it); off, they take turns.
    #[arg(long)]
    allow_shared_host: bool,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Real evaluations for AE-LLM (and for each baseline). Default: the
    /// scenario file's `budget`, else 24.
    #[arg(long)]
    budget: Option<usize>,
    /// Preference weights `accuracy,latency,memory,energy`, e.g. `0.4,0.2,0.2,0.2`.
    #[arg(long, value_parser = parse::weights)]
    weights: Option<Preferences>,
    /// Stop starting new evaluations after this long (`90s`, `10m`, `1h`, or seconds);
    /// the best result so far is written.
    #[arg(long, value_parser = parse::duration)]
    max_time: Option<Duration>,
    /// Give up on one evaluation after this long (`90s`, `10m`, `1h`, or
    /// seconds; above 0, at most a week): it is recorded as a timeout and
    /// the search goes on. Default: the scenario file's `eval_timeout_s`,
    /// else no limit.
    #[arg(long, value_parser = parse::eval_timeout)]
    eval_timeout: Option<Duration>,
    /// Attempts per configuration whose failure may pass (out of memory,
    /// timeout, crash): such a failure is measured again when the
    /// configuration comes up again or the study is resumed, up to this
    /// many attempts in all (1 to 20; 1 never retries). Invalid and
    /// unsupported configurations are never retried. Default: the scenario
    /// file's `max_attempts`, else 3.
    #[arg(long)]
    max_attempts: Option<usize>,
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
    /// Who produces the figures: `harness` (measured on this machine),
    /// `costmodel` (predicted for the scenario's hardware), or `auto`: the
    /// harness when the scenario's hardware is this machine and the harness
    /// can build the model, else the cost model.
    #[arg(long, default_value = "auto")]
    evaluator: String,
    /// Calibration file for the cost model (written by `aellm calibrate`).
    #[arg(long)]
    calibration: Option<PathBuf>,
    /// Predict accuracy by transfer across models (the paper's section
    /// 3.5), with the cost model: the report directory of an earlier
    /// `aellm optimize --out DIR` on another model, which must hold the
    /// unmodified configuration. Repeat it to continue on further runs
    /// (smallest model first). Accuracy becomes a fraction of the
    /// unmodified model's, predicted by boosted trees trained on those
    /// measurements; the other figures stay the cost model's.
    #[arg(long = "accuracy-from", value_name = "DIR")]
    accuracy_from: Vec<PathBuf>,
    /// Warm-start the surrogates from another model (the paper's transfer
    /// across models): the report directory of an earlier `aellm optimize
    /// --out DIR`, e.g. on a smaller model with the same evaluator. Its
    /// evaluations train the surrogates first and this run's continue
    /// them, so the initial sample shrinks to the unmodified configuration
    /// and four samples.
    #[arg(long = "warm-start", value_name = "DIR")]
    warm_start: Option<PathBuf>,
}

/// The warm start `--warm-start DIR` asks for.
fn warm_start(a: &OptimizeArgs) -> anyhow::Result<Option<WarmStart>> {
    let Some(dir) = &a.warm_start else {
        return Ok(None);
    };
    if a.no_surrogates {
        return Err(BadInput(
            "--warm-start continues the surrogates, which --no-surrogates turns off: drop one of them".into(),
        )
        .into());
    }
    let bad = |e: aellm::optimizer::OptimizerError| {
        BadInput(format!("--warm-start {}: {e}", dir.display()))
    };
    let report = read_evaluated(dir).map_err(bad)?;
    let warm = WarmStart::fit(
        &report.measured,
        &report.scenario,
        &TransferParams::default(),
    )
    .map_err(bad)?;
    println!("warm start: surrogates trained on {}", warm.provenance());
    Ok(Some(warm))
}

/// The scenario, its budget from the file (if any) and the space to search.
fn load_scenario(a: &OptimizeArgs) -> anyhow::Result<(Scenario, Option<usize>, Space)> {
    let (mut scenario, file_budget, mut space) = match &a.scenario {
        Some(path) => {
            let (s, b) = checkpoint::scenario_file(path)?;
            (s, b, Space::paper())
        }
        None => (
            HarnessEvaluator::default_scenario(),
            None,
            HarnessEvaluator::space(),
        ),
    };
    if let Some(m) = &a.model {
        scenario.model = checkpoint::from_flag(m)?;
    }
    if scenario.model.checkpoint.is_some() {
        // The paper's space adapted to the checkpoint's heads and width.
        space = space_for(&scenario.model);
    }
    if let Some(w) = a.weights {
        scenario.preferences = w;
    }
    Ok((scenario, file_budget, space))
}

/// The per-evaluation time limit and the attempts per configuration: the
/// flags, else the scenario file's `eval_timeout_s` and `max_attempts`, else
/// no limit and [`DEFAULT_MAX_ATTEMPTS`].
fn run_limits(a: &OptimizeArgs) -> anyhow::Result<(Option<Duration>, usize)> {
    let (timeout, attempts) = match &a.scenario {
        Some(path) => {
            let f = ScenarioFile::from_path(path)?;
            (f.eval_timeout()?, f.max_attempts.map(|n| n as usize))
        }
        None => (None, None),
    };
    let attempts = a.max_attempts.or(attempts).unwrap_or(DEFAULT_MAX_ATTEMPTS);
    Ok((a.eval_timeout.or(timeout), attempts))
}

/// The method's settings from the arguments.
fn params(a: &OptimizeArgs, budget: usize, max_attempts: usize) -> AeLlmParams {
    let mut params = AeLlmParams {
        budget,
        seed: a.seed,
        max_time: a.max_time,
        refine_rounds: a.rounds,
        use_surrogates: !a.no_surrogates,
        max_attempts,
        ..Default::default()
    };
    params.search.constraint_aware_init = !a.no_constraint_init;
    params.search.hierarchical_crossover = !a.no_hierarchical_crossover;
    params
}

pub fn run(a: OptimizeArgs) -> anyhow::Result<()> {
    let (scenario, file_budget, space) = load_scenario(&a)?;
    let (evaluator, produced_by) = evaluator::choose(
        &a.evaluator,
        &scenario,
        a.calibration.as_deref(),
        &a.accuracy_from,
    )?;
    let (eval_timeout, max_attempts) = run_limits(&a)?;
    let evaluator = evaluator::time_limited(evaluator, eval_timeout)?;
    let budget = a.budget.or(file_budget).unwrap_or(24);
    // Every setting is checked before anything is created or measured.
    let params = params(&a, budget, max_attempts);
    params.check()?;
    let warm = warm_start(&a)?;
    let warm_note = warm.as_ref().map(|w| {
        format!(
            "Surrogates warm-started from {} (--warm-start {}).",
            w.provenance(),
            a.warm_start
                .as_deref()
                .unwrap_or_else(|| std::path::Path::new(""))
                .display()
        )
    });
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("creating the report directory {}", a.out.display()))?;
    let study_url = a
        .study
        .clone()
        .unwrap_or_else(|| a.out.join("study.sqlite").display().to_string());
    let study = aellm::optimizer::study::open(&study_url)?;
    println!(
        "aellm: {} on {} ({}), {} valid configurations, budget {budget} evaluations, study {}",
        scenario.model.name,
        scenario.hardware.name,
        scenario.task.name,
        space.for_model(&scenario.model).size(),
        study_url
    );
    println!("evaluator: {produced_by}");
    let bars = Bars::new();
    let started = std::time::Instant::now();
    let mut optimizer = fleet::optimizer(params, a.workers, evaluator.as_ref())?;
    if let Some(w) = warm {
        optimizer = optimizer.warm_start(w);
    }
    if a.workers.is_some() {
        study.set_closed(false)?;
    }
    let local = start_local_workers(&a, &study_url, eval_timeout, max_attempts)?;
    let mut result: AeLlmResult =
        optimizer.run(&evaluator, &scenario, &space, study.as_ref(), &bars)?;
    let all_failed = nothing_succeeded(&result);
    result.notes.insert(0, format!("Evaluator: {produced_by}."));
    result.notes.extend(warm_note);
    let out_of_time = a.max_time.is_some_and(|t| started.elapsed() >= t);
    // The baselines go to the same workers, before they are let go.
    if all_failed.is_none() && !a.no_baselines && !out_of_time {
        let runs = optimizer.run_baselines(
            &evaluator,
            &scenario,
            &space,
            study.as_ref(),
            &bars,
            budget,
        )?;
        compare(&mut result, &runs)?;
    }
    match local {
        Some(w) => w.finish(study.as_ref())?,
        None if a.workers.is_some() => study.set_closed(true)?,
        None => {}
    }
    if let Some(why) = all_failed {
        return Err(crate::exit::NoRecommendation(why).into());
    }
    note_estimates(&mut result);
    let files = write_report(&a.out, &result)?;
    summary::print(&result, files.len(), &a.out);
    if result.recommended.is_none() {
        return Err(crate::exit::NoRecommendation(format!(
            "no measured configuration meets every limit of the scenario; the closest ones are in {}",
            a.out.join("report.md").display()
        ))
        .into());
    }
    Ok(())
}

/// `--workers N` with N > 0: local workers on this machine, with the
/// optimizer's time limit and attempts.
fn start_local_workers(
    a: &OptimizeArgs,
    study_url: &str,
    eval_timeout: Option<Duration>,
    max_attempts: usize,
) -> anyhow::Result<Option<fleet::LocalWorkers>> {
    Ok(match a.workers {
        Some(n) if n > 0 => Some(fleet::LocalWorkers::start(
            study_url,
            n,
            &fleet::WorkerFlags {
                allow_shared_host: a.allow_shared_host,
                eval_timeout,
                max_attempts,
            },
        )?),
        _ => None,
    })
}

/// One line saying why, when not one evaluation produced a measurement.
fn nothing_succeeded(result: &AeLlmResult) -> Option<String> {
    let n = result.evaluations.len();
    if result.evaluations.iter().any(|e| e.measurement().is_some()) {
        return None;
    }
    let first = result
        .evaluations
        .iter()
        .find_map(|e| e.outcome.as_ref().err());
    Some(match first {
        Some(e) => format!("all {n} evaluations failed or were unsupported, e.g.: {e}"),
        None => "no evaluation was run".to_string(),
    })
}

/// Tells the reader, next to the figures, when some were estimated.
fn note_estimates(result: &mut AeLlmResult) {
    if result
        .evaluations
        .iter()
        .filter_map(|e| e.measurement())
        .any(|m| {
            m.figures()
                .iter()
                .any(|f| f.provenance == Provenance::Estimated)
        })
    {
        result.notes.push(
            "Figures marked `estimated` were not read off a counter: see each figure's `how` in measurements.csv \
             (on a CPU without RAPL, energy is CPU time times a stated wattage)."
                .into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Line {
        #[command(flatten)]
        a: OptimizeArgs,
    }

    /// `run_limits` for a scenario file ending in `tail`, with `flags`.
    fn limits(tail: &str, flags: &[&str]) -> anyhow::Result<(Option<Duration>, usize)> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.toml");
        let head = "model = \"llama-2-7b\"\ntask = \"mmlu\"\nhardware = \"a100-80gb\"\n";
        std::fs::write(&path, format!("{head}{tail}"))?;
        let mut line = vec!["optimize", "--scenario", path.to_str().unwrap_or_default()];
        line.extend(flags);
        run_limits(&Line::try_parse_from(line)?.a)
    }

    #[test]
    fn flags_override_the_scenario_file_s_time_limit_and_retries() {
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(limits("", &[]).unwrap(), (None, DEFAULT_MAX_ATTEMPTS));
        let file = "eval_timeout_s = 90\nmax_attempts = 5\n";
        assert_eq!(limits(file, &[]).unwrap(), (secs(90), 5));
        let flags = ["--eval-timeout", "2m", "--max-attempts", "1"];
        assert_eq!(limits(file, &flags).unwrap(), (secs(120), 1));
        let e = limits("eval_timeout_s = 0\n", &[]).unwrap_err().to_string();
        assert!(e.contains("eval_timeout_s") && e.contains("604800"), "{e}");
    }
}
