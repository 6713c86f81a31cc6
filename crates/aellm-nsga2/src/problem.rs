//! What is optimised: the [`Problem`] trait and its [`Evaluation`].

use serde::{Deserialize, Serialize};

use crate::error::{Nsga2Error, Result};

/// A multi-objective problem over any genome type.
///
/// All objectives are minimised; constraints are `g(x) <= 0` when satisfied
/// (the pymoo convention), and the engine sums the positive parts into one
/// constraint violation.
///
/// ```
/// use aellm_nsga2::{Evaluation, Problem};
///
/// /// Schaffer's problem N.1: minimise x² and (x - 2)².
/// struct Schaffer;
/// impl Problem for Schaffer {
///     type Genome = Vec<f64>;
///     fn n_objectives(&self) -> usize { 2 }
///     fn evaluate(&self, x: &Vec<f64>) -> Evaluation {
///         Evaluation::new(vec![x[0] * x[0], (x[0] - 2.0).powi(2)])
///     }
/// }
/// assert_eq!(Schaffer.evaluate(&vec![1.0]).objectives, vec![1.0, 1.0]);
/// ```
pub trait Problem: Sync {
    /// The decision variables: `Vec<f64>`, `Vec<usize>` or a user's own struct.
    type Genome: Clone + Send + Sync;
    /// Number of objectives (all minimised).
    fn n_objectives(&self) -> usize;
    /// Number of inequality constraints `g(x) <= 0`.
    fn n_constraints(&self) -> usize {
        0
    }
    /// Evaluates one genome. Must be deterministic and free of shared
    /// mutable state so that parallel and serial evaluation agree.
    fn evaluate(&self, genome: &Self::Genome) -> Evaluation;
    /// A short name for logs and reports.
    fn name(&self) -> &str {
        "problem"
    }
}

/// The outcome of evaluating one genome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Objective values, all minimised.
    pub objectives: Vec<f64>,
    /// Constraint values, satisfied when `<= 0`.
    pub constraints: Vec<f64>,
}

impl Evaluation {
    /// An unconstrained evaluation.
    pub fn new(objectives: Vec<f64>) -> Self {
        Self {
            objectives,
            constraints: Vec::new(),
        }
    }

    /// Adds constraint values (`g <= 0` is satisfied).
    pub fn with_constraints(mut self, constraints: Vec<f64>) -> Self {
        self.constraints = constraints;
        self
    }

    /// Total constraint violation: the sum of the positive parts of the constraints.
    pub fn constraint_violation(&self) -> f64 {
        constraint_violation(&self.constraints)
    }

    /// Checks the shape and finiteness against what the problem declares.
    pub(crate) fn validate(&self, index: usize, n_obj: usize, n_constr: usize) -> Result<()> {
        if self.objectives.len() != n_obj {
            return Err(Nsga2Error::EvaluationShape {
                index,
                what: "objectives",
                expected: n_obj,
                got: self.objectives.len(),
            });
        }
        if self.constraints.len() != n_constr {
            return Err(Nsga2Error::EvaluationShape {
                index,
                what: "constraints",
                expected: n_constr,
                got: self.constraints.len(),
            });
        }
        if self
            .objectives
            .iter()
            .chain(&self.constraints)
            .any(|v| !v.is_finite())
        {
            return Err(Nsga2Error::NonFinite {
                what: "evaluation",
                index,
            });
        }
        Ok(())
    }
}

/// Sum of the positive parts of `g(x) <= 0` constraints.
pub fn constraint_violation(constraints: &[f64]) -> f64 {
    constraints.iter().map(|g| g.max(0.0)).sum()
}

/// Box bounds of a real-valued genome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Bounds {
    /// Bounds from lower and upper vectors of equal length with `lower[i] < upper[i]`.
    ///
    /// ```
    /// let b = aellm_nsga2::Bounds::new(vec![0.0, -1.0], vec![1.0, 1.0]).unwrap();
    /// assert_eq!(b.len(), 2);
    /// ```
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Result<Self> {
        if lower.len() != upper.len() {
            return Err(Nsga2Error::DimensionMismatch {
                what: "upper bounds",
                expected: lower.len(),
                got: upper.len(),
            });
        }
        if lower.is_empty() {
            return Err(Nsga2Error::InvalidParameter {
                name: "bounds",
                reason: "no variables; give at least one (lower, upper) pair".into(),
            });
        }
        for (i, (l, u)) in lower.iter().zip(&upper).enumerate() {
            if !(l.is_finite() && u.is_finite() && l < u) {
                return Err(Nsga2Error::InvalidParameter {
                    name: "bounds",
                    reason: format!(
                        "variable {i} has lower {l} and upper {u}; both must be finite with lower < upper"
                    ),
                });
            }
        }
        Ok(Self { lower, upper })
    }

    /// The same interval `[lower, upper]` for `n` variables.
    pub fn uniform(n: usize, lower: f64, upper: f64) -> Result<Self> {
        Self::new(vec![lower; n], vec![upper; n])
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        self.lower.len()
    }

    /// True when there are no variables (never, for validated bounds).
    pub fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    /// Lower bounds.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// Upper bounds.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }
}

/// A problem with a known Pareto front, for quality indicators.
pub trait KnownFront {
    /// About `n_points` points spread over the true Pareto front (objective space).
    fn pareto_front(&self, n_points: usize) -> Vec<Vec<f64>>;
}

/// A real-valued problem with box bounds, as the built-in test problems are.
pub trait RealProblem: Problem<Genome = Vec<f64>> {
    /// The box the variables live in.
    fn bounds(&self) -> &Bounds;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violation_sums_positive_parts() {
        let e = Evaluation::new(vec![0.0]).with_constraints(vec![-1.0, 0.5, 2.0]);
        assert_eq!(e.constraint_violation(), 2.5);
    }

    #[test]
    fn validate_rejects_wrong_shape_and_nan() {
        let e = Evaluation::new(vec![0.0, f64::NAN]);
        assert!(matches!(
            e.validate(3, 1, 0),
            Err(Nsga2Error::EvaluationShape { index: 3, .. })
        ));
        assert!(matches!(
            e.validate(0, 2, 0),
            Err(Nsga2Error::NonFinite { .. })
        ));
    }

    #[test]
    fn bounds_reject_inverted() {
        assert!(Bounds::new(vec![1.0], vec![0.0]).is_err());
        assert!(Bounds::new(vec![0.0], vec![1.0, 2.0]).is_err());
    }
}
