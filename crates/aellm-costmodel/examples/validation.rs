//! The cost model against published measurements: fits the efficiency
//! factors on the rows marked `fit` of `data/validation.csv` and reports the
//! error on the rows marked `test` (never fitted), by metric.
//!
//! Run: `cargo run --release -p aellm-costmodel --example validation`

use aellm_costmodel::calibration::{fit, median_abs};
use aellm_costmodel::observation::read_csv;
use aellm_costmodel::{Efficiency, Metric, Observation};
use std::collections::BTreeMap;

const DATA: &str = include_str!("../data/validation.csv");

/// The `role` column (fit or test) of each data row, in order.
fn roles() -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut r = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(DATA.as_bytes());
    Ok(r.records()
        .map(|rec| rec.map(|r| r[0].to_string()))
        .collect::<Result<_, _>>()?)
}

/// Error on the time scale (predicted time / measured time - 1): rates invert.
fn time_error(o: &Observation, e: &Efficiency) -> Result<f64, Box<dyn std::error::Error>> {
    let ratio = o.predict(e)? / o.value;
    Ok(match o.metric {
        Metric::DecodeTokensPerS | Metric::PrefillTokensPerS => 1.0 / ratio - 1.0,
        _ => ratio - 1.0,
    })
}

fn label(m: Metric) -> &'static str {
    match m {
        Metric::DecodeTokensPerS => "decode latency per token",
        Metric::PrefillTokensPerS | Metric::TtftMs => "time to first token (prefill)",
        Metric::WeightGib | Metric::WeightGb => "weight memory",
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows = read_csv(DATA, "data/validation.csv")?;
    let roles = roles()?;
    let fit_rows: Vec<Observation> = rows
        .iter()
        .zip(&roles)
        .filter(|(_, r)| *r == "fit")
        .map(|(o, _)| o.clone())
        .collect();
    let cal = fit("llama.cpp-published", &fit_rows, Efficiency::default())?;
    let e = cal.efficiency;
    println!(
        "calibration on {} fit rows: compute {:.3}, bandwidth {:.3}, launch {:.1} us, dequant +{:.0}%; fit median |error| {:.1}%\n",
        fit_rows.len(),
        e.compute,
        e.bandwidth,
        e.launch_us,
        e.dequant_overhead * 100.0,
        cal.median_abs_error * 100.0
    );
    println!(
        "{:<5} {:<12} {:<10} {:<5} {:<28} {:>10} {:>10} {:>8}  source",
        "role", "model", "hardware", "bits", "metric", "measured", "predicted", "error"
    );
    let mut by_metric: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    for (o, role) in rows.iter().zip(&roles) {
        let err = time_error(o, &e)?;
        by_metric
            .entry((label(o.metric), role.as_str()))
            .or_default()
            .push(err);
        println!(
            "{:<5} {:<12} {:<10} {:<5} {:<28} {:>10.2} {:>10.2} {:>+7.1}%  {}",
            role,
            o.model,
            o.hardware,
            o.weights.to_string(),
            format!("{:?}", o.metric),
            o.value,
            o.predict(&e)?,
            err * 100.0,
            o.source
        );
    }
    println!("\nmedian absolute percentage error (time scale for rates):");
    for ((metric, role), errs) in &by_metric {
        println!(
            "  {metric:<32} {role:<4} {:>5.1}%  over {} rows",
            median_abs(errs) * 100.0,
            errs.len()
        );
    }
    println!("\nuncalibrated defaults on the same test rows:");
    for (o, role) in rows
        .iter()
        .zip(&roles)
        .filter(|(o, r)| *r == "test" && o.metric.is_timing())
    {
        let _ = role;
        println!(
            "  {:<12} {:<10} {:<5} {:<22} {:>+7.1}%",
            o.model,
            o.hardware,
            o.weights.to_string(),
            format!("{:?}", o.metric),
            time_error(o, &Efficiency::default())? * 100.0
        );
    }
    Ok(())
}
