//! The cost model on this machine: calibrated on the harness's own
//! measurements here, then checked on configurations it was not fitted on.
//!
//! ```sh
//! cargo run --release --example narrowed_space        # writes the file below (the lead's run)
//! cargo run --release --example costmodel_this_machine -- \
//!     $TMPDIR/aellm-narrowed/exhaustive-<harness>.json [MORE.json ...] [REPORT_DIR ...]
//! ```
//! A directory argument is the report of an `aellm optimize --out DIR` run
//! of the harness on this machine (e.g. SmolLM2-135M): none of its runs is
//! fitted on; all are held out. After `--fit`, a directory is fitted on
//! whole instead (a model's runs joining the calibration), e.g.
//! `… FILE.json --fit runs/smol-a runs/smol-b`: fit on the tiny model's
//! fitting half and every run of `smol-a`, report on the rest and on `smol-b`
//! (a configuration of `smol-b` that `smol-a` also holds is set aside and
//! reported apart: it was fitted on).
//! Each file is what `examples/narrowed_space.rs` writes: a scenario, the
//! evaluator's name and every evaluation (configuration and measurement or
//! error). This example measures nothing itself.
//!
//! The split: in each file (whose order is the narrowed space's
//! enumeration order, failed evaluations keeping their position), position
//! `i` is fitted on when `i mod 2 == (i / 2) mod 2` (positions 0, 3, 4, 7,
//! 8, ...) and held out otherwise; the reported figure is taken on the held-out
//! half only. Why not even/odd: the last dimension of the enumeration is
//! the KV cache (full, INT8), so even/odd put every INT8-KV configuration
//! on one side (the first run did exactly that, see
//! wip-notes/costmodel-2.md); this rule puts both values of the two
//! fastest-varying dimensions on both sides.
//!
//! The hardware description is the one the file's scenario holds (this
//! machine, estimated peaks); the cost model runs candle's CPU kernels
//! (`Runtime::CandleCpu`) with the harness's storage conventions
//! (`footprint_options` of the default harness options, the options
//! `narrowed_space` measures with). Calibration fits the compute and
//! bandwidth fractions, the cost per launch, one compute multiplier per
//! precision and the runtime's memory. The harness times prefill and decode
//! together (one median per configuration), so only their sum is compared.

use aellm::costmodel::{Calibration, Efficiency, LocalRun, Runtime, fit_local};
use aellm::harness::HarnessEvaluator;
use aellm::harness::HarnessOptions;
use aellm::harness::evaluator::footprint_options;
use aellm::optimizer::report::read_measured;
use aellm::space::footprint::FootprintOptions;
use aellm::space::{Evaluation, ModelSpec, Provenance, Scenario};
use anyhow::{Context, Result, bail};

/// The file `examples/narrowed_space.rs` writes.
struct Recorded {
    evaluator: String,
    scenario: Scenario,
    evaluations: Vec<Evaluation>,
}

/// One file's measured runs, split by position.
struct Split {
    name: String,
    fit: Vec<LocalRun>,
    held_out: Vec<LocalRun>,
}

/// The measured runs of `rec` as the cost model sees them, split by
/// position in the file (see the top of the file).
fn split(name: &str, rec: &Recorded, fo: FootprintOptions) -> Split {
    let mut s = Split {
        name: name.into(),
        fit: Vec::new(),
        held_out: Vec::new(),
    };
    for (i, e) in rec.evaluations.iter().enumerate() {
        // Only figures taken by a clock and a counter here (on a GPU the
        // harness estimates memory).
        let Some(m) = e.measurement().filter(|m| {
            [&m.latency_ms, &m.memory_gb]
                .iter()
                .all(|f| f.provenance == Provenance::Measured)
        }) else {
            continue;
        };
        let run = LocalRun {
            configuration: e.configuration,
            scenario: rec.scenario.clone(),
            footprint: fo,
            runtime: Runtime::CandleCpu,
            latency_ms: m.latency_ms.value,
            memory_gb: m.memory_gb.value,
        };
        if i % 2 == (i / 2) % 2 {
            s.fit.push(run);
        } else {
            s.held_out.push(run);
        }
    }
    s
}

impl Recorded {
    /// Reads the three fields by name (the root crate has no serde derive).
    fn from_json(mut v: serde_json::Value) -> Result<Recorded> {
        let mut take = |k: &str| v.get_mut(k).map(serde_json::Value::take);
        let (e, s, evs) = (take("evaluator"), take("scenario"), take("evaluations"));
        let (Some(e), Some(s), Some(evs)) = (e, s, evs) else {
            bail!("needs the fields `evaluator`, `scenario` and `evaluations`");
        };
        Ok(Recorded {
            evaluator: serde_json::from_value(e).context("`evaluator`")?,
            scenario: serde_json::from_value(s).context("`scenario`")?,
            evaluations: serde_json::from_value(evs).context("`evaluations`")?,
        })
    }
}

