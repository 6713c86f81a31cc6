//! The ZDT problems (Zitzler, Deb and Thiele 2000).

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{linspace, non_dominated};
use crate::error::{Nsga2Error, Result};
use crate::problem::{Bounds, Evaluation, KnownFront, Problem, RealProblem};

/// Which ZDT function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZdtKind {
    /// Convex front.
    Zdt1,
    /// Concave front.
    Zdt2,
    /// Disconnected front.
    Zdt3,
    /// Multimodal (21^9 local fronts).
    Zdt4,
    /// Non-uniform density, biased front.
    Zdt6,
}

/// A ZDT problem with `n_var` variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zdt {
    kind: ZdtKind,
    bounds: Bounds,
}

impl Zdt {
    /// A ZDT problem; the usual sizes are 30 variables for ZDT1-3 and 10 for ZDT4 and ZDT6.
    pub fn new(kind: ZdtKind, n_var: usize) -> Result<Self> {
        if n_var < 2 {
            return Err(Nsga2Error::InvalidParameter {
                name: "n_var",
                reason: format!("{n_var}; ZDT problems need at least 2 variables"),
            });
        }
        let bounds = match kind {
            ZdtKind::Zdt4 => {
                let mut lo = vec![-5.0; n_var];
                let mut hi = vec![5.0; n_var];
                (lo[0], hi[0]) = (0.0, 1.0);
                Bounds::new(lo, hi)?
            }
            _ => Bounds::uniform(n_var, 0.0, 1.0)?,
        };
        Ok(Self { kind, bounds })
    }

    fn make(kind: ZdtKind, n_var: usize) -> Self {
        Self::new(kind, n_var.max(2)).expect("at least 2 variables is always valid")
    }

    /// ZDT1 with `n_var` variables (at least 2; fewer are raised to 2).
    pub fn zdt1(n_var: usize) -> Self {
        Self::make(ZdtKind::Zdt1, n_var)
    }
    /// ZDT2 with `n_var` variables (at least 2).
    pub fn zdt2(n_var: usize) -> Self {
        Self::make(ZdtKind::Zdt2, n_var)
    }
    /// ZDT3 with `n_var` variables (at least 2).
    pub fn zdt3(n_var: usize) -> Self {
        Self::make(ZdtKind::Zdt3, n_var)
    }
    /// ZDT4 with `n_var` variables (at least 2).
    pub fn zdt4(n_var: usize) -> Self {
        Self::make(ZdtKind::Zdt4, n_var)
    }
    /// ZDT6 with `n_var` variables (at least 2).
    pub fn zdt6(n_var: usize) -> Self {
        Self::make(ZdtKind::Zdt6, n_var)
    }

    /// Which function this is.
    pub fn kind(&self) -> ZdtKind {
        self.kind
    }
}

/// The five disconnected pieces of ZDT3's front, as ranges of f1.
const ZDT3_REGIONS: [(f64, f64); 5] = [
    (0.0, 0.0830015349),
    (0.182228780, 0.2577623634),
    (0.4093136748, 0.4538821041),
    (0.6183967944, 0.6525117038),
    (0.8233317983, 0.8518328654),
];

impl Problem for Zdt {
    type Genome = Vec<f64>;

    fn n_objectives(&self) -> usize {
        2
    }

    fn evaluate(&self, x: &Vec<f64>) -> Evaluation {
        let n = x.len() as f64;
        let rest = &x[1..];
        let (f1, g) = match self.kind {
            ZdtKind::Zdt4 => {
                let s: f64 = rest
                    .iter()
                    .map(|v| v * v - 10.0 * (4.0 * PI * v).cos())
                    .sum();
                (x[0], 1.0 + 10.0 * (n - 1.0) + s)
            }
            ZdtKind::Zdt6 => {
                let f1 = 1.0 - (-4.0 * x[0]).exp() * (6.0 * PI * x[0]).sin().powi(6);
                (
                    f1,
                    1.0 + 9.0 * (rest.iter().sum::<f64>() / (n - 1.0)).powf(0.25),
                )
            }
            _ => (x[0], 1.0 + 9.0 * rest.iter().sum::<f64>() / (n - 1.0)),
        };
        let r = f1 / g;
        let h = match self.kind {
            ZdtKind::Zdt1 | ZdtKind::Zdt4 => 1.0 - r.sqrt(),
            ZdtKind::Zdt2 | ZdtKind::Zdt6 => 1.0 - r * r,
            ZdtKind::Zdt3 => 1.0 - r.sqrt() - r * (10.0 * PI * f1).sin(),
        };
        Evaluation::new(vec![f1, g * h])
    }

    fn name(&self) -> &str {
        match self.kind {
            ZdtKind::Zdt1 => "zdt1",
            ZdtKind::Zdt2 => "zdt2",
            ZdtKind::Zdt3 => "zdt3",
            ZdtKind::Zdt4 => "zdt4",
            ZdtKind::Zdt6 => "zdt6",
        }
    }
}

impl RealProblem for Zdt {
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
}

impl KnownFront for Zdt {
    fn pareto_front(&self, n_points: usize) -> Vec<Vec<f64>> {
        match self.kind {
            ZdtKind::Zdt1 | ZdtKind::Zdt4 => linspace(0.0, 1.0, n_points)
                .map(|f| vec![f, 1.0 - f.sqrt()])
                .collect(),
            ZdtKind::Zdt2 => linspace(0.0, 1.0, n_points)
                .map(|f| vec![f, 1.0 - f * f])
                .collect(),
            ZdtKind::Zdt6 => linspace(0.2807753191, 1.0, n_points)
                .map(|f| vec![f, 1.0 - f * f])
                .collect(),
            ZdtKind::Zdt3 => {
                let per = n_points.div_ceil(ZDT3_REGIONS.len());
                // The region ends are rounded; drop the few points that rounding leaves dominated.
                non_dominated(
                    ZDT3_REGIONS
                        .iter()
                        .flat_map(|&(a, b)| linspace(a, b, per))
                        .map(|f| vec![f, 1.0 - f.sqrt() - f * (10.0 * PI * f).sin()])
                        .collect(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_genomes_hit_the_front() {
        for z in [
            Zdt::zdt1(30),
            Zdt::zdt2(30),
            Zdt::zdt3(30),
            Zdt::zdt4(10),
            Zdt::zdt6(10),
        ] {
            let mut x = vec![0.0; z.bounds().len()];
            x[0] = 0.9;
            let f = z.evaluate(&x).objectives;
            // g = 1 at x[1..] = 0, so the point lies on the analytic front.
            let want = match z.kind() {
                ZdtKind::Zdt1 | ZdtKind::Zdt4 => 1.0 - f[0].sqrt(),
                ZdtKind::Zdt2 | ZdtKind::Zdt6 => 1.0 - f[0] * f[0],
                ZdtKind::Zdt3 => 1.0 - f[0].sqrt() - f[0] * (10.0 * PI * f[0]).sin(),
            };
            assert!((f[1] - want).abs() < 1e-12, "{}", z.name());
        }
        assert!(Zdt::new(ZdtKind::Zdt1, 1).is_err());
    }

    #[test]
    fn fronts_are_non_dominated() {
        let z = Zdt::zdt3(30);
        let f = z.pareto_front(100);
        assert!(f.len() >= 95);
        assert_eq!(non_dominated(f.clone()).len(), f.len());
    }
}
