//! A report directory read back: the scenario it ran and the evaluations
//! whose accuracy was measured, which is what transfer across models learns
//! from (a small model measured here teaches the accuracy of a big one).

use super::io_err;
use crate::OptimizerError;
use aellm_space::{Configuration, Objectives, Scenario};
use std::path::Path;

/// What a report directory says was measured.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredReport {
    /// The scenario of the run (from `front.json`).
    pub scenario: Scenario,
    /// Every configuration whose accuracy is `measured` (from `measurements.csv`:
    /// AE-LLM's evaluations, then the baselines'), once, with its objectives;
    /// failures and predicted rows are left out.
    pub measured: Vec<(Configuration, Objectives)>,
}

/// Reads `dir/front.json` and `dir/measurements.csv` as [`write_report`](super::write_report)
/// wrote them.
pub fn read_measured(dir: impl AsRef<Path>) -> Result<MeasuredReport, OptimizerError> {
    read_rows(dir.as_ref(), true)
}

/// Like [`read_measured`], but keeps every successful evaluation whatever
/// produced its accuracy (a cost-model run's rows are all predicted): what
/// a warm start ([`crate::transfer::WarmStart`]) learns from.
pub fn read_evaluated(dir: impl AsRef<Path>) -> Result<MeasuredReport, OptimizerError> {
    read_rows(dir.as_ref(), false)
}

fn read_rows(dir: &Path, only_measured: bool) -> Result<MeasuredReport, OptimizerError> {
    let front = dir.join("front.json");
    let text = std::fs::read(&front).map_err(|e| {
        io_err(
            &front,
            format!("{e} (give the directory of an earlier `aellm optimize --out DIR`)"),
        )
    })?;
    #[derive(serde::Deserialize)]
    struct Front {
        scenario: Scenario,
    }
    let Front { scenario } = serde_json::from_slice(&text).map_err(|e| io_err(&front, e))?;
    let path = dir.join("measurements.csv");
    let mut rd = csv::Reader::from_path(&path).map_err(|e| io_err(&path, e))?;
    let headers = rd.headers().map_err(|e| io_err(&path, e))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| io_err(&path, format!("no `{name}` column")))
    };
    let [acc, acc_p, lat, mem, energy, config] = [
        "accuracy",
        "accuracy_provenance",
        "latency_ms",
        "memory_gb",
        "energy_j",
        "configuration_json",
    ]
    .map(col);
    let (acc, acc_p, lat, mem, energy, config) = (acc?, acc_p?, lat?, mem?, energy?, config?);
    let mut measured: Vec<(Configuration, Objectives)> = Vec::new();
    for (i, row) in rd.records().enumerate() {
        let row = row.map_err(|e| io_err(&path, e))?;
        // A failure has no figures; a predicted accuracy is kept only when asked.
        let failed = row.get(acc).is_none_or(str::is_empty);
        if failed || (only_measured && row.get(acc_p) != Some("measured")) {
            continue;
        }
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            io_err(&path, format!("row {}: `{what}`: {e}", i + 2))
        };
        let num = |c: usize, what: &str| -> Result<f64, OptimizerError> {
            row.get(c)
                .unwrap_or_default()
                .parse::<f64>()
                .map_err(|e| bad(what, &e))
        };
        let c: Configuration = serde_json::from_str(row.get(config).unwrap_or_default())
            .map_err(|e| bad("configuration_json", &e))?;
        let o = Objectives {
            accuracy: num(acc, "accuracy")?,
            latency_ms: num(lat, "latency_ms")?,
            memory_gb: num(mem, "memory_gb")?,
            energy_j: num(energy, "energy_j")?,
        };
        // AE-LLM's and a baseline's evaluation of one configuration are one measurement.
        if !measured.iter().any(|(seen, _)| *seen == c) {
            measured.push((c, o));
        }
    }
    Ok(MeasuredReport { scenario, measured })
}
