//! Variation operators as small traits, so users can write their own.
//!
//! Every operator draws its random numbers from the `rng` it is handed; the
//! engine owns one seeded ChaCha8 generator and calls operators on one thread,
//! which is what makes runs reproducible.

pub mod crossover;
pub mod duplicates;
pub mod mutation;
pub mod sampling;
pub mod selection;

pub use crossover::{Sbx, UniformCrossover};
pub use duplicates::{HashDuplicates, NoDuplicateElimination, RealDuplicates};
pub use mutation::{PolynomialMutation, RandomResetMutation};
pub use sampling::{CategoricalSampling, FloatRandomSampling};
pub use selection::{TournamentSelection, Tournaments};

use rand::RngCore;

use crate::error::{Nsga2Error, Result};

/// Creates the initial genomes (pymoo's `Sampling`).
///
/// A constraint-aware sampler (one that only proposes valid genomes) plugs in here.
pub trait Sampling<G>: Send + Sync {
    /// Returns `n` genomes.
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Vec<G>;
}

/// Recombines parents into offspring (pymoo's `Crossover`).
pub trait Crossover<G>: Send + Sync {
    /// How many parents one mating takes.
    fn n_parents(&self) -> usize {
        2
    }
    /// Produces offspring (usually two) from `parents` (`n_parents()` of them).
    fn crossover(&self, parents: &[&G], rng: &mut dyn RngCore) -> Vec<G>;
}

/// Perturbs one genome in place (pymoo's `Mutation`).
pub trait Mutation<G>: Send + Sync {
    /// Mutates `genome`.
    fn mutate(&self, genome: &mut G, rng: &mut dyn RngCore);
}

/// Removes offspring that repeat a genome already present.
pub trait DuplicateElimination<G>: Send + Sync {
    /// Keeps the candidates that equal neither a member of `existing` nor an
    /// earlier kept candidate, in their original order.
    fn eliminate(&self, existing: &[&G], candidates: Vec<G>) -> Vec<G>;
}

/// Checks that a probability lies in [0, 1].
pub(crate) fn check_probability(name: &'static str, p: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(Nsga2Error::InvalidParameter {
            name,
            reason: format!("{p} is not a probability; use a value in [0, 1]"),
        })
    }
}

/// Checks that a distribution index is finite and non-negative.
pub(crate) fn check_eta(name: &'static str, eta: f64) -> Result<f64> {
    if eta.is_finite() && eta >= 0.0 {
        Ok(eta)
    } else {
        Err(Nsga2Error::InvalidParameter {
            name,
            reason: format!(
                "{eta} is not a valid distribution index; use a finite value >= 0 (typically 15 to 30)"
            ),
        })
    }
}

/// `x^e`, through `powi` when `e` is a small integer (the usual distribution
/// indices are), which is several times faster than `powf` (they agree to rounding).
#[inline]
pub(crate) fn pow_eta(x: f64, e: f64) -> f64 {
    if e.fract() == 0.0 && e.abs() <= 256.0 {
        x.powi(e as i32)
    } else {
        x.powf(e)
    }
}
