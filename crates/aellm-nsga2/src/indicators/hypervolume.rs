//! Exact hypervolume (minimisation, w.r.t. a reference point).
//!
//! - 2-D: a sweep over the points sorted by the first objective, O(n log n).
//! - 3-D: the dimension sweep of Beume, Fonseca, López-Ibáñez, Paquete and
//!   Vahrenhold (2009): points in order of the third objective update a 2-D
//!   staircase kept in a balanced tree (`BTreeMap`), O(n log n).
//! - d ≥ 4: the WFG recursion (While, Bradstreet and Barone 2012) with points
//!   sorted by the last objective, which makes every limited set live in
//!   d − 1 dimensions: `HV_d = Σ_k (r_d − z_k) · exclusive_{d−1}(p_k | p_1..p_{k−1})`,
//!   where the exclusive volume is the box of `p_k` minus the hypervolume of
//!   the earlier points limited by `p_k` (the "limit set"), reduced to its
//!   non-dominated points; the recursion bottoms out in the 3-D sweep.
//!
//! Points that do not strictly dominate the reference point contribute nothing.

use std::collections::BTreeMap;

use super::check_set;
use crate::dominance::OrdF64 as Key;
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
    let inside = |p: &[f64]| p.iter().zip(reference).all(|(x, r)| x < r);
    let mut limited = Vec::new();
    Ok(points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let p = p.as_ref();
            if !inside(p) {
                return 0.0;
            }
            limited.clear();
            for (j, q) in points.iter().enumerate() {
                let q = q.as_ref();
                if j != i && inside(q) {
                    limited.extend(q.iter().zip(p).map(|(a, b)| a.max(*b)));
                }
            }
            box_volume(p, reference) - hv_flat(std::mem::take(&mut limited), d, reference)
        })
        .collect())
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

fn box_volume(p: &[f64], r: &[f64]) -> f64 {
    p.iter().zip(r).map(|(x, r)| r - x).product()
}

/// Hypervolume of flattened points (stride `d`), all strictly inside the box of `r`.
fn hv_flat(pts: Vec<f64>, d: usize, r: &[f64]) -> f64 {
    if pts.is_empty() {
        return 0.0;
    }
    match d {
        1 => r[0] - pts.iter().copied().fold(f64::INFINITY, f64::min),
        2 => hv2(pts.chunks_exact(2).map(|c| [c[0], c[1]]).collect(), r),
        3 => hv3(pts.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(), r),
        _ => hv_sweep(&pts, d, r),
    }
}

fn hv2(mut pts: Vec<[f64; 2]>, r: &[f64]) -> f64 {
    pts.sort_unstable_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let mut area = 0.0;
    let mut level = r[1];
    for p in pts {
        if p[1] < level {
            area += (r[0] - p[0]) * (level - p[1]);
            level = p[1];
        }
    }
    area
}

/// A 2-D staircase (x ascending, y descending) and the area it dominates.
struct Staircase {
    steps: BTreeMap<Key, f64>,
    area: f64,
    rx: f64,
    ry: f64,
    doomed: Vec<Key>,
}

impl Staircase {
    fn new(rx: f64, ry: f64) -> Self {
        Self {
            steps: BTreeMap::new(),
            area: 0.0,
            rx,
            ry,
            doomed: Vec::new(),
        }
    }

    /// Inserts (x, y); returns the area it adds (0 when it is weakly dominated).
    fn insert(&mut self, x: f64, y: f64) -> f64 {
        if let Some((_, &qy)) = self.steps.range(..=Key(x)).next_back()
            && qy <= y
        {
            return 0.0;
        }
        // Height of the dominated region just left of x, then the steps p covers.
        let mut level = self
            .steps
            .range(..Key(x))
            .next_back()
            .map_or(self.ry, |(_, &qy)| qy);
        let mut cur = x;
        let mut end = self.rx;
        let mut added = 0.0;
        for (&Key(sx), &sy) in self.steps.range(Key(x)..) {
            if sy < y {
                end = sx;
                break;
            }
            added += (sx - cur) * (level - y);
            cur = sx;
            level = sy;
            self.doomed.push(Key(sx));
        }
        added += (end - cur) * (level - y);
        for k in self.doomed.drain(..) {
            self.steps.remove(&k);
        }
        self.steps.insert(Key(x), y);
        self.area += added;
        added
    }
}

