//! Exact hypervolume of flattened points in any dimension: the dispatch by
//! dimension and, for d ≥ 5, the WFG sweep.
//!
//! - d ≤ 3: [`super::hv_low`]; d = 4: HV4D+ ([`super::hv4d`]), O(n²).
//! - d ≥ 5: the WFG recursion (While, Bradstreet and Barone 2012) with points
//!   sorted by the last objective, which makes every limited set live in
//!   d − 1 dimensions: `HV_d = Σ_k (r_d − z_k) · exclusive_{d−1}(p_k | p_1..p_{k−1})`,
//!   where the exclusive volume is the box of `p_k` minus the hypervolume of
//!   the earlier points limited by `p_k` (the "limit set"), reduced to its
//!   non-dominated points; the recursion bottoms out in HV4D+.

use super::hv_low::{hv2, hv3};
use super::hv4d::hv4d;
use super::nondominated::{Order, nondominated, weakly_dominates};

/// Volume of the box between `p` and `r`.
pub(crate) fn box_volume(p: &[f64], r: &[f64]) -> f64 {
    p.iter().zip(r).map(|(x, r)| r - x).product()
}

/// Exclusive volume of `p` against `others`: the box of `p` minus the
/// hypervolume of the others (those inside the box of `r`) limited by `p`,
/// reduced to their non-dominated points. 0 when `p` is outside the box or
/// weakly dominated.
pub(crate) fn exclusive_volume<'a>(
    p: &[f64],
    others: impl Iterator<Item = &'a [f64]>,
    order: Order,
    d: usize,
    r: &[f64],
) -> f64 {
    let inside = |q: &[f64]| q.iter().zip(r).all(|(x, r)| x < r);
    if !inside(p) {
        return 0.0;
    }
    let mut limited = Vec::new();
    for q in others.filter(|q| inside(q)) {
        if weakly_dominates(q, p) {
            return 0.0;
        }
        limited.extend(q.iter().zip(p).map(|(a, b)| a.max(*b)));
    }
    let limited = if d >= 4 {
        nondominated(&limited, d, order)
    } else {
        limited
    };
    (box_volume(p, r) - hv_flat(limited, d, r)).max(0.0)
}

/// Hypervolume of flattened points (stride `d`), all strictly inside the box of `r`.
pub(crate) fn hv_flat(pts: Vec<f64>, d: usize, r: &[f64]) -> f64 {
    if pts.is_empty() {
        return 0.0;
    }
    match d {
        1 => r[0] - pts.iter().copied().fold(f64::INFINITY, f64::min),
        2 => hv2(pts.chunks_exact(2).map(|c| [c[0], c[1]]).collect(), r),
        3 => hv3(pts.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(), r),
        4 => hv4d(&pts, r),
        _ => hv_sweep(&pts, d, r),
    }
}

/// WFG sweep along the last objective for d ≥ 5.
fn hv_sweep(pts: &[f64], d: usize, r: &[f64]) -> f64 {
    let n = pts.len() / d;
    let dm = d - 1;
    let rp = &r[..dm];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| pts[a * d + dm].total_cmp(&pts[b * d + dm]));
    // Non-dominated projections of the points swept so far (stride dm) and
    // their coordinate sums, in order of sum: their limit sets then come
    // roughly in that order too and need no sort.
    let mut front: Vec<f64> = Vec::new();
    let mut sums: Vec<f64> = Vec::new();
    let (mut next_front, mut next_sums) = (Vec::new(), Vec::new());
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
        vol += exclusive_volume(p, front.chunks_exact(dm), Order::Roughly, dm, rp);
        let p_sum: f64 = p.iter().sum();
        next_front.clear();
        next_sums.clear();
        let mut placed = false;
        for (q, &q_sum) in front.chunks_exact(dm).zip(&sums) {
            if !placed && q_sum > p_sum {
                next_front.extend_from_slice(p);
                next_sums.push(p_sum);
                placed = true;
            }
            if !weakly_dominates(p, q) {
                next_front.extend_from_slice(q);
                next_sums.push(q_sum);
            }
        }
        if !placed {
            next_front.extend_from_slice(p);
            next_sums.push(p_sum);
        }
        std::mem::swap(&mut front, &mut next_front);
        std::mem::swap(&mut sums, &mut next_sums);
    }
    total + vol * (r[dm] - z_prev)
}
