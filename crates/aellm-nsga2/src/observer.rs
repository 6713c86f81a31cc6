//! Per-generation callbacks, for progress bars and logs.

use crate::history::GenerationRecord;
use crate::individual::Individual;

/// Called by the driver after every generation.
///
/// Any `FnMut(&GenerationRecord)` closure is an observer:
///
/// ```
/// use aellm_nsga2::{GenerationRecord, Observer};
/// let mut seen = 0;
/// let mut obs = |r: &GenerationRecord| seen = r.generation;
/// Observer::<Vec<f64>>::observe(&mut obs, &GenerationRecord { generation: 3, ..Default::default() }, &[]);
/// assert_eq!(seen, 3);
/// ```
pub trait Observer<G> {
    /// Sees the generation's record and the surviving population.
    fn observe(&mut self, record: &GenerationRecord, population: &[Individual<G>]);
}

impl<G, F: FnMut(&GenerationRecord)> Observer<G> for F {
    fn observe(&mut self, record: &GenerationRecord, _population: &[Individual<G>]) {
        self(record)
    }
}

/// Logs a line through `tracing` every `every` generations.
#[derive(Debug, Clone, Copy)]
pub struct TracingObserver {
    every: usize,
}

impl TracingObserver {
    /// Logs every `every` generations (0 is treated as 1).
    pub fn new(every: usize) -> Self {
        Self {
            every: every.max(1),
        }
    }
}

impl<G> Observer<G> for TracingObserver {
    fn observe(&mut self, r: &GenerationRecord, _population: &[Individual<G>]) {
        if r.generation.is_multiple_of(self.every) {
            tracing::info!(
                generation = r.generation,
                evaluations = r.n_evaluations,
                front = r.front_size,
                feasible = r.n_feasible,
                hypervolume = r.hypervolume,
                "nsga2 generation"
            );
        }
    }
}
