//! Calibration: efficiency factors fitted to measurements by least squares
//! on log errors, with the fit's error reported.

use crate::efficiency::Efficiency;
use crate::error::CostModelError;
use crate::observation::Observation;
use serde::{Deserialize, Serialize};

/// Fitted factors and how well they fit, as written to a calibration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// A short name recorded in every prediction that uses it.
    pub name: String,
    /// The factors.
    pub efficiency: Efficiency,
    /// Rows fitted.
    pub rows: usize,
    /// Median absolute relative error over the fitted timing rows.
    pub median_abs_error: f64,
}

impl Calibration {
    /// Reads a calibration file (TOML).
    pub fn from_path(path: &std::path::Path) -> Result<Calibration, CostModelError> {
        let read_err = |message: String| CostModelError::Read {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| read_err(e.to_string()))?;
        let c: Calibration = toml::from_str(&text).map_err(|e| read_err(e.to_string()))?;
        c.efficiency.check()?;
        Ok(c)
    }

    /// The file's text (TOML).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

/// The factors calibration may move, with their ranges.
const FACTORS: [(&str, f64, f64); 4] = [
    ("compute", 0.02, 1.0),
    ("bandwidth", 0.02, 1.0),
    ("launch_us", 0.0, 200.0),
    ("dequant_overhead", 0.0, 3.0),
];

fn set(e: &mut Efficiency, i: usize, v: f64) {
    match i {
        0 => e.compute = v,
        1 => e.bandwidth = v,
        2 => e.launch_us = v,
        _ => e.dequant_overhead = v,
    }
}

/// Sum of squared log errors over the timing rows.
fn loss(rows: &[&Observation], e: &Efficiency) -> Result<f64, CostModelError> {
    rows.iter().try_fold(0.0, |acc, o| {
        Ok(acc + (o.predict(e)? / o.value).ln().powi(2))
    })
}

/// Golden-section search of one factor over its range, others fixed.
fn line_search(rows: &[&Observation], e: &mut Efficiency, i: usize) -> Result<(), CostModelError> {
    let (_, mut a, mut b) = FACTORS[i];
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..32 {
        let (x1, x2) = (b - g * (b - a), a + g * (b - a));
        let (mut e1, mut e2) = (*e, *e);
        set(&mut e1, i, x1);
        set(&mut e2, i, x2);
        if loss(rows, &e1)? < loss(rows, &e2)? {
            b = x2;
        } else {
            a = x1;
        }
    }
    let best = (a + b) / 2.0;
    let mut candidate = *e;
    set(&mut candidate, i, best);
    if loss(rows, &candidate)? <= loss(rows, e)? {
        set(e, i, best);
    }
    Ok(())
}

/// Median of absolute values.
pub fn median_abs(v: &[f64]) -> f64 {
    let mut a: Vec<f64> = v.iter().map(|x| x.abs()).collect();
    a.sort_by(f64::total_cmp);
    match a.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => a[n / 2],
        n => (a[n / 2 - 1] + a[n / 2]) / 2.0,
    }
}

/// Fits the factors to the timing rows of `observations` by coordinate
/// descent (golden-section on each factor in turn), starting from `start`.
pub fn fit(
    name: &str,
    observations: &[Observation],
    start: Efficiency,
) -> Result<Calibration, CostModelError> {
    let rows: Vec<&Observation> = observations
        .iter()
        .filter(|o| o.metric.is_timing())
        .collect();
    if rows.len() < 2 {
        return Err(CostModelError::Calibration(format!(
            "{} timing row(s) given; at least 2 are needed (decode tokens/s, prefill tokens/s or TTFT)",
            rows.len()
        )));
    }
    if let Some(o) = rows
        .iter()
        .find(|o| !(o.value.is_finite() && o.value > 0.0))
    {
        return Err(CostModelError::Calibration(format!(
            "row for {} on {} has value {}: must be > 0",
            o.model, o.hardware, o.value
        )));
    }
    let mut e = start;
    for _ in 0..16 {
        for i in 0..FACTORS.len() {
            line_search(&rows, &mut e, i)?;
        }
    }
    let errors = rows
        .iter()
        .map(|o| o.error(&e))
        .collect::<Result<Vec<_>, _>>()?;
    tracing::info!(rows = rows.len(), ?e, "calibrated");
    Ok(Calibration {
        name: name.into(),
        efficiency: e,
        rows: rows.len(),
        median_abs_error: median_abs(&errors),
    })
}
