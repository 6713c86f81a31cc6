//! Fuzzing every reader of text a user writes or a study stores: scenario
//! files (TOML and JSON, parsed and resolved), configurations (JSON), the
//! calibration CSV and calibration file, and a study's stored rows (decoded
//! from JSON, from damaged SQLite rows, and from damaged SQLite files). The
//! inputs are arbitrary strings and valid seeds mutated by random edits
//! (bytes cut, repeated, replaced by hostile tokens such as `nan`, `-1`,
//! `1e309`, quotes and brackets). The property is the same everywhere: an
//! error or a value, never a panic.
//!
//! CI runs each target for a bounded number of inputs; a long local run
//! raises it: `AELLM_FUZZ_CASES=200000 cargo test --release --test fuzz --
//! --nocapture` (each target prints its inputs and seconds).

use aellm::costmodel::Calibration;
use aellm::costmodel::observation::read_csv;
use aellm::optimizer::study::{SqliteStudy, Study, StudyKey};
use aellm::space::{
    Configuration, EvalError, Evaluation, Measurement, Objectives, Provenance, Scenario,
    ScenarioFile, Space, presets,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rand::SeedableRng;
use std::fmt::Debug;
use std::time::Instant;

/// Inputs per target: `AELLM_FUZZ_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("AELLM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `check` on `cases(default)` inputs from `strategy`; a panic fails the
/// test with the smallest input proptest can shrink it to.
fn fuzz<S: Strategy>(name: &str, default: u32, strategy: S, check: impl Fn(S::Value))
where
    S::Value: Debug,
{
    let n = cases(default);
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    if let Err(e) = runner.run(&strategy, |v| {
        check(v);
        Ok(())
    }) {
        panic!("fuzz target {name}: {e}");
    }
    eprintln!(
        "fuzz {name}: {n} inputs in {:.1} s, no panic",
        started.elapsed().as_secs_f64()
    );
}

/// Tokens that break parsers and validators when dropped anywhere.
const HOSTILE: &[&str] = &[
    "nan",
    "NaN",
    "inf",
    "-inf",
    "-1",
    "0",
    "-0.0",
    "1e309",
    "-1e309",
    "1e-320",
    "18446744073709551616",
    "99999999999999999999",
    "4294967296",
    "\"",
    "'",
    "\"\"",
    "[",
    "]",
    "{",
    "}",
    "[]",
    "{}",
    "=",
    ":",
    ",",
    ".",
    "\n",
    "\n[constraints]\n",
    "\n[preferences]\n",
    "true",
    "null",
    "\u{0}",
    "é",
    "\u{feff}",
    "#",
    "\\",
    "\\u0000",
    "{\"path\": 1}",
    "{ path = \"\" }",
    "= { path = \"/nonexistent\" }",
];

/// `seed` with up to eight random edits, on character boundaries.
fn mutated(seed: &'static str) -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0..4u8,
        any::<prop::sample::Index>(),
        ".{0,6}",
    );
    prop::collection::vec(edit, 0..8).prop_map(move |edits| {
        let mut chars: Vec<char> = seed.chars().collect();
        for (at, kind, pick, text) in edits {
            let i = at.index(chars.len() + 1);
            let insert: Vec<char> = match kind {
                0 => HOSTILE[pick.index(HOSTILE.len())].chars().collect(),
                1 => text.chars().collect(),
                _ => Vec::new(),
            };
            let cut = match kind {
                2 => pick.index(8).min(chars.len() - i.min(chars.len())),
                // Replace a value: drop what follows up to the end of the line.
                0 => chars[i.min(chars.len())..]
                    .iter()
                    .take_while(|c| **c != '\n' && **c != ',')
                    .count()
                    .min(pick.index(12)),
                _ => 0,
            };
            let i = i.min(chars.len());
            if kind == 3 {
                // Repeat a stretch, as a doubled paste would.
                let end = (i + pick.index(40)).min(chars.len());
                let copy: Vec<char> = chars[i..end].to_vec();
                chars.splice(i..i, copy);
            } else {
                chars.splice(i..i + cut, insert);
            }
        }
        chars.into_iter().collect()
    })
}