fn hv3(mut pts: Vec<[f64; 3]>, r: &[f64]) -> f64 {
    pts.sort_unstable_by(|a, b| {
        a[2].total_cmp(&b[2])
            .then(a[0].total_cmp(&b[0]))
            .then(a[1].total_cmp(&b[1]))
    });
    let mut stairs = Staircase::new(r[0], r[1]);
    let mut total = 0.0;
    let mut z_prev = pts[0][2];
    for p in &pts {
        total += stairs.area * (p[2] - z_prev);
        z_prev = p[2];
        stairs.insert(p[0], p[1]);
    }
    total + stairs.area * (r[2] - z_prev)
}

#[inline]
fn weakly_dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y)
}

/// Keeps the non-dominated points of a flattened set (duplicates kept once).
fn nondominated(pts: &[f64], d: usize) -> Vec<f64> {
    let n = pts.len() / d;
    let row = |i: usize| &pts[i * d..(i + 1) * d];
    let mut keep = Vec::with_capacity(pts.len());
    for i in 0..n {
        let p = row(i);
        let beaten =
            (0..n).any(|j| j != i && weakly_dominates(row(j), p) && (row(j) != p || j < i));
        if !beaten {
            keep.extend_from_slice(p);
        }
    }
    keep
}

/// WFG sweep along the last objective for d ≥ 4.
fn hv_sweep(pts: &[f64], d: usize, r: &[f64]) -> f64 {
    let n = pts.len() / d;
    let dm = d - 1;
    let rp = &r[..dm];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| pts[a * d + dm].total_cmp(&pts[b * d + dm]));
    // Non-dominated projections of the points swept so far, flattened (stride dm).
    let mut front: Vec<f64> = Vec::new();
    let mut limited: Vec<f64> = Vec::new();
    let mut vol = 0.0;
    let mut total = 0.0;
    let mut z_prev = pts[order[0] * d + dm];
    for &i in &order {
        let z = pts[i * d + dm];
        total += vol * (z - z_prev);
        z_prev = z;
        let p = &pts[i * d..i * d + dm];
        if front.chunks_exact(dm).any(|q| weakly_dominates(q, p)) {
            continue;
        }
        limited.clear();
        for q in front.chunks_exact(dm) {
            limited.extend(q.iter().zip(p).map(|(a, b)| a.max(*b)));
        }
        let limited_set = if dm >= 4 {
            nondominated(&limited, dm)
        } else {
            limited.clone()
        };
        vol += box_volume(p, rp) - hv_flat(limited_set, dm, rp);
        let mut kept = Vec::with_capacity(front.len() + dm);
        for q in front.chunks_exact(dm) {
            if !weakly_dominates(p, q) {
                kept.extend_from_slice(q);
            }
        }
        kept.extend_from_slice(p);
        front = kept;
    }
    total + vol * (r[dm] - z_prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Exact volume on the grid of all coordinates: a cell counts when its
    /// lower corner is weakly dominated by some point. Exponential; tiny sets only.
    fn grid_volume(points: &[Vec<f64>], r: &[f64]) -> f64 {
        let d = r.len();
        let pts: Vec<&Vec<f64>> = points
            .iter()
            .filter(|p| p.iter().zip(r).all(|(x, y)| x < y))
            .collect();
        let axes: Vec<Vec<f64>> = (0..d)
            .map(|k| {
                let mut v: Vec<f64> = pts.iter().map(|p| p[k]).chain([r[k]]).collect();
                v.sort_by(f64::total_cmp);
                v.dedup();
                v
            })
            .collect();
        let mut idx = vec![0usize; d];
        let mut total = 0.0;
        loop {
            if idx.iter().zip(&axes).all(|(&i, a)| i + 1 < a.len()) {
                let corner: Vec<f64> = idx.iter().zip(&axes).map(|(&i, a)| a[i]).collect();
                if pts.iter().any(|p| weakly_dominates(p, &corner)) {
                    total += idx
                        .iter()
                        .zip(&axes)
                        .map(|(&i, a)| a[i + 1] - a[i])
                        .product::<f64>();
                }
            }
            let mut k = 0;
            loop {
                if k == d {
                    return total;
                }
                idx[k] += 1;
                if idx[k] < axes[k].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }

    /// Inclusion–exclusion over all subsets. Exponential; tiny sets only.
    fn inclusion_exclusion(points: &[Vec<f64>], r: &[f64]) -> f64 {
        let n = points.len();
        let mut total = 0.0;
        for mask in 1u32..(1 << n) {
            let mut corner = vec![f64::NEG_INFINITY; r.len()];
            for (i, p) in points.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    for (c, v) in corner.iter_mut().zip(p) {
                        *c = c.max(*v);
                    }
                }
            }
            let vol: f64 = corner
                .iter()
                .zip(r)
                .map(|(c, r)| (r - c).max(0.0))
                .product();
            total += if mask.count_ones() % 2 == 1 {
                vol
            } else {
                -vol
            };
        }
        total
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
    }

    proptest! {
        #[test]
        fn matches_grid_and_inclusion_exclusion(d in 1usize..6,
                pts in prop::collection::vec(prop::collection::vec(prop_oneof![0u8..5, 0u8..12], 5), 0..7)) {
            // Coarse integer coordinates force ties, duplicates and points outside the box.
            let pts: Vec<Vec<f64>> = pts.iter().map(|p| p[..d].iter().map(|&v| v as f64 / 2.0).collect()).collect();
            let r = vec![5.0; d];
            let hv = hypervolume(&pts, &r).unwrap();
            let grid = grid_volume(&pts, &r);
            prop_assert!(close(hv, grid), "hv {} grid {}", hv, grid);
            let ie = inclusion_exclusion(&pts, &r);
            prop_assert!((hv - ie).abs() < 1e-9 * grid.max(1.0));
        }

        #[test]
        fn monotone_when_adding_a_point(d in 2usize..6,
                pts in prop::collection::vec(prop::collection::vec(0.0f64..1.0, 5), 1..25),
                extra in prop::collection::vec(0.0f64..1.2, 5)) {
            let pts: Vec<Vec<f64>> = pts.iter().map(|p| p[..d].to_vec()).collect();
            let r = vec![1.1; d];
            let before = hypervolume(&pts, &r).unwrap();
            let mut more = pts.clone();
            more.push(extra[..d].to_vec());
            let after = hypervolume(&more, &r).unwrap();
            prop_assert!(after >= before - 1e-12 * before.max(1.0));
        }

        #[test]
        fn contributions_are_exclusive_volumes(d in 2usize..5,
                pts in prop::collection::vec(prop::collection::vec(0.0f64..1.0, 4), 1..10)) {
            let pts: Vec<Vec<f64>> = pts.iter().map(|p| p[..d].to_vec()).collect();
            let r = vec![1.0; d];
            let all = grid_volume(&pts, &r);
            let c = hypervolume_contributions(&pts, &r).unwrap();
            for (i, ci) in c.iter().enumerate() {
                let mut rest = pts.clone();
                rest.remove(i);
                let without = grid_volume(&rest, &r);
                prop_assert!((ci - (all - without)).abs() < 1e-9 * all.max(1e-9));
            }
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(hypervolume(&[vec![1.0]], &[]).is_err());
        assert!(hypervolume(&[vec![1.0]], &[f64::NAN]).is_err());
        assert!(hypervolume(&[vec![1.0, 2.0]], &[3.0]).is_err());
        assert_eq!(hypervolume::<Vec<f64>>(&[], &[1.0, 1.0]).unwrap(), 0.0);
    }
}