fn read(path: &str) -> Result<Recorded> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    let v = serde_json::from_str(&text).with_context(|| format!("{path} is not JSON"))?;
    Recorded::from_json(v).with_context(|| format!("{path} is not narrowed_space's JSON"))
}

/// An `aellm optimize --out DIR` report of the harness (e.g. SmolLM2 on
/// this machine): every run whose latency and memory were measured here,
/// all held out. The report keeps objectives, not provenance per figure
/// beyond accuracy, so the scenario must be this machine's.
fn report_dir(dir: &str, fo: FootprintOptions, fitted: bool) -> Result<(String, Vec<LocalRun>)> {
    let r = read_measured(dir).with_context(|| format!("{dir} is not a report directory"))?;
    let here = HarnessEvaluator::default_scenario().hardware.name;
    if r.scenario.hardware.name != here {
        bail!(
            "{dir}: measured on `{}`, not this machine (`{here}`)",
            r.scenario.hardware.name
        );
    }
    let mut scenario = r.scenario.clone();
    scenario.model = with_tie_from_checkpoint(scenario.model);
    let runs: Vec<LocalRun> = r
        .measured
        .iter()
        .map(|(c, o)| LocalRun {
            configuration: *c,
            scenario: scenario.clone(),
            footprint: fo,
            runtime: Runtime::CandleCpu,
            latency_ms: o.latency_ms,
            memory_gb: o.memory_gb,
        })
        .collect();
    println!(
        "{dir}: a report of {} on {}: {} measured runs, all {}",
        r.scenario.model.name,
        r.scenario.hardware.name,
        runs.len(),
        if fitted { "fitted on" } else { "held out" }
    );
    Ok((format!("{dir} ({})", r.scenario.model.name), runs))
}

/// Reports written before `ModelSpec` had `tied_embeddings` read it as
/// false: the checkpoint says, when it is still where the report names it
/// and has the report's shape.
fn with_tie_from_checkpoint(mut m: ModelSpec) -> ModelSpec {
    let Some(path) = m.checkpoint.clone() else {
        return m;
    };
    if !std::path::Path::new(&path).exists() || m.tied_embeddings {
        return m;
    }
    if let Ok(p) = aellm::harness::pretrained::load(&path, &aellm::harness::device::best()) {
        let s = p.model_spec();
        let same = (s.parameters, s.layers, s.hidden, s.ffn, s.vocab)
            == (m.parameters, m.layers, m.hidden, m.ffn, m.vocab);
        if same && s.tied_embeddings {
            println!(
                "{}: the checkpoint ties its embeddings (read from {path})",
                m.name
            );
            m.tied_embeddings = true;
        }
    }
    m
}

fn median_abs(v: impl IntoIterator<Item = f64>) -> f64 {
    let mut a: Vec<f64> = v.into_iter().map(f64::abs).collect();
    a.sort_by(f64::total_cmp);
    match a.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => a[n / 2],
        n => (a[n / 2 - 1] + a[n / 2]) / 2.0,
    }
}

/// Median absolute relative errors (latency, memory) of `runs` under `e`.
fn medians(runs: &[LocalRun], e: &Efficiency) -> Result<(f64, f64)> {
    let errs = runs
        .iter()
        .map(|r| r.errors(e))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        median_abs(errs.iter().map(|x| x.0)),
        median_abs(errs.iter().map(|x| x.1)),
    ))
}

/// One line per run (when `verbose`) and the medians of a group.
fn report(title: &str, runs: &[LocalRun], e: &Efficiency, verbose: bool) -> Result<(f64, f64)> {
    println!("\n{title}");
    if verbose {
        println!(
            "  {:<52} {:>9} {:>9} {:>8} {:>9} {:>9} {:>8}",
            "configuration", "lat ms", "pred ms", "err", "mem MB", "pred MB", "err"
        );
        for r in runs {
            let (el, em) = r.errors(e)?;
            println!(
                "  {:<52} {:>9.2} {:>9.2} {:>+7.1}% {:>9.2} {:>9.2} {:>+7.1}%",
                r.configuration.to_string(),
                r.latency_ms,
                r.predicted_latency_ms(e)?,
                100.0 * el,
                r.memory_gb * 1e3,
                r.predicted_memory_gb(e)? * 1e3,
                100.0 * em
            );
        }
    }
    let (l, m) = medians(runs, e)?;
    println!(
        "  median |error| over {} configurations: latency (prefill + decode) {:.1}%, peak memory {:.1}%",
        runs.len(),
        100.0 * l,
        100.0 * m
    );
    Ok((l, m))
}

