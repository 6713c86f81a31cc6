//! Calibration: efficiency factors fitted to measurements by least squares
//! on log errors, with the fit's error reported.

use crate::efficiency::Efficiency;
use crate::error::CostModelError;
use crate::kernel::Runtime;
use crate::observation::Observation;
use aellm_space::WeightPrecision;
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
    /// Whose kernels the measurements ran (GPU engines unless stated).
    #[serde(default)]
    pub runtime: Runtime,
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

/// One factor calibration may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// [`Efficiency::compute`].
    Compute,
    /// [`Efficiency::bandwidth`].
    Bandwidth,
    /// [`Efficiency::launch_us`].
    LaunchUs,
    /// [`Efficiency::dequant_overhead`].
    DequantOverhead,
    /// One precision's multiplier in [`Efficiency::precision`].
    Precision(WeightPrecision),
}

/// The factors fitted to published GPU measurements.
pub const GPU_FACTORS: [Factor; 4] = [
    Factor::Compute,
    Factor::Bandwidth,
    Factor::LaunchUs,
    Factor::DequantOverhead,
];

impl Factor {
    /// The range searched.
    fn range(self) -> (f64, f64) {
        match self {
            Factor::Compute | Factor::Bandwidth => (0.02, 1.0),
            Factor::LaunchUs => (0.0, 200.0),
            Factor::DequantOverhead => (0.0, 3.0),
            Factor::Precision(_) => (0.05, 5.0),
        }
    }

    fn set(self, e: &mut Efficiency, v: f64) {
        match self {
            Factor::Compute => e.compute = v,
            Factor::Bandwidth => e.bandwidth = v,
            Factor::LaunchUs => e.launch_us = v,
            Factor::DequantOverhead => e.dequant_overhead = v,
            Factor::Precision(p) => e.precision.set(p, v),
        }
    }
}

/// A timing the model predicts and a clock measured.
pub trait Timed {
    /// The model's figure with factors `e`.
    fn predicted(&self, e: &Efficiency) -> Result<f64, CostModelError>;
    /// The measured figure (> 0).
    fn measured(&self) -> f64;
}

impl Timed for Observation {
    fn predicted(&self, e: &Efficiency) -> Result<f64, CostModelError> {
        self.predict(e)
    }
    fn measured(&self) -> f64 {
        self.value
    }
}

/// Sum of squared log errors over the timing rows.
fn loss<T: Timed>(rows: &[&T], e: &Efficiency) -> Result<f64, CostModelError> {
    rows.iter().try_fold(0.0, |acc, o| {
        Ok(acc + (o.predicted(e)? / o.measured()).ln().powi(2))
    })
}

/// Golden-section search of one factor over its range, others fixed.
fn line_search<T: Timed>(
    rows: &[&T],
    e: &mut Efficiency,
    factor: Factor,
) -> Result<(), CostModelError> {
    let (mut a, mut b) = factor.range();
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..32 {
        let (x1, x2) = (b - g * (b - a), a + g * (b - a));
        let (mut e1, mut e2) = (*e, *e);
        factor.set(&mut e1, x1);
        factor.set(&mut e2, x2);
        if loss(rows, &e1)? < loss(rows, &e2)? {
            b = x2;
        } else {
            a = x1;
        }
    }
    let best = (a + b) / 2.0;
    let mut candidate = *e;
    factor.set(&mut candidate, best);
    if loss(rows, &candidate)? < loss(rows, e)? {
        factor.set(e, best);
    }
    Ok(())
}

/// Fits `factors` to `rows` by coordinate descent (golden-section on each
/// in turn) from `start`; returns the factors and each row's relative error.
pub fn fit_timed<T: Timed>(
    rows: &[&T],
    start: Efficiency,
    factors: &[Factor],
) -> Result<(Efficiency, Vec<f64>), CostModelError> {
    if let Some(o) = rows
        .iter()
        .find(|o| !(o.measured().is_finite() && o.measured() > 0.0))
    {
        return Err(CostModelError::Calibration(format!(
            "a row has measured value {}: must be > 0",
            o.measured()
        )));
    }
    let mut e = start;
    for _ in 0..16 {
        for f in factors {
            line_search(rows, &mut e, *f)?;
        }
    }
    let errors = rows
        .iter()
        .map(|o| Ok(o.predicted(&e)? / o.measured() - 1.0))
        .collect::<Result<Vec<_>, CostModelError>>()?;
    Ok((e, errors))
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
    let (e, errors) = fit_timed(&rows, start, &GPU_FACTORS)?;
    tracing::info!(rows = rows.len(), ?e, "calibrated");
    Ok(Calibration {
        name: name.into(),
        efficiency: e,
        rows: rows.len(),
        median_abs_error: median_abs(&errors),
        runtime: Runtime::Gpu,
    })
}
