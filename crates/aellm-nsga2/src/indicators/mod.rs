//! Quality indicators: exact hypervolume (whole set, each point's exclusive
//! contribution, one candidate's improvement) in any number of objectives,
//! IGD and IGD+; [`benchmark_sets`] holds the point sets and moocore's
//! recorded figures the hypervolume is checked and timed against.

pub mod benchmark_sets;
#[cfg(test)]
mod brute_force;
mod hv4d;
mod hv_exact;
mod hv_low;
pub mod hypervolume;
pub mod igd;
mod nondominated;

pub use hypervolume::{hypervolume, hypervolume_contributions, hypervolume_improvement};
pub use igd::{igd, igd_plus};

use crate::error::{Nsga2Error, Result};

/// Checks that every point has `m` finite coordinates.
pub(crate) fn check_set<T: AsRef<[f64]>>(points: &[T], m: usize, what: &'static str) -> Result<()> {
    for (i, p) in points.iter().enumerate() {
        let p = p.as_ref();
        if p.len() != m {
            return Err(Nsga2Error::DimensionMismatch {
                what,
                expected: m,
                got: p.len(),
            });
        }
        if p.iter().any(|v| !v.is_finite()) {
            return Err(Nsga2Error::NonFinite { what, index: i });
        }
    }
    Ok(())
}
