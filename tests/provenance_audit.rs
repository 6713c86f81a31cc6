//! Provenance audited end to end: a whole `aellm optimize` report, made by
//! the command itself, with every figure it holds checked against how it
//! was produced.
//!
//! - With the harness on this machine: a figure read off a clock or a
//!   counter is `measured`; one computed from the configuration's shape
//!   (parameters, optimizer state, key/value heads, multiply-adds) is
//!   `estimated`; energy is whatever the energy meter of this machine is.
//!   The report names this machine as its hardware.
//! - With the cost model for a GPU preset: nothing is `measured` (no figure
//!   was taken on that GPU, and none from this CPU may appear under its
//!   name); the four objectives are `predicted`.
//! - The surrogates' front is `predicted`, and a front member is as weak as
//!   its weakest figure.
//!
//! The table of how the harness obtains each figure ([`harness_figure`]) is
//! written from reading its code; a figure the table does not know fails
//! the test, so a new figure has to be classified before it ships.

use aellm::harness::evaluator::this_machine;
use aellm::harness::metrics::EnergyMeter;
use aellm::space::Provenance;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const PAPER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/scenarios/paper/phi-2.toml"
);

/// Runs `aellm optimize ARGS --out OUT`; panics with its output unless it
/// exits 0 (a recommendation) or 3 (none; the report is still written).
fn optimize(args: &[&str], out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_aellm"))
        .arg("optimize")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "aellm optimize {args:?} exited {:?}\n{}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn label(p: Provenance) -> &'static str {
    match p {
        Provenance::Measured => "measured",
        Provenance::Estimated => "estimated",
        Provenance::Predicted => "predicted",
    }
}

/// Every (figure, provenance) pair of `measurements.csv`: the four
/// objectives and each extra figure, for each row that has figures.
fn csv_figures(dir: &Path) -> Vec<(String, String)> {
    let mut rd = csv::Reader::from_path(dir.join("measurements.csv")).unwrap();
    let headers: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let mut out = Vec::new();
    for row in rd.records() {
        let row = row.unwrap();
        for (i, h) in headers.iter().enumerate() {
            let Some(name) = h.strip_suffix("_provenance") else {
                continue;
            };
            // The objectives' columns are `accuracy` + `accuracy_provenance`,
            // `latency_ms` + `latency_provenance`, …; extras `NAME` + `NAME_provenance`.
            let value = &row[i - 1];
            let p = &row[i];
            if value.is_empty() && p.is_empty() {
                continue;
            }
            assert!(!p.is_empty(), "{name} = {value} has no provenance");
            out.push((name.to_string(), p.to_string()));
        }
    }
    out
}

/// The front members of `front.json` with their provenance, by front.
fn json_members(dir: &Path) -> (serde_json::Value, Vec<(String, String)>) {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("front.json")).unwrap()).unwrap();
    let mut out = Vec::new();
    for front in ["measured_front", "predicted_front", "near_misses"] {
        for m in json[front].as_array().into_iter().flatten() {
            let p = m["provenance"].as_str().unwrap_or("").to_string();
            out.push((front.to_string(), p));
        }
    }
    if let Some(p) = json["recommended"]["member"]["provenance"].as_str() {
        out.push(("recommended".into(), p.into()));
    }
    (json, out)
}

/// How the harness obtains each figure it reports.
fn harness_figure(name: &str, energy: Provenance) -> Option<Provenance> {
    use Provenance::*;
    Some(match name {
        // Scored on test examples, timed, counted by the allocator (the
        // binary installs it), read off the meter.
        "accuracy" | "latency" | "memory" => Measured,
        "energy" => energy,
        // Clocks.
        "evaluation_seconds"
        | "base_pretrain_seconds"
        | "finetune_seconds"
        | "quantize_seconds"
        | "finetune_seconds_per_step" => Measured,
        // Losses of the training run, and counters of what it held and did.
        "finetune_loss_first" | "finetune_loss_last" => Measured,
        "finetune_trainable_parameters" | "finetune_weight_bytes" | "finetune_peak_bytes" => {
            Measured
        }
        "kv_cache_bytes" | "weight_bytes" | "experts_per_token" => Measured,
        // Formulas over the configuration's shape.
        "parameters"
        | "finetune_optimizer_state_bytes"
        | "kv_heads"
        | "kv_cache_int8"
        | "dense_ffn_macs_per_token"
        | "ffn_macs_per_token" => Estimated,
        _ => return None,
    })
}

#[test]
fn the_harness_report_labels_each_figure_by_how_it_was_taken_here() {
    let dir = tempfile::tempdir().unwrap();
    // The harness's own small model on this machine (its base model is
    // pre-trained once into the aellm cache and reused), few evaluations.
    optimize(
        &[
            "--evaluator",
            "harness",
            "--budget",
            "8",
            "--rounds",
            "0",
            "--no-baselines",
            "--seed",
            "3",
        ],
        dir.path(),
    );
    let energy =
        EnergyMeter::detect(aellm::harness::HarnessOptions::default().watts_per_core).provenance();
    let figures = csv_figures(dir.path());
    assert!(figures.len() >= 8 * 4, "{} figures", figures.len());
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (name, p) in &figures {
        let expected = harness_figure(name, energy)
            .unwrap_or_else(|| panic!("`{name}` ({p}) is not in the audit's table: classify it"));
        assert_eq!(p, label(expected), "`{name}`");
        *seen.entry((name.clone(), p.clone())).or_default() += 1;
    }
    eprintln!("audited harness figures: {seen:?}");
    // The report names this machine, the one the figures were taken on.
    let (json, members) = json_members(dir.path());
    let here = this_machine(aellm::harness::HarnessOptions::default().watts_per_core).name;
    assert_eq!(json["scenario"]["hardware"]["name"], here.as_str());
    let weakest = if energy == Provenance::Measured {
        "measured"
    } else {
        "estimated"
    };
    for (front, p) in &members {
        let expected = if front == "predicted_front" {
            "predicted"
        } else {
            weakest
        };
        assert_eq!(p, expected, "a member of {front}");
    }
}

#[test]
fn the_cost_model_report_for_a_gpu_measures_nothing() {
    let dir = tempfile::tempdir().unwrap();
    optimize(
        &[
            "--scenario",
            PAPER,
            "--evaluator",
            "costmodel",
            "--budget",
            "12",
            "--rounds",
            "1",
            "--seed",
            "7",
        ],
        dir.path(),
    );
    let figures = csv_figures(dir.path());
    assert!(figures.len() >= 12 * 4, "{} figures", figures.len());
    for (name, p) in &figures {
        assert_ne!(
            p, "measured",
            "`{name}` claims a measurement on a GPU we do not have"
        );
        if ["accuracy", "latency", "memory", "energy"].contains(&name.as_str()) {
            assert_eq!(p, "predicted", "`{name}` comes from the cost model");
        }
    }
    let (json, members) = json_members(dir.path());
    let hw = json["scenario"]["hardware"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!hw.starts_with("this-cpu"), "{hw}");
    assert!(!members.is_empty());
    for (front, p) in &members {
        assert_eq!(p, "predicted", "a member of {front}");
    }
    // The Markdown report says what the figures are, and never that they
    // were measured on the GPU.
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("predicted"),
        "report.md names its figures predicted"
    );
    for line in md.lines().filter(|l| l.starts_with('|')) {
        assert!(
            !line.contains("| measured"),
            "a table row of report.md claims a measurement: {line}"
        );
    }
}
