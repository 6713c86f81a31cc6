//! What a finished run hands back (pymoo's `Result`).

use serde::{Deserialize, Serialize};

use crate::history::GenerationRecord;
use crate::individual::Individual;
use crate::termination::TerminationReason;

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizationResult<G> {
    /// The final population, best first, with ranks, crowding and constraint violations.
    pub population: Vec<Individual<G>>,
    /// The final population's first front: its feasible non-dominated members,
    /// or its least-violating members when none is feasible.
    pub front: Vec<Individual<G>>,
    /// Every non-dominated solution seen during the run.
    pub archive: Vec<Individual<G>>,
    /// One record per generation.
    pub history: Vec<GenerationRecord>,
    /// Generations run (the initial population counts as one).
    pub n_generations: usize,
    /// Evaluations made.
    pub n_evaluations: usize,
    /// Why the run stopped (`None` when the result was taken mid-run).
    pub termination: Option<TerminationReason>,
    /// Wall time in seconds.
    pub elapsed_seconds: f64,
}

impl<G> OptimizationResult<G> {
    /// Objective vectors of the first front.
    pub fn front_objectives(&self) -> Vec<Vec<f64>> {
        self.front.iter().map(|i| i.objectives.clone()).collect()
    }

    /// Objective vectors of the archive.
    pub fn archive_objectives(&self) -> Vec<Vec<f64>> {
        self.archive.iter().map(|i| i.objectives.clone()).collect()
    }
}
