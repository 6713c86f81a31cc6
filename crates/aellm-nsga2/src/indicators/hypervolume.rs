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
    use crate::indicators::brute_force::{grid_volume, inclusion_exclusion};
    use proptest::prelude::*;

    /// Equal to 1e-12, relative to the volume (absolute below 1).
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    /// Coarse coordinates force ties, duplicates and points outside the box of 5.
    fn coarse(max_d: usize, max_n: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
        prop::collection::vec(
            prop::collection::vec(prop_oneof![0u8..5, 0u8..12], max_d),
            0..max_n,
        )
        .prop_map(|pts| {
            pts.iter()
                .map(|p| p.iter().map(|&v| v as f64 / 2.0).collect())
                .collect()
        })
    }

    fn project(pts: &[Vec<f64>], d: usize) -> Vec<Vec<f64>> {
        pts.iter().map(|p| p[..d].to_vec()).collect()
    }

    proptest! {
        #[test]
        fn matches_brute_force_to_1e12(d in 1usize..7, pts in coarse(6, 9)) {
            let pts = project(&pts, d);
            let r = vec![5.0; d];
            let hv = hypervolume(&pts, &r).unwrap();
            let ie = inclusion_exclusion(&pts, &r);
            prop_assert!(close(hv, ie), "hv {} inclusion-exclusion {}", hv, ie);
            if d <= 4 {
                let grid = grid_volume(&pts, &r);
                prop_assert!(close(hv, grid), "hv {} grid {}", hv, grid);
            }
        }

        #[test]
        fn four_objectives_match_brute_force_on_larger_sets(pts in coarse(4, 15)) {
            let r = vec![5.0; 4];
            let hv = hypervolume(&pts, &r).unwrap();
            let ie = inclusion_exclusion(&pts, &r);
            prop_assert!(close(hv, ie), "hv {} inclusion-exclusion {}", hv, ie);
        }

        #[test]
        fn a_dominated_point_changes_nothing(d in 2usize..7, pts in coarse(6, 12),
                pick in any::<prop::sample::Index>(), offset in prop::collection::vec(0u8..4, 6)) {
            let mut pts = project(&pts, d);
            prop_assume!(!pts.is_empty());
            let r = vec![5.0; d];
            let before = hypervolume(&pts, &r).unwrap();
            let p = pts[pick.index(pts.len())].clone();
            pts.push(p.iter().zip(&offset).map(|(x, o)| x + *o as f64 / 2.0).collect());
            let after = hypervolume(&pts, &r).unwrap();
            prop_assert!(close(after, before), "{} vs {}", after, before);
        }

        #[test]
        fn monotone_in_the_reference_point(d in 2usize..7, pts in coarse(6, 12),
                grow in prop::collection::vec(0.0f64..2.0, 6)) {
            let pts = project(&pts, d);
            let r = vec![5.0; d];
            let bigger: Vec<f64> = r.iter().zip(&grow).map(|(a, g)| a + g).collect();
            let (small, large) = (hypervolume(&pts, &r).unwrap(), hypervolume(&pts, &bigger).unwrap());
            prop_assert!(large >= small * (1.0 - 1e-12), "{} < {}", large, small);
        }

        #[test]
        fn permutation_invariant(d in 2usize..7,
                pts in prop::collection::vec(prop::collection::vec(0.0f64..1.0, 6), 1..60),
                seed in any::<u64>()) {
            use rand::{SeedableRng, seq::SliceRandom};
            let pts = project(&pts, d);
            let r = vec![1.1; d];
            let mut shuffled = pts.clone();
            shuffled.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            let (a, b) = (hypervolume(&pts, &r).unwrap(), hypervolume(&shuffled, &r).unwrap());
            prop_assert!(close(a, b), "{} vs {}", a, b);
        }

        #[test]
        fn monotone_when_adding_a_point(d in 2usize..7,
                pts in prop::collection::vec(prop::collection::vec(0.0f64..1.0, 6), 1..25),
                extra in prop::collection::vec(0.0f64..1.2, 6)) {
            let pts = project(&pts, d);
            let r = vec![1.1; d];
            let before = hypervolume(&pts, &r).unwrap();
            let mut more = pts.clone();
            more.push(extra[..d].to_vec());
            let after = hypervolume(&more, &r).unwrap();
            prop_assert!(after >= before - 1e-12 * before.max(1.0));
        }

        #[test]
        fn contributions_and_improvements_are_exclusive_volumes(d in 2usize..6, pts in coarse(5, 9),
                extra in prop::collection::vec(0u8..11, 5)) {
            let pts = project(&pts, d);
            let r = vec![5.0; d];
            let all = inclusion_exclusion(&pts, &r);
            let c = hypervolume_contributions(&pts, &r).unwrap();
            for (i, ci) in c.iter().enumerate() {
                let mut rest = pts.clone();
                rest.remove(i);
                let without = inclusion_exclusion(&rest, &r);
                prop_assert!(close(*ci, all - without), "{} vs {}", ci, all - without);
            }
            let cand: Vec<f64> = extra[..d].iter().map(|&v| v as f64 / 2.0).collect();
            let mut more = pts.clone();
            more.push(cand.clone());
            let gain = hypervolume_improvement(&pts, &cand, &r).unwrap();
            let expected = inclusion_exclusion(&more, &r) - all;
            prop_assert!(close(gain, expected), "{} vs {}", gain, expected);
        }
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
