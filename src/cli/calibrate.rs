//! `aellm calibrate FILE.csv`: fits the cost model's efficiency factors to
//! measurements taken on a GPU and writes a calibration file that
//! `aellm optimize --calibration` uses.

use crate::exit::BadInput;
use aellm::costmodel::calibration::{fit, median_abs};
use aellm::costmodel::observation::read_csv;
use aellm::costmodel::{Calibration, Efficiency};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `aellm calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Measurements as CSV with the header
    /// `model,hardware,weights,method,format,batch,prompt,output,metric,value,source`
    /// (metric: decode_tokens_per_s, prefill_tokens_per_s, ttft_ms, weight_gib, weight_gb).
    csv: PathBuf,
    /// Where to write the calibration (TOML); default: next to the CSV, `.calibration.toml`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Name recorded with every prediction that uses it; default: the CSV's file stem.
    #[arg(long)]
    name: Option<String>,
}

/// Runs `aellm calibrate`.
pub fn run(a: CalibrateArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&a.csv)
        .map_err(|e| BadInput(format!("cannot read {}: {e}", a.csv.display())))?;
    let rows =
        read_csv(&text, &a.csv.display().to_string()).map_err(|e| BadInput(e.to_string()))?;
    let stem = a
        .csv
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let name = a.name.unwrap_or(stem);
    let cal: Calibration =
        fit(&name, &rows, Efficiency::default()).map_err(|e| BadInput(e.to_string()))?;
    let e = &cal.efficiency;
    println!(
        "calibration `{name}` from {} timing rows: compute {:.3}, bandwidth {:.3}, launch {:.1} us, dequantization +{:.0}%",
        cal.rows,
        e.compute,
        e.bandwidth,
        e.launch_us,
        e.dequant_overhead * 100.0
    );
    let mut errors = Vec::new();
    for o in &rows {
        let err = o.error(e)?;
        errors.push(err);
        println!(
            "  {:<14} {:<10} {:<5} {:?} measured {:.2}, predicted {:.2} ({:+.1}%)",
            o.model,
            o.hardware,
            o.weights.to_string(),
            o.metric,
            o.value,
            o.predict(e)?,
            err * 100.0
        );
    }
    println!(
        "fit error: median |error| {:.1}% over {} rows (fitted rows; hold some out to test)",
        median_abs(&errors) * 100.0,
        rows.len()
    );
    let out = a
        .out
        .unwrap_or_else(|| a.csv.with_extension("calibration.toml"));
    std::fs::write(&out, cal.to_toml()).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}
