//! Standard test problems with their true Pareto fronts.

pub mod constrained;
pub mod dtlz;
pub mod zdt;

pub use constrained::{Bnh, C1Dtlz1, Osy, Srn, Tnk};
pub use dtlz::Dtlz;
pub use zdt::Zdt;

use crate::error::{Nsga2Error, Result};

/// Das and Dennis's structured points on the unit simplex: every vector of
/// `n_obj` multiples of `1 / n_partitions` summing to 1.
///
/// ```
/// let p = aellm_nsga2::problems::das_dennis(3, 2);
/// assert_eq!(p.len(), 6);
/// ```
pub fn das_dennis(n_obj: usize, n_partitions: usize) -> Vec<Vec<f64>> {
    fn rec(left: usize, dims: usize, p: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<f64>>) {
        if dims == 1 {
            cur.push(left);
            out.push(cur.iter().map(|&c| c as f64 / p as f64).collect());
            cur.pop();
            return;
        }
        for v in 0..=left {
            cur.push(v);
            rec(left - v, dims - 1, p, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    if n_obj == 0 || n_partitions == 0 {
        return out;
    }
    rec(
        n_partitions,
        n_obj,
        n_partitions,
        &mut Vec::with_capacity(n_obj),
        &mut out,
    );
    out
}

/// The smallest Das–Dennis set on the simplex with at least `n_points` points.
pub(crate) fn simplex_points(n_obj: usize, n_points: usize) -> Vec<Vec<f64>> {
    let count = |p: usize| -> f64 { (1..n_obj).map(|i| (p + i) as f64 / i as f64).product() };
    let mut p = 1;
    while count(p) < n_points as f64 {
        p += 1;
    }
    das_dennis(n_obj, p)
}

pub(crate) fn check_n_obj(n_obj: usize, k: usize) -> Result<()> {
    if n_obj < 2 || k == 0 {
        return Err(Nsga2Error::InvalidParameter {
            name: "n_obj / k",
            reason: format!("n_obj = {n_obj}, k = {k}; use at least 2 objectives and k >= 1"),
        });
    }
    Ok(())
}

/// Evenly spaced values in [a, b].
pub(crate) fn linspace(a: f64, b: f64, n: usize) -> impl Iterator<Item = f64> {
    let n = n.max(2);
    (0..n).map(move |i| a + (b - a) * i as f64 / (n - 1) as f64)
}

/// The non-dominated subset of `points`.
pub(crate) fn non_dominated(points: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    match crate::sorting::non_dominated_sort(&points) {
        Ok(f) if !f.is_empty() => f[0].iter().map(|&i| points[i].clone()).collect(),
        _ => points,
    }
}
