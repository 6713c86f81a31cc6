//! Per-generation records.

use serde::{Deserialize, Serialize};

/// What one generation looked like, for logs, plots and stall detection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationRecord {
    /// Generation number (1 is the initial population).
    pub generation: usize,
    /// Evaluations made so far.
    pub n_evaluations: usize,
    /// Individuals evaluated in this generation.
    pub n_new: usize,
    /// Size of the population's first front.
    pub front_size: usize,
    /// Feasible individuals in the population.
    pub n_feasible: usize,
    /// Smallest constraint violation in the population.
    pub min_violation: f64,
    /// Best value of each objective over the population's first front.
    pub ideal: Vec<f64>,
    /// Hypervolume of the feasible first front, when a reference point was given.
    pub hypervolume: Option<f64>,
    /// Archive size after this generation.
    pub archive_size: usize,
    /// Wall time since setup, in seconds (the only field that differs between identical runs).
    pub elapsed_seconds: f64,
}
