//! Constrained test problems: BNH, SRN, TNK, OSY (Deb's book, 2001) and
//! C1-DTLZ1 (Jain and Deb 2014). Constraints are `g(x) <= 0` when satisfied.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::dtlz::{g_multimodal, linear_objectives};
use super::{check_n_obj, linspace, non_dominated, simplex_points};
use crate::error::Result;
use crate::problem::{Bounds, Evaluation, KnownFront, Problem, RealProblem};

macro_rules! real_problem {
    ($t:ty, $name:literal, $m:expr, $c:expr) => {
        impl RealProblem for $t {
            fn bounds(&self) -> &Bounds {
                &self.bounds
            }
        }
        impl $t {
            /// The problem with its standard bounds.
            pub fn new() -> Self {
                Self::default()
            }
        }
        impl Problem for $t {
            type Genome = Vec<f64>;
            fn n_objectives(&self) -> usize {
                $m
            }
            fn n_constraints(&self) -> usize {
                $c
            }
            fn evaluate(&self, x: &Vec<f64>) -> Evaluation {
                self.eval(x)
            }
            fn name(&self) -> &str {
                $name
            }
        }
    };
}

/// Binh and Korn's problem: 2 variables, 2 objectives, 2 constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bnh {
    bounds: Bounds,
}

impl Default for Bnh {
    fn default() -> Self {
        Self {
            bounds: Bounds::new(vec![0.0, 0.0], vec![5.0, 3.0]).expect("valid constant bounds"),
        }
    }
}

impl Bnh {
    fn eval(&self, x: &[f64]) -> Evaluation {
        let f1 = 4.0 * x[0] * x[0] + 4.0 * x[1] * x[1];
        let f2 = (x[0] - 5.0).powi(2) + (x[1] - 5.0).powi(2);
        let g1 = (x[0] - 5.0).powi(2) + x[1] * x[1] - 25.0;
        let g2 = 7.7 - (x[0] - 8.0).powi(2) - (x[1] + 3.0).powi(2);
        Evaluation::new(vec![f1, f2]).with_constraints(vec![g1, g2])
    }
}
real_problem!(Bnh, "bnh", 2, 2);

impl KnownFront for Bnh {
    /// Pareto set: x1 = x2 in [0, 3], then x1 in [3, 5] with x2 = 3.
    fn pareto_front(&self, n_points: usize) -> Vec<Vec<f64>> {
        linspace(0.0, 5.0, n_points)
            .map(|a| self.eval(&[a, a.min(3.0)]).objectives)
            .collect()
    }
}

/// Srinivas and Deb's problem: 2 variables in [-20, 20], 2 objectives, 2 constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Srn {
    bounds: Bounds,
}

impl Default for Srn {
    fn default() -> Self {
        Self {
            bounds: Bounds::uniform(2, -20.0, 20.0).expect("valid constant bounds"),
        }
    }
}

impl Srn {
    fn eval(&self, x: &[f64]) -> Evaluation {
        let f1 = 2.0 + (x[0] - 2.0).powi(2) + (x[1] - 1.0).powi(2);
        let f2 = 9.0 * x[0] - (x[1] - 1.0).powi(2);
        let g1 = x[0] * x[0] + x[1] * x[1] - 225.0;
        let g2 = x[0] - 3.0 * x[1] + 10.0;
        Evaluation::new(vec![f1, f2]).with_constraints(vec![g1, g2])
    }
}
real_problem!(Srn, "srn", 2, 2);

impl KnownFront for Srn {
    /// Pareto set: x1 = -2.5, x2 from 2.5 to sqrt(225 - 6.25).
    fn pareto_front(&self, n_points: usize) -> Vec<Vec<f64>> {
        linspace(2.5, (225.0f64 - 6.25).sqrt(), n_points)
            .map(|b| self.eval(&[-2.5, b]).objectives)
            .collect()
    }
}

/// Tanaka's problem: f = x, feasible outside a wavy unit circle and inside a
/// circle of radius sqrt(0.5) around (0.5, 0.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tnk {
    bounds: Bounds,
}

