//! Exact hypervolume (minimisation, w.r.t. a reference point): the whole
//! set's, each point's exclusive contribution, and the improvement one new
//! point brings.
//!
//! The algorithms, by dimension: 2-D and 3-D sweeps in O(n log n)
//! (module `hv_low`), HV4D+ of Guerreiro and Fonseca (2018) in O(n²) for four
//! objectives (`hv4d`), and WFG over limit sets reduced to their non-dominated
//! points for five and more, bottoming out in HV4D+ (`hv_exact`). Contributions and
//! improvements are the box of the point minus the hypervolume of its
//! non-dominated limit set, so they ride on the same algorithms.
//!
//! Points that do not strictly dominate the reference point contribute nothing.

use super::check_set;
use super::hv_exact::{exclusive_volume, hv_flat};
use super::nondominated::Order;
use crate::error::{Nsga2Error, Result};

/// Exact hypervolume of `points` (rows of minimised objectives) with respect to `reference`.
///
/// ```
/// use aellm_nsga2::indicators::hypervolume;
/// let pts = vec![vec![1.0, 3.0], vec![2.0, 2.0], vec![3.0, 1.0]];
/// assert_eq!(hypervolume(&pts, &[4.0, 4.0]).unwrap(), 6.0);
/// ```
pub fn hypervolume<T: AsRef<[f64]>>(points: &[T], reference: &[f64]) -> Result<f64> {
    let flat = prepare(points, reference)?;
    Ok(hv_flat(flat, reference.len(), reference))
}

/// Exclusive contribution of every point: the hypervolume lost when it alone is removed.
///
/// Dominated points, duplicated points and points outside the reference box contribute 0.
///
/// ```
/// use aellm_nsga2::indicators::hypervolume_contributions;
/// let pts = vec![vec![1.0, 3.0], vec![2.0, 2.0], vec![3.0, 1.0]];
/// assert_eq!(hypervolume_contributions(&pts, &[4.0, 4.0]).unwrap(), vec![1.0, 1.0, 1.0]);
/// ```
pub fn hypervolume_contributions<T: AsRef<[f64]>>(
    points: &[T],
    reference: &[f64],
) -> Result<Vec<f64>> {
    prepare(points, reference)?;
    let d = reference.len();
    Ok(points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let others = points
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, q)| q.as_ref());
            exclusive_volume(p.as_ref(), others, Order::Any, d, reference)
        })
        .collect())
}

/// The hypervolume `candidate` adds to `points`:
/// `hypervolume(points ∪ {candidate}) − hypervolume(points)`, computed as the
/// candidate's box minus the hypervolume of the points limited by it, which
/// costs one small hypervolume rather than two large ones (the greedy loop of
/// an acquisition function calls it once per candidate).
///
/// ```
/// use aellm_nsga2::indicators::hypervolume_improvement;
/// let front = vec![vec![1.0, 3.0], vec![3.0, 1.0]];
/// assert_eq!(hypervolume_improvement(&front, &[2.0, 2.0], &[4.0, 4.0]).unwrap(), 1.0);
/// assert_eq!(hypervolume_improvement(&front, &[3.0, 3.0], &[4.0, 4.0]).unwrap(), 0.0);
/// ```
pub fn hypervolume_improvement<T: AsRef<[f64]>>(
    points: &[T],
    candidate: &[f64],
    reference: &[f64],
) -> Result<f64> {
    prepare(points, reference)?;
    check_set(&[candidate], reference.len(), "candidate")?;
    let others = points.iter().map(|q| q.as_ref());
    let d = reference.len();
    Ok(exclusive_volume(
        candidate,
        others,
        Order::Any,
        d,
        reference,
    ))
}