/// Mutations of `seed` half the time, arbitrary text the other half.
fn text_like(seed: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        mutated(seed),
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
    ]
}

const SCENARIO_TOML: &str = r#"model = "llama-2-7b"
task = "mmlu"
hardware = "a100-80gb"
budget = 40
eval_timeout_s = 600
max_attempts = 3

[preferences]
accuracy = 0.4
latency = 0.2
memory = 0.2
energy = 0.2

[constraints]
max_latency_ms = 2000.0
max_memory_gb = 40
min_accuracy = 0.3
max_power_w = 700
"#;

/// A scenario in JSON with the model and hardware spelled out (every field
/// a mutation can break), the task a preset.
fn scenario_json() -> &'static str {
    let v = serde_json::json!({
        "model": presets::model("phi-2").unwrap(),
        "task": "gsm8k",
        "hardware": presets::hardware("rtx-4090").unwrap(),
        "preferences": {"accuracy": 0.25, "latency": 0.25, "memory": 0.25, "energy": 0.25},
        "constraints": {"max_latency_ms": 900.0, "min_accuracy": 0.2},
        "budget": 12
    });
    Box::leak(v.to_string().into_boxed_str())
}

fn resolve(f: Result<ScenarioFile, aellm::space::SpaceError>) {
    if let Ok(f) = f {
        // Resolving looks presets up and checks every number.
        if let Ok(s) = f.resolve() {
            let _ = s.check();
        }
    }
}

#[test]
fn scenario_toml_never_panics() {
    let seed = ScenarioFile::from_toml_str(SCENARIO_TOML).and_then(|f| f.resolve());
    assert!(seed.is_ok(), "the seed is a valid scenario: {seed:?}");
    fuzz("scenario TOML", 2000, text_like(SCENARIO_TOML), |t| {
        resolve(ScenarioFile::from_toml_str(&t))
    });
}

#[test]
fn scenario_json_never_panics() {
    let json = scenario_json();
    let seed = ScenarioFile::from_json_str(json).and_then(|f| f.resolve());
    assert!(seed.is_ok(), "the seed is a valid scenario: {seed:?}");
    fuzz("scenario JSON", 2000, text_like(json), |t| {
        resolve(ScenarioFile::from_json_str(&t))
    });
}

fn scenario() -> Scenario {
    Scenario::new(
        presets::model("llama-2-7b").unwrap(),
        presets::task("mmlu").unwrap(),
        presets::hardware("a100-80gb").unwrap(),
    )
}

/// A configuration with every stage set (GQA, MoE, QLoRA, AWQ), as JSON.
fn configuration_json() -> &'static str {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let model = presets::model("llama-2-7b").unwrap();
    let space = Space::paper().for_model(&model);
    let rich = (0..10_000)
        .map(|_| space.sample(&mut rng).unwrap())
        .find(|c| c.fine_tuning.rank.is_some() && c.inference.method.is_some())
        .unwrap();
    Box::leak(serde_json::to_string(&rich).unwrap().into_boxed_str())
}

#[test]
fn configuration_json_never_panics() {
    let s = scenario();
    let space = Space::paper();
    let json = configuration_json();
    let seed: Configuration = serde_json::from_str(json).unwrap();
    assert!(seed.validate_for(&s.model).is_empty(), "the seed is valid");
    fuzz("configuration JSON", 3000, text_like(json), |t| {
        if let Ok(c) = serde_json::from_str::<Configuration>(&t) {
            let _ = c.validate_for(&s.model);
            let _ = (c.to_string(), c.key(), space.contains(&c));
            let _ = Evaluation::run(&aellm::costmodel::CostModel::default(), c, &s);
        }
    });
}

/// The head of the cost model's published measurements (comments, header,
/// a few rows): the CSV `aellm calibrate` reads.
fn calibration_csv() -> &'static str {
    let text = include_str!("../crates/aellm-costmodel/data/validation.csv");
    let head: Vec<&str> = text.lines().take(12).collect();
    Box::leak(format!("{}\n", head.join("\n")).into_boxed_str())
}

