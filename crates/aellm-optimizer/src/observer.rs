//! Progress of an optimisation, for progress bars and logs.

use aellm_space::Evaluation;

/// Called as an optimisation moves through its phases. Every method has an
/// empty default, so an observer implements only what it shows.
pub trait PhaseObserver: Send + Sync {
    /// A phase begins (`initial sample`, `search round 1`, …), with how many
    /// steps it will take.
    fn phase_started(&self, _name: &str, _steps: u64) {}
    /// One step of the current phase is done (an evaluation, a generation).
    fn step(&self, _message: &str) {}
    /// A real evaluation finished (or was found in the study).
    fn evaluated(&self, _evaluation: &Evaluation, _reused: bool) {}
    /// The current phase ended.
    fn phase_finished(&self, _name: &str) {}
}

/// An observer that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl PhaseObserver for Silent {}

/// An observer that logs each phase and evaluation with `tracing`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Logging;

impl PhaseObserver for Logging {
    fn phase_started(&self, name: &str, steps: u64) {
        tracing::info!(phase = name, steps, "phase started");
    }
    fn evaluated(&self, e: &Evaluation, reused: bool) {
        match &e.outcome {
            Ok(m) => {
                tracing::info!(configuration = %e.configuration, reused, objectives = ?m.objectives(), "evaluated")
            }
            Err(err) => {
                tracing::warn!(configuration = %e.configuration, reused, error = %err, "evaluation failed")
            }
        }
    }
    fn phase_finished(&self, name: &str) {
        tracing::info!(phase = name, "phase finished");
    }
}