impl Default for Tnk {
    fn default() -> Self {
        // x2 > 0 keeps atan(x1 / x2) defined, as pymoo does.
        Self {
            bounds: Bounds::new(vec![0.0, 1e-30], vec![PI, PI]).expect("valid constant bounds"),
        }
    }
}

impl Tnk {
    fn eval(&self, x: &[f64]) -> Evaluation {
        let g1 = -(x[0] * x[0] + x[1] * x[1] - 1.0 - 0.1 * (16.0 * (x[0] / x[1]).atan()).cos());
        let g2 = (x[0] - 0.5).powi(2) + (x[1] - 0.5).powi(2) - 0.5;
        Evaluation::new(vec![x[0], x[1]]).with_constraints(vec![g1, g2])
    }
}
real_problem!(Tnk, "tnk", 2, 2);

impl KnownFront for Tnk {
    /// The non-dominated feasible part of the wavy boundary
    /// r² = 1 + 0.1 cos(16 φ), with φ = atan(x1 / x2), sampled finely.
    fn pareto_front(&self, n_points: usize) -> Vec<Vec<f64>> {
        let pts = linspace(0.0, PI / 2.0, 40 * n_points.max(2))
            .map(|phi| {
                let r = (1.0 + 0.1 * (16.0 * phi).cos()).sqrt();
                vec![r * phi.sin(), r * phi.cos()]
            })
            .filter(|p| (p[0] - 0.5).powi(2) + (p[1] - 0.5).powi(2) <= 0.5)
            .collect();
        thin(non_dominated(pts), n_points)
    }
}

/// Keeps about `n` evenly spread points of a sorted front.
fn thin(mut pts: Vec<Vec<f64>>, n: usize) -> Vec<Vec<f64>> {
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]));
    if pts.len() <= n || n < 2 {
        return pts;
    }
    (0..n)
        .map(|i| pts[i * (pts.len() - 1) / (n - 1)].clone())
        .collect()
}

/// Osyczka and Kundu's problem: 6 variables, 2 objectives, 6 constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Osy {
    bounds: Bounds,
}

impl Default for Osy {
    fn default() -> Self {
        Self {
            bounds: Bounds::new(
                vec![0.0, 0.0, 1.0, 0.0, 1.0, 0.0],
                vec![10.0, 10.0, 5.0, 6.0, 5.0, 10.0],
            )
            .expect("valid constant bounds"),
        }
    }
}

impl Osy {
    fn eval(&self, x: &[f64]) -> Evaluation {
        let f1 = -(25.0 * (x[0] - 2.0).powi(2)
            + (x[1] - 2.0).powi(2)
            + (x[2] - 1.0).powi(2)
            + (x[3] - 4.0).powi(2)
            + (x[4] - 1.0).powi(2));
        let f2: f64 = x.iter().map(|v| v * v).sum();
        // Deb's c_i(x) >= 0, negated into g_i(x) <= 0.
        let c = [
            x[0] + x[1] - 2.0,
            6.0 - x[0] - x[1],
            2.0 - x[1] + x[0],
            2.0 - x[0] + 3.0 * x[1],
            4.0 - (x[2] - 3.0).powi(2) - x[3],
            (x[4] - 3.0).powi(2) + x[5] - 4.0,
        ];
        Evaluation::new(vec![f1, f2]).with_constraints(c.iter().map(|v| -v).collect())
    }
}
real_problem!(Osy, "osy", 2, 6);

impl KnownFront for Osy {
    /// The five segments of the Pareto set given in Deb's book (2001, §14.1),
    /// kept where non-dominated.
    fn pareto_front(&self, n_points: usize) -> Vec<Vec<f64>> {
        let per = (n_points / 5).max(2) * 4;
        let mut xs: Vec<[f64; 6]> = Vec::new();
        for t in linspace(1.0, 5.0, per) {
            xs.push([5.0, 1.0, t, 0.0, 5.0, 0.0]);
            xs.push([5.0, 1.0, t, 0.0, 1.0, 0.0]);
        }
        for t in linspace(4.056, 5.0, per) {
            xs.push([t, (t - 2.0) / 3.0, 1.0, 0.0, 1.0, 0.0]);
        }
        for t in linspace(1.0, 3.732, per) {
            xs.push([0.0, 2.0, t, 0.0, 1.0, 0.0]);
        }
        for t in linspace(0.0, 1.0, per) {
            xs.push([t, 2.0 - t, 1.0, 0.0, 1.0, 0.0]);
        }
        let pts = xs
            .iter()
            .map(|x| self.eval(x))
            .filter(|e| e.constraint_violation() <= 1e-9)
            .map(|e| e.objectives)
            .collect();
        thin(non_dominated(pts), n_points)
    }
}