/// Validates and returns the points strictly inside the reference box, flattened.
fn prepare<T: AsRef<[f64]>>(points: &[T], reference: &[f64]) -> Result<Vec<f64>> {
    let d = reference.len();
    if d == 0 {
        return Err(Nsga2Error::InvalidParameter {
            name: "reference",
            reason: "the reference point is empty; give one coordinate per objective".into(),
        });
    }
    if reference.iter().any(|v| !v.is_finite()) {
        return Err(Nsga2Error::NonFinite {
            what: "reference point",
            index: 0,
        });
    }
    check_set(points, d, "point")?;
    let mut flat = Vec::with_capacity(points.len() * d);
    for p in points {
        let p = p.as_ref();
        if p.iter().zip(reference).all(|(x, r)| x < r) {
            flat.extend_from_slice(p);
        }
    }
    Ok(flat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{cases, points};
    use crate::indicators::brute_force::{grid_volume, inclusion_exclusion};
    use rand::Rng;
    use rand_chacha::ChaCha8Rng;

    /// Equal to 1e-12, relative to the volume (absolute below 1).
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    /// Up to `max_n - 1` points of `d` coarse coordinates (halves, half of
    /// them below 2.5, the rest up to 5.5): ties, duplicates and points
    /// outside the box of 5 are frequent.
    fn coarse(rng: &mut ChaCha8Rng, d: usize, max_n: usize) -> Vec<Vec<f64>> {
        points(rng, 0..max_n, d, |r| {
            let top = if r.random_bool(0.5) { 5 } else { 12 };
            r.random_range(0..top) as f64 / 2.0
        })
    }

    fn uniform(rng: &mut ChaCha8Rng, d: usize, count: std::ops::Range<usize>) -> Vec<Vec<f64>> {
        points(rng, count, d, |r| r.random_range(0.0..1.0))
    }

    #[test]
    fn matches_brute_force_to_1e12() {
        cases(|rng| {
            let d = rng.random_range(1..7);
            let pts = coarse(rng, d, 9);
            let r = vec![5.0; d];
            let hv = hypervolume(&pts, &r).unwrap();
            let ie = inclusion_exclusion(&pts, &r);
            assert!(close(hv, ie), "hv {hv} inclusion-exclusion {ie}");
            if d <= 4 {
                let grid = grid_volume(&pts, &r);
                assert!(close(hv, grid), "hv {hv} grid {grid}");
            }
        });
    }

    #[test]
    fn four_objectives_match_brute_force_on_larger_sets() {
        cases(|rng| {
            let pts = coarse(rng, 4, 15);
            let r = vec![5.0; 4];
            let hv = hypervolume(&pts, &r).unwrap();
            let ie = inclusion_exclusion(&pts, &r);
            assert!(close(hv, ie), "hv {hv} inclusion-exclusion {ie}");
        });
    }

    #[test]
    fn a_dominated_point_changes_nothing() {
        cases(|rng| {
            let d = rng.random_range(2..7);
            let mut pts = coarse(rng, d, 12);
            if pts.is_empty() {
                return;
            }
            let r = vec![5.0; d];
            let before = hypervolume(&pts, &r).unwrap();
            let p = pts[rng.random_range(0..pts.len())].clone();
            let worse: Vec<f64> = p
                .iter()
                .map(|x| x + rng.random_range(0..4) as f64 / 2.0)
                .collect();
            pts.push(worse);
            let after = hypervolume(&pts, &r).unwrap();
            assert!(close(after, before), "{after} vs {before}");
        });
    }

    #[test]
    fn monotone_in_the_reference_point() {
        cases(|rng| {
            let d = rng.random_range(2..7);
            let pts = coarse(rng, d, 12);
            let r = vec![5.0; d];
            let bigger: Vec<f64> = r.iter().map(|a| a + rng.random_range(0.0..2.0)).collect();
            let (small, large) = (
                hypervolume(&pts, &r).unwrap(),
                hypervolume(&pts, &bigger).unwrap(),
            );
            assert!(large >= small * (1.0 - 1e-12), "{large} < {small}");
        });
    }

    #[test]
    fn permutation_invariant() {
        use rand::seq::SliceRandom;
        cases(|rng| {
            let d = rng.random_range(2..7);
            let pts = uniform(rng, d, 1..60);
            let r = vec![1.1; d];
            let mut shuffled = pts.clone();
            shuffled.shuffle(rng);
            let (a, b) = (
                hypervolume(&pts, &r).unwrap(),
                hypervolume(&shuffled, &r).unwrap(),
            );
            assert!(close(a, b), "{a} vs {b}");
        });
    }

    #[test]
    fn monotone_when_adding_a_point() {
        cases(|rng| {
            let d = rng.random_range(2..7);
            let pts = uniform(rng, d, 1..25);
            let r = vec![1.1; d];
            let before = hypervolume(&pts, &r).unwrap();
            let mut more = pts.clone();
            more.push((0..d).map(|_| rng.random_range(0.0..1.2)).collect());
            let after = hypervolume(&more, &r).unwrap();
            assert!(after >= before - 1e-12 * before.max(1.0));
        });
    }

    #[test]
    fn contributions_and_improvements_are_exclusive_volumes() {
        cases(|rng| {
            let d = rng.random_range(2..6);
            let pts = coarse(rng, d, 9);
            let r = vec![5.0; d];
            let all = inclusion_exclusion(&pts, &r);
            let c = hypervolume_contributions(&pts, &r).unwrap();
            for (i, ci) in c.iter().enumerate() {
                let mut rest = pts.clone();
                rest.remove(i);
                let without = inclusion_exclusion(&rest, &r);
                assert!(close(*ci, all - without), "{ci} vs {}", all - without);
            }
            let cand: Vec<f64> = (0..d)
                .map(|_| rng.random_range(0..11) as f64 / 2.0)
                .collect();
            let mut more = pts.clone();
            more.push(cand.clone());
            let gain = hypervolume_improvement(&pts, &cand, &r).unwrap();
            let expected = inclusion_exclusion(&more, &r) - all;
            assert!(close(gain, expected), "{gain} vs {expected}");
        });
    }

    #[test]
    fn rejects_bad_input() {
        assert!(hypervolume(&[vec![1.0]], &[]).is_err());
        assert!(hypervolume(&[vec![1.0]], &[f64::NAN]).is_err());
        assert!(hypervolume(&[vec![1.0, 2.0]], &[3.0]).is_err());
        assert!(hypervolume_improvement(&[vec![1.0, 2.0]], &[1.0], &[3.0, 3.0]).is_err());
        assert!(hypervolume_improvement(&[vec![1.0, 2.0]], &[f64::NAN, 1.0], &[3.0, 3.0]).is_err());
        assert_eq!(hypervolume::<Vec<f64>>(&[], &[1.0, 1.0]).unwrap(), 0.0);
    }
}
