//! Calibration on this machine's own measurements: a configuration of a
//! model in a scenario (any shape, not only presets), run by a known
//! runtime, with its measured latency and peak memory.

use crate::calibration::{Calibration, Factor, Timed, fit_timed, median_abs};
use crate::efficiency::Efficiency;
use crate::error::CostModelError;
use crate::kernel::Runtime;
use crate::memory;
use crate::predict;
use aellm_space::footprint::{Footprint, FootprintOptions};
use aellm_space::{Configuration, Scenario, WeightPrecision};
use serde::{Deserialize, Serialize};

/// One measured run: `configuration` of `scenario`'s model on its hardware,
/// a prompt of the task's length then its output tokens, batch 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalRun {
    /// What was run.
    pub configuration: Configuration,
    /// Model, task (prompt and output lengths) and hardware description.
    pub scenario: Scenario,
    /// How the measuring runtime stores weights and caches.
    pub footprint: FootprintOptions,
    /// Whose kernels ran it.
    pub runtime: Runtime,
    /// Measured wall-clock of prefill + decode, ms.
    pub latency_ms: f64,
    /// Measured peak memory, GB.
    pub memory_gb: f64,
}

impl LocalRun {
    fn counts(&self) -> Result<Footprint, CostModelError> {
        Ok(Footprint::new(
            &self.scenario.model,
            &self.configuration,
            self.footprint,
        )?)
    }

    fn lengths(&self) -> (u64, u64, u64) {
        let t = &self.scenario.task;
        (1, t.prompt_tokens as u64, t.output_tokens as u64)
    }

    /// Predicted latency (ms) with factors `e`.
    pub fn predicted_latency_ms(&self, e: &Efficiency) -> Result<f64, CostModelError> {
        let f = self.counts()?;
        let (_, pre, dec) =
            predict::serve(&f, &self.scenario.hardware, e, self.runtime, self.lengths());
        Ok((pre.seconds + dec.seconds) * 1e3)
    }

    /// Predicted peak memory (GB) with factors `e`.
    pub fn predicted_memory_gb(&self, e: &Efficiency) -> Result<f64, CostModelError> {
        let f = self.counts()?;
        let (b, p, o) = self.lengths();
        Ok(memory::predict(&f, &self.scenario.hardware, e, b, p, o).per_device_gb)
    }

    /// Relative errors (predicted / measured - 1) of latency and memory.
    pub fn errors(&self, e: &Efficiency) -> Result<(f64, f64), CostModelError> {
        Ok((
            self.predicted_latency_ms(e)? / self.latency_ms - 1.0,
            self.predicted_memory_gb(e)? / self.memory_gb - 1.0,
        ))
    }
}

impl Timed for LocalRun {
    fn predicted(&self, e: &Efficiency) -> Result<f64, CostModelError> {
        self.predicted_latency_ms(e)
    }
    fn measured(&self) -> f64 {
        self.latency_ms
    }
}

/// Fits the factors to `runs` (all of one runtime): the compute and
/// bandwidth fractions, the fixed cost per launch, a compute multiplier for
/// every precision but FP16 that the runs hold (FP16 is the reference), and
/// the runtime's own memory as the median of what the runs held beyond the
/// predicted weights, cache and activations.
pub fn fit_local(
    name: &str,
    runs: &[LocalRun],
    start: Efficiency,
) -> Result<Calibration, CostModelError> {
    let Some(runtime) = runs.first().map(|r| r.runtime) else {
        return Err(CostModelError::Calibration("no runs to fit".into()));
    };
    if runs.len() < 3 || runs.iter().any(|r| r.runtime != runtime) {
        return Err(CostModelError::Calibration(format!(
            "{} run(s) given: at least 3 of one runtime are needed",
            runs.len()
        )));
    }
    let mut factors = vec![Factor::Compute, Factor::Bandwidth, Factor::LaunchUs];
    for p in [
        WeightPrecision::Fp8,
        WeightPrecision::Int8,
        WeightPrecision::Int4,
    ] {
        if runs.iter().any(|r| r.configuration.inference.weights == p) {
            factors.push(Factor::Precision(p));
        }
    }
    let rows: Vec<&LocalRun> = runs.iter().collect();
    let (mut e, errors) = fit_timed(&rows, start, &factors)?;
    e.runtime_gb = 0.0;
    let extra = runs
        .iter()
        .map(|r| Ok(r.memory_gb - r.predicted_memory_gb(&e)?))
        .collect::<Result<Vec<f64>, CostModelError>>()?;
    e.runtime_gb = median(extra).max(0.0);
    Ok(Calibration {
        name: name.into(),
        efficiency: e,
        rows: runs.len(),
        median_abs_error: median_abs(&errors),
        runtime,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
