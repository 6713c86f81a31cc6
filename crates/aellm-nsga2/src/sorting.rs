//! Non-dominated sorting.
//!
//! [`non_dominated_sort`] is the efficient non-dominated sort with binary
//! search (ENS-BS, Zhang et al. 2015): points are visited in lexicographic
//! order, so no later point can dominate an earlier one, and each point goes
//! to the first front holding none of its dominators (found by binary search,
//! because "front k holds a dominator" is monotone in k). For two objectives
//! the test against a front needs only its last member, which makes the sort
//! O(N log N). [`fast_non_dominated_sort`] is Deb et al.'s O(MN²) original,
//! kept as the reference the tests compare against.

use std::cmp::Ordering;

use crate::dominance::{constrained_dominates, dominates};
use crate::error::{Nsga2Error, Result};

/// Fronts of indices: `fronts[0]` is the non-dominated set, and so on.
pub type Fronts = Vec<Vec<usize>>;

fn check_points<T: AsRef<[f64]>>(points: &[T]) -> Result<usize> {
    let m = points.first().map_or(0, |p| p.as_ref().len());
    for (i, p) in points.iter().enumerate() {
        let p = p.as_ref();
        if p.len() != m {
            return Err(Nsga2Error::DimensionMismatch {
                what: "point",
                expected: m,
                got: p.len(),
            });
        }
        if p.iter().any(|v| !v.is_finite()) {
            return Err(Nsga2Error::NonFinite {
                what: "point",
                index: i,
            });
        }
    }
    Ok(m)
}