/// C1-DTLZ1 (Jain and Deb 2014): DTLZ1 with the constraint
/// `f_M / 0.6 + Σ_{i<M} f_i / 0.5 <= 1`, which cuts off most of the search
/// space but none of DTLZ1's front (on Σf = 0.5 it reads f_M ≥ 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct C1Dtlz1 {
    n_obj: usize,
    bounds: Bounds,
}

impl C1Dtlz1 {
    /// C1-DTLZ1 with `n_obj` objectives and `n_obj + k - 1` variables (k = 5 is usual).
    pub fn new(n_obj: usize, k: usize) -> Result<Self> {
        check_n_obj(n_obj, k)?;
        Ok(Self {
            n_obj,
            bounds: Bounds::uniform(n_obj + k - 1, 0.0, 1.0)?,
        })
    }
}

impl Problem for C1Dtlz1 {
    type Genome = Vec<f64>;
    fn n_objectives(&self) -> usize {
        self.n_obj
    }
    fn n_constraints(&self) -> usize {
        1
    }
    fn evaluate(&self, x: &Vec<f64>) -> Evaluation {
        let m = self.n_obj;
        let (xp, xm) = x.split_at(m - 1);
        let f = linear_objectives(xp, g_multimodal(xm), m);
        let c = 1.0 - f[m - 1] / 0.6 - f[..m - 1].iter().sum::<f64>() / 0.5;
        Evaluation::new(f).with_constraints(vec![-c])
    }
    fn name(&self) -> &str {
        "c1dtlz1"
    }
}

impl RealProblem for C1Dtlz1 {
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
}

impl KnownFront for C1Dtlz1 {
    /// DTLZ1's front, the simplex Σf = 0.5, which is wholly feasible.
    fn pareto_front(&self, n_points: usize) -> Vec<Vec<f64>> {
        simplex_points(self.n_obj, n_points)
            .into_iter()
            .map(|p| p.iter().map(|v| v * 0.5).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front_is_feasible_and_non_dominated<P: Problem<Genome = Vec<f64>> + KnownFront>(
        p: &P,
        n: usize,
    ) {
        let f = p.pareto_front(n);
        assert!(f.len() >= n / 2, "{}: {} points", p.name(), f.len());
        assert_eq!(non_dominated(f.clone()).len(), f.len(), "{}", p.name());
    }

    #[test]
    fn fronts() {
        front_is_feasible_and_non_dominated(&Bnh::new(), 50);
        front_is_feasible_and_non_dominated(&Srn::new(), 50);
        front_is_feasible_and_non_dominated(&Tnk::new(), 50);
        front_is_feasible_and_non_dominated(&Osy::new(), 50);
        front_is_feasible_and_non_dominated(&C1Dtlz1::new(3, 5).unwrap(), 91);
    }

    #[test]
    fn known_optima_are_feasible() {
        assert_eq!(
            Bnh::new().evaluate(&vec![1.0, 1.0]).constraint_violation(),
            0.0
        );
        assert_eq!(
            Srn::new().evaluate(&vec![-2.5, 5.0]).constraint_violation(),
            0.0
        );
        assert!(Srn::new().evaluate(&vec![5.0, 0.0]).constraint_violation() > 0.0);
        assert_eq!(
            Osy::new()
                .evaluate(&vec![5.0, 1.0, 2.0, 0.0, 5.0, 0.0])
                .constraint_violation(),
            0.0
        );
        let c1 = C1Dtlz1::new(3, 5).unwrap();
        let mut x = vec![0.5; 7];
        x[0] = 0.2;
        assert_eq!(c1.evaluate(&x).constraint_violation(), 0.0);
        x[5] = 0.0; // far from g = 0: objectives blow up and the constraint cuts in
        assert!(c1.evaluate(&x).constraint_violation() > 0.0);
    }
}
