//! Loss functions for boosting, behind the [`Loss`] trait.
//!
//! Boosting only needs, per row, the first and second derivative of the loss
//! with respect to the current prediction; adding a loss means implementing
//! [`Loss`] for a new (serialisable) type.

use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// A twice-differentiable regression loss `l(y, ŷ)`.
pub trait Loss: Clone + Debug + Send + Sync {
    /// A short name, used in logs.
    fn name(&self) -> &'static str;

    /// The constant prediction boosting starts from (the minimiser of the
    /// summed loss over `targets`).
    fn initial_score(&self, targets: &[f64]) -> f64;

    /// Writes `∂l/∂ŷ` and `∂²l/∂ŷ²` for every row.
    fn gradients(&self, targets: &[f64], preds: &[f64], grad: &mut [f64], hess: &mut [f64]);

    /// Mean loss over the rows: the metric early stopping watches.
    fn mean_loss(&self, targets: &[f64], preds: &[f64]) -> f64;
}

/// Squared error `½(ŷ − y)²`: gradient `ŷ − y`, hessian 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SquaredError;

impl Loss for SquaredError {
    fn name(&self) -> &'static str {
        "squared_error"
    }

    fn initial_score(&self, targets: &[f64]) -> f64 {
        if targets.is_empty() {
            return 0.0;
        }
        targets.iter().sum::<f64>() / targets.len() as f64
    }

    fn gradients(&self, targets: &[f64], preds: &[f64], grad: &mut [f64], hess: &mut [f64]) {
        for (((g, h), &y), &p) in grad.iter_mut().zip(hess.iter_mut()).zip(targets).zip(preds) {
            *g = p - y;
            *h = 1.0;
        }
    }

    fn mean_loss(&self, targets: &[f64], preds: &[f64]) -> f64 {
        if targets.is_empty() {
            return 0.0;
        }
        let sum: f64 = targets
            .iter()
            .zip(preds)
            .map(|(&y, &p)| (p - y) * (p - y))
            .sum();
        sum / targets.len() as f64
    }
}

/// Pseudo-Huber loss `δ²(√(1 + ((ŷ − y)/δ)²) − 1)`: quadratic near zero,
/// linear in the tails, so outliers pull less than with squared error
/// (XGBoost's `reg:pseudohubererror`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PseudoHuber {
    /// Residual scale `δ` where the loss turns from quadratic to linear.
    pub delta: f64,
}

impl Default for PseudoHuber {
    fn default() -> Self {
        Self { delta: 1.0 }
    }
}

impl Loss for PseudoHuber {
    fn name(&self) -> &'static str {
        "pseudo_huber"
    }

    /// The median: robust, and the minimiser as `δ → 0`.
    fn initial_score(&self, targets: &[f64]) -> f64 {
        if targets.is_empty() {
            return 0.0;
        }
        let mut sorted = targets.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        if sorted.len().is_multiple_of(2) {
            0.5 * (sorted[mid - 1] + sorted[mid])
        } else {
            sorted[mid]
        }
    }

    fn gradients(&self, targets: &[f64], preds: &[f64], grad: &mut [f64], hess: &mut [f64]) {
        let d = self.delta;
        for (((g, h), &y), &p) in grad.iter_mut().zip(hess.iter_mut()).zip(targets).zip(preds) {
            let r = (p - y) / d;
            let s = (1.0 + r * r).sqrt();
            *g = (p - y) / s;
            *h = 1.0 / (s * s * s);
        }
    }

    fn mean_loss(&self, targets: &[f64], preds: &[f64]) -> f64 {
        if targets.is_empty() {
            return 0.0;
        }
        let d2 = self.delta * self.delta;
        let sum: f64 = targets
            .iter()
            .zip(preds)
            .map(|(&y, &p)| {
                let r = (p - y) / self.delta;
                d2 * ((1.0 + r * r).sqrt() - 1.0)
            })
            .sum();
        sum / targets.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Finite differences of `mean_loss` must match the analytic gradient and hessian.
    fn check_derivatives<L: Loss>(loss: &L) {
        let y = [0.3, -1.2, 4.0];
        let p = [1.0, -1.0, 0.5];
        let mut g = [0.0; 3];
        let mut h = [0.0; 3];
        loss.gradients(&y, &p, &mut g, &mut h);
        let eps = 1e-4;
        for i in 0..3 {
            let at = |delta: f64| {
                let mut q = p;
                q[i] += delta;
                // mean_loss averages, so scale back to the per-row loss.
                loss.mean_loss(&y[i..=i], &q[i..=i])
            };
            // SquaredError's mean_loss is (ŷ−y)², twice the ½(ŷ−y)² its gradient belongs to.
            let scale = if loss.name() == "squared_error" {
                0.5
            } else {
                1.0
            };
            let num_g = scale * (at(eps) - at(-eps)) / (2.0 * eps);
            let num_h = scale * (at(eps) - 2.0 * at(0.0) + at(-eps)) / (eps * eps);
            assert!(
                (num_g - g[i]).abs() < 1e-5,
                "gradient {i}: {num_g} vs {}",
                g[i]
            );
            assert!(
                (num_h - h[i]).abs() < 1e-3,
                "hessian {i}: {num_h} vs {}",
                h[i]
            );
        }
    }

    #[test]
    fn squared_error_derivatives_match_finite_differences() {
        check_derivatives(&SquaredError);
    }

    #[test]
    fn pseudo_huber_derivatives_match_finite_differences() {
        check_derivatives(&PseudoHuber { delta: 0.7 });
    }

    #[test]
    fn initial_scores_minimise_the_loss() {
        assert_eq!(SquaredError.initial_score(&[1.0, 2.0, 6.0]), 3.0);
        assert_eq!(PseudoHuber::default().initial_score(&[1.0, 2.0, 60.0]), 2.0);
    }
}
