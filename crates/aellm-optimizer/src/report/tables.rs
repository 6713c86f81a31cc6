//! CSV tables of the fronts and of every measurement.

use crate::AeLlmResult;
use aellm_space::{Evaluation, Figure, Provenance};

fn configuration_columns(c: &aellm_space::Configuration) -> [String; 8] {
    let a = &c.architecture;
    let f = &c.fine_tuning;
    let i = &c.inference;
    [
        a.attention.to_string(),
        a.moe.to_string(),
        f.method.to_string(),
        f.rank.map_or(String::new(), |r| r.to_string()),
        f.alpha.map_or(String::new(), |x| x.to_string()),
        i.weights.to_string(),
        i.method.map_or(String::new(), |m| m.to_string()),
        i.kv_cache.to_string(),
    ]
}

const CONFIG_HEADERS: [&str; 8] = [
    "attention",
    "moe",
    "fine_tune",
    "rank",
    "alpha",
    "weights",
    "quant_method",
    "kv_cache",
];

/// `front.csv`: the measured front, then the predicted one.
pub fn front_csv(r: &AeLlmResult) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut h: Vec<&str> = vec!["front"];
    h.extend(CONFIG_HEADERS);
    h.extend([
        "accuracy",
        "latency_ms",
        "memory_gb",
        "energy_j",
        "provenance",
        "utility",
        "configuration_json",
    ]);
    w.write_record(&h)?;
    for (front, members) in [
        ("measured", &r.measured_front),
        ("predicted", &r.predicted_front),
    ] {
        for m in members {
            let o = m.objectives;
            let mut row = vec![front.to_string()];
            row.extend(configuration_columns(&m.configuration));
            row.extend([o.accuracy, o.latency_ms, o.memory_gb, o.energy_j].map(|v| v.to_string()));
            row.extend([
                m.provenance.to_string(),
                m.utility.to_string(),
                m.configuration.key(),
            ]);
            w.write_record(&row)?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// `measurements.csv`: every evaluation of the run, AE-LLM's then each
/// baseline's, failures included, with each figure's provenance and the
/// method that asked for it, then two columns per extra figure any
/// evaluation reported (fine-tuning cost, timings, …): its value and its
/// provenance (`NAME_provenance`), so every figure says how it was obtained.
pub fn measurements_csv(r: &AeLlmResult) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let runs: Vec<(&str, &Evaluation)> = r
        .evaluations
        .iter()
        .map(|e| ("AE-LLM", e))
        .chain(
            r.baseline_runs
                .iter()
                .flat_map(|(m, ev)| ev.iter().map(move |e| (m.as_str(), e))),
        )
        .collect();
    let extra_keys: std::collections::BTreeSet<&str> = runs
        .iter()
        .filter_map(|(_, e)| e.measurement())
        .flat_map(|m| m.extra.keys())
        .map(String::as_str)
        .collect();
    let mut h: Vec<&str> = CONFIG_HEADERS.to_vec();
    h.extend([
        "accuracy",
        "accuracy_provenance",
        "latency_ms",
        "latency_provenance",
        "memory_gb",
        "memory_provenance",
        "energy_j",
        "energy_provenance",
        "error",
        "configuration_json",
        "method",
    ]);
    let extra_headers: Vec<String> = extra_keys
        .iter()
        .flat_map(|k| [k.to_string(), format!("{k}_provenance")])
        .collect();
    h.extend(extra_headers.iter().map(String::as_str));
    w.write_record(&h)?;
    for (method, e) in runs {
        let mut row: Vec<String> = configuration_columns(&e.configuration).to_vec();
        match &e.outcome {
            Ok(m) => {
                for f in m.figures() {
                    row.extend(figure_cells(f));
                }
                row.push(String::new());
            }
            Err(err) => {
                row.extend(std::iter::repeat_n(String::new(), 8));
                row.push(err.to_string());
            }
        }
        row.push(e.configuration.key());
        row.push(method.to_string());
        let extra = e.measurement().map(|m| &m.extra);
        row.extend(extra_keys.iter().flat_map(|k| {
            extra
                .and_then(|x| x.get(*k))
                .map_or([String::new(), String::new()], figure_cells)
        }));
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn figure_cells(f: &Figure) -> [String; 2] {
    let p = match f.provenance {
        Provenance::Measured => "measured",
        Provenance::Estimated => "estimated",
        Provenance::Predicted => "predicted",
    };
    [f.value.to_string(), p.to_string()]
}