fn lexicographic(a: &[f64], b: &[f64]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.total_cmp(y) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

/// Sorts points (rows of objective values, minimised) into non-dominated fronts.
///
/// Identical points share a front. Within a front, indices are in
/// lexicographic order of their points.
///
/// ```
/// use aellm_nsga2::sorting::non_dominated_sort;
/// let pts = vec![vec![1.0, 4.0], vec![2.0, 2.0], vec![3.0, 3.0], vec![4.0, 1.0]];
/// assert_eq!(non_dominated_sort(&pts).unwrap(), vec![vec![0, 1, 3], vec![2]]);
/// ```
pub fn non_dominated_sort<T: AsRef<[f64]>>(points: &[T]) -> Result<Fronts> {
    check_points(points)?;
    let idx: Vec<usize> = (0..points.len()).collect();
    Ok(ens_bs(points, idx))
}

/// Deb's constrained non-dominated sort: feasible points (`cv <= 0`) are
/// sorted by Pareto dominance, followed by infeasible points in fronts of
/// equal violation, smallest first.
pub fn constrained_non_dominated_sort<T: AsRef<[f64]>>(points: &[T], cv: &[f64]) -> Result<Fronts> {
    check_points(points)?;
    if cv.len() != points.len() {
        return Err(Nsga2Error::DimensionMismatch {
            what: "constraint violations",
            expected: points.len(),
            got: cv.len(),
        });
    }
    Ok(constrained_sort_unchecked(points, cv))
}

pub(crate) fn constrained_sort_unchecked<T: AsRef<[f64]>>(points: &[T], cv: &[f64]) -> Fronts {
    let feasible: Vec<usize> = (0..points.len()).filter(|&i| cv[i] <= 0.0).collect();
    let mut infeasible: Vec<usize> = (0..points.len()).filter(|&i| cv[i] > 0.0).collect();
    let mut fronts = ens_bs(points, feasible);
    infeasible.sort_by(|&a, &b| cv[a].total_cmp(&cv[b]).then(a.cmp(&b)));
    for i in infeasible {
        match fronts.last_mut() {
            Some(last) if cv[last[0]] == cv[i] => last.push(i),
            _ => fronts.push(vec![i]),
        }
    }
    fronts
}

/// ENS-BS over the subset `idx` of `points`.
fn ens_bs<T: AsRef<[f64]>>(points: &[T], mut idx: Vec<usize>) -> Fronts {
    idx.sort_by(|&a, &b| lexicographic(points[a].as_ref(), points[b].as_ref()).then(a.cmp(&b)));
    let two = points.first().is_some_and(|p| p.as_ref().len() == 2);
    let mut fronts: Fronts = Vec::new();
    for i in idx {
        let p = points[i].as_ref();
        let dominated_by_front = |front: &Vec<usize>| -> bool {
            if two {
                // In 2-D the last member has the smallest second objective of its front.
                dominates(
                    points[*front.last().expect("fronts are never empty")].as_ref(),
                    p,
                )
            } else {
                front
                    .iter()
                    .rev()
                    .any(|&j| dominates(points[j].as_ref(), p))
            }
        };
        // First front without a dominator of p; the predicate is monotone in k.
        let (mut lo, mut hi) = (0, fronts.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if dominated_by_front(&fronts[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == fronts.len() {
            fronts.push(vec![i]);
        } else {
            fronts[lo].push(i);
        }
    }
    fronts
}

/// Deb et al.'s fast non-dominated sort (2002), O(MN²), with constrained
/// domination when `cv` is given. Fronts hold indices in increasing order.
pub fn fast_non_dominated_sort<T: AsRef<[f64]>>(
    points: &[T],
    cv: Option<&[f64]>,
) -> Result<Fronts> {
    check_points(points)?;
    let n = points.len();
    let zeros = vec![0.0; n];
    let cv = cv.unwrap_or(&zeros);
    if cv.len() != n {
        return Err(Nsga2Error::DimensionMismatch {
            what: "constraint violations",
            expected: n,
            got: cv.len(),
        });
    }
    let mut dominated: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut count = vec![0usize; n];
    for a in 0..n {
        for b in (a + 1)..n {
            let (pa, pb) = (points[a].as_ref(), points[b].as_ref());
            if constrained_dominates(pa, cv[a], pb, cv[b]) {
                dominated[a].push(b);
                count[b] += 1;
            } else if constrained_dominates(pb, cv[b], pa, cv[a]) {
                dominated[b].push(a);
                count[a] += 1;
            }
        }
    }
    let mut fronts = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &a in &current {
            for &b in &dominated[a] {
                count[b] -= 1;
                if count[b] == 0 {
                    next.push(b);
                }
            }
        }
        next.sort_unstable();
        fronts.push(std::mem::replace(&mut current, next));
    }
    Ok(fronts)
}

/// Rank (front number) of every point, from fronts.
pub fn ranks(fronts: &Fronts, n: usize) -> Vec<usize> {
    let mut r = vec![usize::MAX; n];
    for (k, f) in fronts.iter().enumerate() {
        for &i in f {
            r[i] = k;
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{cases, points, small_int};
    use rand::Rng;

    fn normalise(mut f: Fronts) -> Fronts {
        for x in &mut f {
            x.sort_unstable();
        }
        f
    }

    // Small integer coordinates make ties and duplicates frequent.
    #[test]
    fn ens_matches_deb() {
        cases(|rng| {
            let m = rng.random_range(2..5);
            let pts = points(rng, 0..60, m, |r| small_int(r, 6));
            // Feasible, exactly 1, or anything in [0, 2).
            let cv: Vec<f64> = (0..pts.len())
                .map(|_| match rng.random_range(0..3) {
                    0 => 0.0,
                    1 => 1.0,
                    _ => rng.random_range(0.0..2.0),
                })
                .collect();
            let ens = normalise(non_dominated_sort(&pts).unwrap());
            let deb = fast_non_dominated_sort(&pts, None).unwrap();
            assert_eq!(ens, deb);
            let ens_c = normalise(constrained_non_dominated_sort(&pts, &cv).unwrap());
            let deb_c = fast_non_dominated_sort(&pts, Some(&cv)).unwrap();
            assert_eq!(ens_c, deb_c);
        });
    }

    #[test]
    fn first_front_not_dominated() {
        cases(|rng| {
            let pts = points(rng, 1..80, 3, |r| r.random_range(0.0..1.0));
            let fronts = non_dominated_sort(&pts).unwrap();
            for &i in &fronts[0] {
                for p in &pts {
                    assert!(!dominates(p, &pts[i]));
                }
            }
            assert_eq!(fronts.iter().map(Vec::len).sum::<usize>(), pts.len());
        });
    }

    #[test]
    fn rejects_ragged_and_nan() {
        assert!(non_dominated_sort(&[vec![1.0, 2.0], vec![1.0]]).is_err());
        assert!(non_dominated_sort(&[vec![f64::NAN, 2.0]]).is_err());
        assert!(non_dominated_sort::<Vec<f64>>(&[]).unwrap().is_empty());
    }
}
