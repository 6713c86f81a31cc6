//! An evaluated member of a population.

use serde::{Deserialize, Serialize};

use crate::problem::Evaluation;

/// A genome with its objectives, constraints and NSGA-II bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Individual<G> {
    /// The decision variables.
    pub genome: G,
    /// Objective values (minimised).
    pub objectives: Vec<f64>,
    /// Constraint values (`<= 0` satisfied).
    pub constraints: Vec<f64>,
    /// Sum of the positive parts of the constraints; 0 when feasible.
    pub constraint_violation: f64,
    /// Front number in the last survival (0 is the first front).
    pub rank: usize,
    /// Crowding distance in the last survival (infinite at the boundary of a front).
    pub crowding_distance: f64,
}

impl<G> Individual<G> {
    /// An individual from a genome and its evaluation, not yet ranked.
    pub fn new(genome: G, evaluation: Evaluation) -> Self {
        let constraint_violation = evaluation.constraint_violation();
        Self {
            genome,
            objectives: evaluation.objectives,
            constraints: evaluation.constraints,
            constraint_violation,
            rank: usize::MAX,
            crowding_distance: 0.0,
        }
    }

    /// True when every constraint is satisfied.
    pub fn is_feasible(&self) -> bool {
        self.constraint_violation <= 0.0
    }
}
