//! Inverted generational distance (IGD) and its Pareto-compliant variant IGD+.

use super::check_set;
use crate::error::{Nsga2Error, Result};

fn mean_min<A: AsRef<[f64]>, R: AsRef<[f64]>>(
    approximation: &[A],
    reference_front: &[R],
    dist: impl Fn(&[f64], &[f64]) -> f64,
) -> Result<f64> {
    if approximation.is_empty() || reference_front.is_empty() {
        return Err(Nsga2Error::InvalidParameter {
            name: "points",
            reason: "IGD needs a non-empty approximation and a non-empty reference front".into(),
        });
    }
    let m = reference_front[0].as_ref().len();
    check_set(reference_front, m, "reference front point")?;
    check_set(approximation, m, "approximation point")?;
    let total: f64 = reference_front
        .iter()
        .map(|z| {
            approximation
                .iter()
                .map(|a| dist(a.as_ref(), z.as_ref()))
                .fold(f64::INFINITY, f64::min)
        })
        .sum();
    Ok(total / reference_front.len() as f64)
}

/// IGD: mean Euclidean distance from each reference-front point to its nearest approximation point.
///
/// ```
/// let front = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
/// let approx = vec![vec![0.0, 1.0], vec![1.0, 1.0]];
/// assert_eq!(aellm_nsga2::indicators::igd(&approx, &front).unwrap(), 0.5);
/// ```
pub fn igd<A: AsRef<[f64]>, R: AsRef<[f64]>>(
    approximation: &[A],
    reference_front: &[R],
) -> Result<f64> {
    mean_min(approximation, reference_front, |a, z| {
        a.iter()
            .zip(z)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    })
}

/// IGD+ (Ishibuchi et al. 2015): like IGD but only the amounts by which an
/// approximation point is worse than a reference point count, which makes it
/// weakly Pareto compliant.
pub fn igd_plus<A: AsRef<[f64]>, R: AsRef<[f64]>>(
    approximation: &[A],
    reference_front: &[R],
) -> Result<f64> {
    mean_min(approximation, reference_front, |a, z| {
        a.iter()
            .zip(z)
            .map(|(x, y)| (x - y).max(0.0).powi(2))
            .sum::<f64>()
            .sqrt()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn igd_plus_ignores_better_coordinates() {
        let front = vec![vec![0.5, 0.5]];
        // Dominating the reference point costs nothing under IGD+, but does under IGD.
        assert_eq!(igd_plus(&[vec![0.2, 0.5]], &front).unwrap(), 0.0);
        assert!((igd(&[vec![0.2, 0.5]], &front).unwrap() - 0.3).abs() < 1e-12);
        assert!((igd_plus(&[vec![0.8, 0.9]], &front).unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn rejects_empty_and_ragged() {
        assert!(igd::<Vec<f64>, Vec<f64>>(&[], &[vec![1.0]]).is_err());
        assert!(igd(&[vec![1.0, 2.0]], &[vec![1.0]]).is_err());
    }
}
