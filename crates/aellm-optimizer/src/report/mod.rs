//! The report directory: fronts as JSON and CSV, every measurement as CSV, a
//! Markdown report, 2-D projections of the front as SVG, and one
//! self-contained HTML page to explore all four objectives; and the measured
//! evaluations of a report read back ([`read_measured`], [`read_evaluated`]).

mod html;
mod markdown;
mod read;
mod svg;
mod tables;

pub use read::{MeasuredReport, read_evaluated, read_measured};

use crate::{AeLlmResult, OptimizerError};
use std::path::{Path, PathBuf};

fn io_err(path: &Path, e: impl std::fmt::Display) -> OptimizerError {
    OptimizerError::Store {
        location: path.display().to_string(),
        message: e.to_string(),
    }
}

pub(crate) fn write_file(path: &Path, contents: &[u8]) -> Result<(), OptimizerError> {
    std::fs::write(path, contents).map_err(|e| io_err(path, e))
}

/// Writes every report file into `dir` (created if missing) and returns their paths.
pub fn write_report(
    dir: impl AsRef<Path>,
    result: &AeLlmResult,
) -> Result<Vec<PathBuf>, OptimizerError> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: Vec<u8>| -> Result<(), OptimizerError> {
        let p = dir.join(name);
        write_file(&p, &bytes)?;
        written.push(p);
        Ok(())
    };
    let front = serde_json::json!({
        "scenario": result.scenario,
        "recommended": result.recommended,
        "measured_front": result.measured_front,
        "predicted_front": result.predicted_front,
        "near_misses": result.near_misses,
        "notes": result.notes,
    });
    put(
        "front.json",
        serde_json::to_vec_pretty(&front).map_err(|e| io_err(dir, e))?,
    )?;
    put(
        "front.csv",
        tables::front_csv(result).map_err(|e| io_err(dir, e))?,
    )?;
    put(
        "measurements.csv",
        tables::measurements_csv(result).map_err(|e| io_err(dir, e))?,
    )?;
    put("report.md", markdown::report(result).into_bytes())?;
    for (name, svg) in svg::projections(result).map_err(|e| io_err(dir, e))? {
        put(&name, svg.into_bytes())?;
    }
    put(
        "index.html",
        html::page(result).map_err(|e| io_err(dir, e))?.into_bytes(),
    )?;
    Ok(written)
}

/// Whether the evaluator predicted every figure of the evaluated front (a
/// cost model's): the report then never calls that front measured.
pub(crate) fn front_is_predicted(r: &AeLlmResult) -> bool {
    !r.measured_front.is_empty()
        && r.measured_front
            .iter()
            .all(|m| m.provenance == aellm_space::Provenance::Predicted)
}

#[cfg(test)]
pub(crate) mod sample {
    //! A small result to write reports from in tests.
    use crate::result::*;
    use aellm_space::*;
    use rand::SeedableRng;