#[test]
fn calibration_csv_never_panics() {
    let csv = calibration_csv();
    assert_eq!(read_csv(csv, "seed").unwrap().len(), 7);
    fuzz("calibration CSV", 600, text_like(csv), |t| {
        // Parsing only: predicting a row steps through every output token,
        // so a fuzzed row with a million-token output takes seconds (a slow
        // input, not a panic; see the report of issue 14).
        let _ = read_csv(&t, "fuzz.csv");
    });
}

const CALIBRATION_TOML: &str = "name = \"h100\"\nrows = 12\nmedian_abs_error = 0.08\n\n[efficiency]\ncompute = 0.6\nbandwidth = 0.8\nlaunch_us = 8.0\ndequant_overhead = 0.3\n";

#[test]
fn calibration_file_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.calibration.toml");
    std::fs::write(&path, CALIBRATION_TOML).unwrap();
    assert!(Calibration::from_path(&path).is_ok(), "the seed reads");
    fuzz("calibration file", 1000, text_like(CALIBRATION_TOML), |t| {
        std::fs::write(&path, t).unwrap();
        if let Ok(c) = Calibration::from_path(&path) {
            let _ = aellm::costmodel::CostModel::calibrated(&c);
        }
    });
}

fn stored() -> Evaluation {
    let o = Objectives {
        accuracy: 0.5,
        latency_ms: 10.0,
        memory_gb: 2.0,
        energy_j: 3.0,
    };
    Evaluation {
        configuration: Configuration::default(),
        outcome: Ok(Measurement::new(o, Provenance::Measured, "t")),
    }
}

const FAILED_ROW: &str = r#"{"Err":{"kind":"attempts","attempts":[{"kind":"out_of_memory","reason":"cuda"},{"kind":"timeout","limit_s":60.0,"reason":"slow"}]}}"#;

#[test]
fn study_rows_decode_or_are_skipped() {
    let ok_row: &'static str = Box::leak(
        serde_json::to_string(&stored().outcome)
            .unwrap()
            .into_boxed_str(),
    );
    fuzz(
        "study row JSON",
        3000,
        prop_oneof![text_like(ok_row), text_like(FAILED_ROW)],
        |t| {
            if let Ok(Err(e)) = serde_json::from_str::<Result<Measurement, EvalError>>(&t) {
                let _ = (e.to_string(), e.class(), e.attempts());
            }
            let _ = serde_json::from_str::<Evaluation>(&t);
        },
    );
    // The same texts as the rows of a real study file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let key = StudyKey::new(&scenario(), "t");
    let study = SqliteStudy::open(&path).unwrap();
    study.record(&key, &stored(), "initial").unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let config: &'static str = Box::leak(
        serde_json::to_string(&Configuration::default())
            .unwrap()
            .into_boxed_str(),
    );
    fuzz(
        "study rows in SQLite",
        300,
        (text_like(ok_row), text_like(config)),
        |(outcome, configuration)| {
            raw.execute(
                "UPDATE evaluations SET outcome = ?1, configuration = ?2",
                [&outcome, &configuration],
            )
            .unwrap();
            // A damaged row is skipped (and reported), never fatal.
            let rows = study.records(&key).unwrap();
            assert!(rows.len() <= 1);
            let _ = study.lookup(&key, &Configuration::default()).unwrap();
        },
    );
}

#[test]
fn damaged_study_files_are_refused_or_read_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.sqlite");
    let key = StudyKey::new(&scenario(), "t");
    {
        let s = SqliteStudy::open(&good).unwrap();
        s.record(&key, &stored(), "initial").unwrap();
    }
    let bytes = std::fs::read(&good).unwrap();
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16);
    let n = std::sync::atomic::AtomicUsize::new(0);
    fuzz("study file bytes", 200, edits, |edits| {
        let mut b = bytes.clone();
        for (at, v) in edits {
            let i = at.index(b.len());
            b[i] = v;
        }
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.path().join(format!("bad-{i}.sqlite"));
        std::fs::write(&path, &b).unwrap();
        if let Ok(s) = SqliteStudy::open(&path) {
            let _ = s.records(&key);
            let _ = s.lookup(&key, &Configuration::default());
        }
        let _ = std::fs::remove_file(&path);
    });
}