/// The spread of the measurements among configurations the cost model
/// cannot tell apart (the same prediction under the default factors: the
/// same served kernels, as fine-tuning is merged and RTN and GPTQ weights
/// run alike): each run's |measured / its group's median - 1|, median over
/// the runs of groups of two or more, for latency and memory. No model
/// that sees only the served configuration can do better on these.
fn noise_floor(runs: &[&LocalRun]) -> Result<(f64, f64, usize)> {
    let e = Efficiency::default();
    let mut groups: std::collections::BTreeMap<String, Vec<&LocalRun>> = Default::default();
    for r in runs {
        let key = format!(
            "{:.9e} {:.9e}",
            r.predicted_latency_ms(&e)?,
            r.predicted_memory_gb(&e)?
        );
        groups.entry(key).or_default().push(r);
    }
    let (mut lat, mut mem) = (Vec::new(), Vec::new());
    for g in groups.values().filter(|g| g.len() > 1) {
        let median = |f: fn(&LocalRun) -> f64| {
            let mut v: Vec<f64> = g.iter().map(|r| f(r)).collect();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            }
        };
        let (ml, mm) = (median(|r| r.latency_ms), median(|r| r.memory_gb));
        lat.extend(g.iter().map(|r| r.latency_ms / ml - 1.0));
        mem.extend(g.iter().map(|r| r.memory_gb / mm - 1.0));
    }
    Ok((median_abs(lat), median_abs(mem), groups.len()))
}

/// Fits on every file's fitting half.
fn calibrate(splits: &[Split]) -> Result<Calibration> {
    let fit: Vec<LocalRun> = splits.iter().flat_map(|s| s.fit.iter().cloned()).collect();
    let cal = fit_local("this-machine", &fit, Efficiency::default())?;
    let f = cal.efficiency;
    println!(
        "\ncalibration on {} fit configurations: compute {:.3}, bandwidth {:.3}, {:.1} us a launch, \
         precision x FP8 {:.2} INT8 {:.2} INT4 {:.2}, runtime memory {:.1} MB; fit median |error| {:.1}% (latency)",
        cal.rows,
        f.compute,
        f.bandwidth,
        f.launch_us,
        f.precision.fp8,
        f.precision.int8,
        f.precision.int4,
        f.runtime_gb * 1e3,
        100.0 * cal.median_abs_error
    );
    Ok(cal)
}

