//! The Wilcoxon signed-rank test on paired samples (Wilcoxon 1945), two-sided:
//! does one method's figure differ from another's over the same seeds?
//!
//! Zero differences are dropped (Wilcoxon's own rule, scipy's default
//! `zero_method="wilcox"`); the absolute differences are ranked with mid-ranks
//! for ties. With at most [`EXACT_MAX`] pairs and no ties the p-value is
//! exact, from the distribution of the rank sum over all 2^n sign patterns;
//! otherwise it is the normal approximation with the tie-corrected variance
//! and no continuity correction (scipy's `method="approx"`).
//!
//! ```
//! use aellm_optimizer::experiment::wilcoxon_signed_rank;
//! // Hypervolume of two methods over the same 8 seeds: the first wins on every seed.
//! let a = [0.91, 0.88, 0.93, 0.90, 0.89, 0.95, 0.92, 0.94];
//! let b = [0.85, 0.86, 0.85, 0.87, 0.88, 0.90, 0.85, 0.90];
//! let t = wilcoxon_signed_rank(&a, &b).unwrap();
//! assert_eq!((t.w_plus, t.w_minus), (36.0, 0.0));
//! assert!(t.exact && (t.p_value - 2.0 / 256.0).abs() < 1e-12);
//! ```

use crate::OptimizerError;
use crate::params::invalid;
use serde::{Deserialize, Serialize};

/// Most non-zero differences for which the p-value is computed exactly
/// (scipy's limit; the counts of 2^50 patterns are still exact in f64).
pub const EXACT_MAX: usize = 50;

/// The outcome of a two-sided Wilcoxon signed-rank test of `a` against `b`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignedRankTest {
    /// Pairs with a non-zero difference (the others are dropped).
    pub n: usize,
    /// Sum of the ranks of the pairs where `a` is larger.
    pub w_plus: f64,
    /// Sum of the ranks of the pairs where `b` is larger.
    pub w_minus: f64,
    /// Two-sided p-value; 1 when every difference is zero.
    pub p_value: f64,
    /// Whether `p_value` is exact (else the normal approximation).
    pub exact: bool,
}

/// Two-sided Wilcoxon signed-rank test of the paired samples `a` and `b`
/// (e.g. one method's hypervolume and another's over the same seeds).
pub fn wilcoxon_signed_rank(a: &[f64], b: &[f64]) -> Result<SignedRankTest, OptimizerError> {
    if a.len() != b.len() {
        return Err(invalid(
            "b",
            format!("{} values", b.len()),
            format!("as many values as `a` ({}): one per seed, paired", a.len()),
        ));
    }
    if let Some(i) = a.iter().chain(b).position(|x| !x.is_finite()) {
        let (name, j) = if i < a.len() {
            ("a", i)
        } else {
            ("b", i - a.len())
        };
        return Err(invalid(
            name,
            format!("a non-finite value at position {j}"),
            "finite numbers (drop the failed runs from both samples)".into(),
        ));
    }
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x - y)
        .filter(|d| *d != 0.0)
        .collect();
    let n = d.len();
    if n == 0 {
        return Ok(SignedRankTest {
            n,
            w_plus: 0.0,
            w_minus: 0.0,
            p_value: 1.0,
            exact: true,
        });
    }
    let (ranks, tie_groups) = mid_ranks(&d);
    let w_plus: f64 = d
        .iter()
        .zip(&ranks)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| r)
        .sum();
    let total = (n * (n + 1)) as f64 / 2.0;
    let w_minus = total - w_plus;
    let exact = n <= EXACT_MAX && tie_groups.is_empty();
    let p_value = if exact {
        exact_p(n, w_plus.min(w_minus))
    } else {
        normal_p(n, w_plus, &tie_groups)
    };
    Ok(SignedRankTest {
        n,
        w_plus,
        w_minus,
        p_value: p_value.min(1.0),
        exact,
    })
}

/// Mid-ranks (1-based) of `|d|`, and the sizes of the groups of tied values.
fn mid_ranks(d: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..d.len()).collect();
    order.sort_by(|&i, &j| d[i].abs().total_cmp(&d[j].abs()));
    let (mut ranks, mut ties) = (vec![0.0; d.len()], Vec::new());
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && d[order[end]].abs() == d[order[start]].abs() {
            end += 1;
        }
        // Positions start..end share the mean of ranks start+1..=end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        if end - start > 1 {
            ties.push(end - start);
        }
        start = end;
    }
    (ranks, ties)
}

/// 2·P(W ≤ t) under the null, counting the sign patterns of ranks 1..=n
/// whose positive ranks sum to each total.
fn exact_p(n: usize, t: f64) -> f64 {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0.0f64; max + 1];
    counts[0] = 1.0;
    for r in 1..=n {
        for s in (r..=max).rev() {
            counts[s] += counts[s - r];
        }
    }
    let below: f64 = counts[..=(t.floor() as usize)].iter().sum();
    2.0 * below / 2f64.powi(n as i32)
}

/// Two-sided p-value of the normal approximation, the variance reduced by
/// Σ(t³ − t)/48 over groups of `t` tied ranks.
fn normal_p(n: usize, w_plus: f64, tie_groups: &[usize]) -> f64 {
    let n = n as f64;
    let mean = n * (n + 1.0) / 4.0;
    let ties: f64 = tie_groups.iter().map(|&t| (t.pow(3) - t) as f64).sum();
    let var = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - ties / 48.0;
    if var <= 0.0 {
        return 1.0;
    }
    let z = (w_plus - mean) / var.sqrt();
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests;