    pub fn result() -> AeLlmResult {
        let scenario = Scenario::new(
            presets::model("llama-2-7b").unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware("a100-80gb").unwrap(),
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let configs = Space::paper().sample_n(8, &mut rng).unwrap();
        let member = |i: usize, p: Provenance| FrontMember {
            configuration: configs[i],
            objectives: Objectives {
                accuracy: 0.5 + 0.03 * i as f64,
                latency_ms: 100.0 + 50.0 * i as f64,
                memory_gb: 20.0 - i as f64,
                energy_j: 30.0 + i as f64,
            },
            provenance: p,
            std: None,
            utility: 0.1 * i as f64,
        };
        let evaluations = (0..6)
            .map(|i| Evaluation {
                configuration: configs[i],
                outcome: if i == 5 {
                    Err(EvalError::Failed {
                        reason: "out of memory, \"quoted\"".into(),
                    })
                } else {
                    let mut m = Measurement::new(
                        member(i, Provenance::Measured).objectives,
                        Provenance::Measured,
                        "test",
                    );
                    if i == 1 {
                        m.extra.insert(
                            "finetune_trainable_parameters".into(),
                            Figure::measured(13312.0),
                        );
                    }
                    Ok(m)
                },
            })
            .collect();
        AeLlmResult {
            scenario,
            measured_front: (0..4).map(|i| member(i, Provenance::Measured)).collect(),
            predicted_front: (4..7).map(|i| member(i, Provenance::Predicted)).collect(),
            recommended: Some(Recommendation {
                member: member(3, Provenance::Measured),
                efficiency_score: Some(1.7),
                why: vec!["highest utility <script>x</script>".into()],
            }),
            sensitivity: vec![SensitivityRow {
                dimension: Dimension::Weights,
                configuration: configs[7],
                objectives: member(7, Provenance::Predicted).objectives,
                provenance: Provenance::Predicted,
                delta: Objectives {
                    accuracy: 0.01,
                    latency_ms: -5.0,
                    memory_gb: 1.0,
                    energy_j: 0.0,
                },
            }],
            baselines: vec![BaselineRow {
                method: "default".into(),
                configuration: Some(Configuration::default()),
                objectives: Some(member(0, Provenance::Measured).objectives),
                efficiency_score: Some(1.0),
                hypervolume: Some(0.2),
                evaluations: 1,
            }],
            near_misses: vec![],
            evaluations,
            baseline_runs: Vec::new(),
            stopped: crate::TerminationReason::Finished,
            notes: vec!["fine-tuning is not measured yet".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::Configuration;

    /// What transfer reads back is what was measured: the scenario, and each successful
    /// evaluation's configuration and objectives (a failure is left out).
    #[test]
    fn measured_evaluations_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let r = sample::result();
        write_report(dir.path(), &r).unwrap();
        let back = read_measured(dir.path()).unwrap();
        assert_eq!(back.scenario, r.scenario);
        let want: Vec<_> = r
            .evaluations
            .iter()
            .filter_map(|e| e.measurement().map(|m| (e.configuration, m.objectives())))
            .collect();
        assert_eq!(want.len(), 5);
        assert_eq!(back.measured, want);
        // A baseline's measurements are the run's too (the unmodified configuration is often
        // measured only by the `default` baseline); a configuration already read is not repeated.
        let mut r = r;
        let first = r.evaluations[0].clone();
        let mut unmodified = first.clone();
        unmodified.configuration = Configuration::default();
        r.baseline_runs = vec![("default".into(), vec![unmodified.clone(), first])];
        write_report(dir.path(), &r).unwrap();
        let back = read_measured(dir.path()).unwrap();
        assert_eq!(back.measured.len(), 6);
        assert_eq!(back.measured[5].0, Configuration::default());
        let missing = read_measured(dir.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("aellm optimize --out"), "{missing}");
    }

    /// A cost-model run measures nothing, but a warm start learns from its evaluations.
    #[test]
    fn predicted_evaluations_read_back_for_a_warm_start_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = sample::result();
        for e in &mut r.evaluations {
            if let Ok(m) = &mut e.outcome {
                m.accuracy = aellm_space::Figure::predicted(m.accuracy.value, 0.01);
            }
        }
        write_report(dir.path(), &r).unwrap();
        assert!(read_measured(dir.path()).unwrap().measured.is_empty());
        let all = read_evaluated(dir.path()).unwrap();
        assert_eq!(all.measured.len(), 5);
        assert_eq!(all.scenario, r.scenario);
    }

    #[test]
    fn writes_every_file_and_they_parse() {
        let dir = tempfile::tempdir().unwrap();
        let r = sample::result();
        let files = write_report(dir.path(), &r).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for n in [
            "front.json",
            "front.csv",
            "measurements.csv",
            "report.md",
            "index.html",
        ] {
            assert!(names.contains(&n.to_string()), "{n} missing from {names:?}");
        }
        assert_eq!(names.iter().filter(|n| n.ends_with(".svg")).count(), 6);

        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("front.json")).unwrap()).unwrap();
        assert_eq!(json["measured_front"].as_array().unwrap().len(), 4);

        let mut rd = csv::Reader::from_path(dir.path().join("measurements.csv")).unwrap();
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 6);
        // The failure is kept, with its message intact through CSV quoting.
        let error_col = rd
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "error")
            .unwrap();
        assert_eq!(
            &rows[5][error_col],
            "evaluation failed: out of memory, \"quoted\""
        );
        // Extra figures get a column each, empty where not reported.
        let extra_col = rd
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "finetune_trainable_parameters")
            .unwrap();
        assert_eq!(&rows[1][extra_col], "13312");
        assert_eq!(&rows[0][extra_col], "");
        // Each followed by its provenance.
        assert_eq!(
            &rd.headers().unwrap()[extra_col + 1],
            "finetune_trainable_parameters_provenance"
        );
        assert_eq!(&rows[1][extra_col + 1], "measured");
        assert_eq!(&rows[0][extra_col + 1], "");

        let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "the page must work offline"
        );
        assert!(
            html.contains("highest utility &lt;script&gt;"),
            "the reasons are shown"
        );
        assert!(
            !html.contains("<script>x"),
            "text from results must be escaped"
        );
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(md.contains("Recommended configuration") && md.contains("predicted"));
        assert!(
            md.contains("\\|"),
            "stage separators are escaped inside table cells"
        );
        assert!(
            md.contains("fine-tuning is not measured yet")
                && html.contains("fine-tuning is not measured yet")
        );
        let cost = md
            .split("## Fine-tuning cost of the measured front")
            .nth(1)
            .expect("the front's fine-tuning cost has a table");
        assert!(cost.contains("trainable_parameters") && cost.contains("| 13312 |"));
    }
}