fn main() -> Result<()> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        bail!(
            "give the JSON files examples/narrowed_space.rs writes: \
             $TMPDIR/aellm-narrowed/exhaustive-<harness>.json"
        );
    }
    let fo = footprint_options(&HarnessOptions::default());
    let mut splits = Vec::new();
    let mut other_models = Vec::new();
    let mut fit_next = false;
    for p in &paths {
        if p == "--fit" {
            fit_next = true;
            continue;
        }
        if std::path::Path::new(p).is_dir() {
            let (name, runs) = report_dir(p, fo, fit_next)?;
            if std::mem::take(&mut fit_next) {
                splits.push(Split {
                    name,
                    fit: runs,
                    held_out: Vec::new(),
                });
            } else {
                other_models.push((name, runs));
            }
            continue;
        }
        if fit_next {
            bail!("--fit names a report directory (`aellm optimize --out DIR`), not {p}");
        }
        let rec = read(p)?;
        let s = split(p, &rec, fo);
        println!(
            "{p}: {} ({} on {}): {} fit, {} held out, {} failed or not measured here",
            rec.evaluator,
            rec.scenario.model.name,
            rec.scenario.hardware.name,
            s.fit.len(),
            s.held_out.len(),
            rec.evaluations.len() - s.fit.len() - s.held_out.len()
        );
        splits.push(s);
    }
    let cal = calibrate(&splits)?;
    let file = std::env::temp_dir().join("this-machine.calibration.toml");
    std::fs::write(&file, cal.to_toml())?;
    println!("calibration written to {}", file.display());
    let f = cal.efficiency;
    for s in &splits {
        if s.held_out.is_empty() {
            report(&format!("fit: {} (every run)", s.name), &s.fit, &f, true)?;
            continue;
        }
        report(
            &format!("fit: {} (positions 0, 3, 4, 7, ...)", s.name),
            &s.fit,
            &f,
            false,
        )?;
        report(
            &format!("held out: {} (positions 1, 2, 5, 6, ...)", s.name),
            &s.held_out,
            &f,
            true,
        )?;
    }
    // A configuration of the same model already fitted on (a report of the
    // same scenario, another seed) is not held out: set it aside.
    let fitted: Vec<(&str, &aellm::space::Configuration)> = splits
        .iter()
        .flat_map(|s| s.fit.iter())
        .map(|r| (r.scenario.model.name.as_str(), &r.configuration))
        .collect();
    for (name, runs) in &other_models {
        let (seen, fresh): (Vec<LocalRun>, Vec<LocalRun>) = runs
            .iter()
            .cloned()
            .partition(|r| fitted.contains(&(r.scenario.model.name.as_str(), &r.configuration)));
        if !seen.is_empty() {
            report(
                &format!("{name}: configurations also in a fitted report (not held out)"),
                &seen,
                &f,
                true,
            )?;
        }
        if fresh.is_empty() {
            println!("\n{name}: every configuration is also in a fitted report; none held out");
            continue;
        }
        let title = if seen.is_empty() {
            format!("held out whole (no run of it was fitted on): {name}")
        } else {
            format!("held out: {name}, the configurations no fitted report holds")
        };
        report(&title, &fresh, &f, true)?;
    }
    let all: Vec<&LocalRun> = splits
        .iter()
        .flat_map(|s| s.fit.iter().chain(&s.held_out))
        .collect();
    let (nl, nm, groups) = noise_floor(&all)?;
    println!(
        "\nnoise floor: {} configurations fall into {groups} groups the cost model cannot tell \
         apart; within them the measurements lie a median {:.1}% (latency) and {:.1}% (peak \
         memory) from their group's median",
        all.len(),
        100.0 * nl,
        100.0 * nm
    );
    println!("every figure above but the measurements is predicted by the cost model");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm::costmodel::CostModel;
    use aellm::harness::HarnessEvaluator;
    use aellm::space::{Evaluator, Measurement, Objectives};

    /// A file as narrowed_space would write it, its "measurements" the cost
    /// model's own predictions under `truth` (with a failure at position 3):
    /// the fit must find factors that predict the held-out half.
    #[test]
    fn the_fit_on_one_half_predicts_the_other() {
        let scenario = HarnessEvaluator::default_scenario();
        let fo = footprint_options(&HarnessOptions::default());
        let truth = Efficiency {
            compute: 0.3,
            bandwidth: 0.5,
            launch_us: 40.0,
            runtime_gb: 0.02,
            ..Efficiency::default()
        };
        let mut model = CostModel::default();
        model.options.efficiency = truth;
        model.options.footprint = fo;
        model.options.runtime = Runtime::CandleCpu;
        let space = HarnessEvaluator::space();
        let evaluations: Vec<Evaluation> = space
            .enumerate()
            .into_iter()
            .step_by(7)
            .take(40)
            .enumerate()
            .map(|(i, c)| {
                let p = model.predict(&c, &scenario).unwrap();
                let o = Objectives {
                    accuracy: 0.5,
                    latency_ms: p.latency_ms,
                    memory_gb: p.memory.per_device_gb,
                    energy_j: 1.0,
                };
                let outcome = if i == 3 {
                    Err(aellm::space::EvalError::Failed {
                        reason: "synthetic".into(),
                    })
                } else {
                    Ok(Measurement::new(o, Provenance::Measured, "synthetic"))
                };
                Evaluation {
                    configuration: c,
                    outcome,
                }
            })
            .collect();
        let rec = Recorded {
            evaluator: model.name(),
            scenario,
            evaluations,
        };
        let text = serde_json::json!({"evaluator": rec.evaluator, "scenario": rec.scenario,
            "evaluations": rec.evaluations});
        let back = Recorded::from_json(text).unwrap();
        let s = split("synthetic", &back, fo);
        assert_eq!((s.fit.len(), s.held_out.len()), (19, 20));
        let f = calibrate(std::slice::from_ref(&s)).unwrap().efficiency;
        let (l, m) = medians(&s.held_out, &f).unwrap();
        assert!(l < 0.05 && m < 0.05, "latency {l}, memory {m}");
        // Exact predictions leave no spread among configurations the model
        // cannot tell apart, and the sample has such configurations.
        let all: Vec<&LocalRun> = s.fit.iter().chain(&s.held_out).collect();
        let (nl, nm, groups) = noise_floor(&all).unwrap();
        assert!(
            nl < 1e-9 && nm < 1e-9 && groups < all.len(),
            "{nl} {nm} {groups}"
        );
    }
}
