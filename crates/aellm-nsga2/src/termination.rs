//! When a run stops (pymoo's `Termination`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Nsga2Error, Result};
use crate::history::GenerationRecord;

/// Stop criteria; a run stops as soon as any one is met.
///
/// Generations are counted as pymoo counts them: evaluating the initial
/// population is generation 1, so `generations(250)` with 100 individuals
/// costs 25,000 evaluations.
///
/// ```
/// use std::time::Duration;
/// use aellm_nsga2::Termination;
/// let t = Termination::generations(250).or(Termination::time(Duration::from_secs(5)));
/// assert!(t.validate().is_ok());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Termination {
    /// Maximum number of generations.
    pub max_generations: Option<usize>,
    /// Maximum number of evaluations (checked after each generation).
    pub max_evaluations: Option<usize>,
    /// Maximum wall time (checked after each generation).
    pub max_time: Option<Duration>,
    /// Stop when the hypervolume stalls.
    pub hypervolume_stall: Option<HypervolumeStall>,
}

/// Stop when the hypervolume of the first front improved by less than
/// `tolerance` (relative) over the last `window` generations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HypervolumeStall {
    /// Reference point (one coordinate per objective).
    pub reference: Vec<f64>,
    /// Number of generations looked back.
    pub window: usize,
    /// Relative improvement below which the run counts as stalled.
    pub tolerance: f64,
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TerminationReason {
    /// The generation limit was reached.
    Generations,
    /// The evaluation budget was used.
    Evaluations,
    /// The wall-time limit passed.
    Time,
    /// The hypervolume stopped improving.
    HypervolumeStalled,
}

impl Termination {
    /// Stop after `n` generations.
    pub fn generations(n: usize) -> Self {
        Self {
            max_generations: Some(n),
            ..Self::default()
        }
    }

    /// Stop once `n` evaluations have been made.
    pub fn evaluations(n: usize) -> Self {
        Self {
            max_evaluations: Some(n),
            ..Self::default()
        }
    }

    /// Stop after `limit` of wall time.
    pub fn time(limit: Duration) -> Self {
        Self {
            max_time: Some(limit),
            ..Self::default()
        }
    }

    /// Stop when the hypervolume (w.r.t. `reference`) improved by less than
    /// `tolerance` (relative) over the last `window` generations.
    pub fn hypervolume_stall(reference: Vec<f64>, window: usize, tolerance: f64) -> Self {
        Self {
            hypervolume_stall: Some(HypervolumeStall {
                reference,
                window,
                tolerance,
            }),
            ..Self::default()
        }
    }

    /// Stops when either this or `other` says so (the tighter limit of each kind wins).
    pub fn or(self, other: Termination) -> Self {
        fn min<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        Self {
            max_generations: min(self.max_generations, other.max_generations),
            max_evaluations: min(self.max_evaluations, other.max_evaluations),
            max_time: min(self.max_time, other.max_time),
            hypervolume_stall: self.hypervolume_stall.or(other.hypervolume_stall),
        }
    }

    /// Checks that at least one criterion is set and the stall criterion is sound.
    pub fn validate(&self) -> Result<()> {
        if self.max_generations.is_none()
            && self.max_evaluations.is_none()
            && self.max_time.is_none()
            && self.hypervolume_stall.is_none()
        {
            return Err(Nsga2Error::NoTermination);
        }
        if let Some(s) = &self.hypervolume_stall
            && (s.window == 0
                || s.tolerance.is_nan()
                || s.tolerance < 0.0
                || s.reference.iter().any(|v| !v.is_finite()))
        {
            return Err(Nsga2Error::InvalidParameter {
                name: "hypervolume_stall",
                reason: "use a window of at least 1 generation, a tolerance >= 0 and a finite reference point".into(),
            });
        }
        Ok(())
    }

    /// The reason to stop after the generations in `history`, if any.
    pub fn check(
        &self,
        history: &[GenerationRecord],
        elapsed: Duration,
    ) -> Option<TerminationReason> {
        let last = history.last();
        let generation = last.map_or(0, |r| r.generation);
        let evaluations = last.map_or(0, |r| r.n_evaluations);
        if self.max_generations.is_some_and(|g| generation >= g) {
            return Some(TerminationReason::Generations);
        }
        if self.max_evaluations.is_some_and(|e| evaluations >= e) {
            return Some(TerminationReason::Evaluations);
        }
        if self.max_time.is_some_and(|t| elapsed >= t) {
            return Some(TerminationReason::Time);
        }
        if let Some(s) = &self.hypervolume_stall
            && history.len() > s.window
        {
            let now = history[history.len() - 1].hypervolume?;
            let then = history[history.len() - 1 - s.window].hypervolume?;
            if now - then <= s.tolerance * now.abs().max(f64::MIN_POSITIVE) {
                return Some(TerminationReason::HypervolumeStalled);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(generation: usize, hv: f64) -> GenerationRecord {
        GenerationRecord {
            generation,
            n_evaluations: generation * 10,
            hypervolume: Some(hv),
            ..Default::default()
        }
    }

    #[test]
    fn criteria_fire() {
        assert_eq!(
            Termination::default().validate(),
            Err(Nsga2Error::NoTermination)
        );
        let t = Termination::generations(3).or(Termination::evaluations(20));
        assert_eq!(t.check(&[rec(1, 0.0)], Duration::ZERO), None);
        assert_eq!(
            t.check(&[rec(2, 0.0)], Duration::ZERO),
            Some(TerminationReason::Evaluations)
        );
        let s = Termination::hypervolume_stall(vec![1.0], 2, 0.01);
        assert_eq!(
            s.check(&[rec(1, 0.5), rec(2, 0.6), rec(3, 0.7)], Duration::ZERO),
            None
        );
        assert_eq!(
            s.check(
                &[rec(1, 0.5), rec(2, 0.7), rec(3, 0.701), rec(4, 0.702)],
                Duration::ZERO
            ),
            Some(TerminationReason::HypervolumeStalled)
        );
    }
}
