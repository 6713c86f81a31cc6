//! The DTLZ problems (Deb, Thiele, Laumanns and Zitzler 2002), any number of objectives.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::{check_n_obj, simplex_points};
use crate::error::Result;
use crate::problem::{Bounds, Evaluation, KnownFront, Problem, RealProblem};

/// Which DTLZ function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DtlzKind {
    /// Linear front (Σf = 0.5), multimodal g.
    Dtlz1,
    /// Spherical front.
    Dtlz2,
    /// Spherical front, multimodal g.
    Dtlz3,
    /// Spherical front, biased density (α = 100).
    Dtlz4,
}

/// A DTLZ problem with `n_obj` objectives and `n_obj + k - 1` variables in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dtlz {
    kind: DtlzKind,
    n_obj: usize,
    bounds: Bounds,
}

impl Dtlz {
    /// A DTLZ problem; the usual `k` is 5 for DTLZ1 and 10 for DTLZ2-4.
    pub fn new(kind: DtlzKind, n_obj: usize, k: usize) -> Result<Self> {
        check_n_obj(n_obj, k)?;
        Ok(Self {
            kind,
            n_obj,
            bounds: Bounds::uniform(n_obj + k - 1, 0.0, 1.0)?,
        })
    }

    /// DTLZ1 with the usual k = 5.
    pub fn dtlz1(n_obj: usize) -> Result<Self> {
        Self::new(DtlzKind::Dtlz1, n_obj, 5)
    }
    /// DTLZ2 with the usual k = 10.
    pub fn dtlz2(n_obj: usize) -> Result<Self> {
        Self::new(DtlzKind::Dtlz2, n_obj, 10)
    }
    /// DTLZ3 with the usual k = 10.
    pub fn dtlz3(n_obj: usize) -> Result<Self> {
        Self::new(DtlzKind::Dtlz3, n_obj, 10)
    }
    /// DTLZ4 with the usual k = 10.
    pub fn dtlz4(n_obj: usize) -> Result<Self> {
        Self::new(DtlzKind::Dtlz4, n_obj, 10)
    }
}

/// Rastrigin-like distance function of DTLZ1 and DTLZ3.
pub(crate) fn g_multimodal(xm: &[f64]) -> f64 {
    let s: f64 = xm
        .iter()
        .map(|x| (x - 0.5).powi(2) - (20.0 * PI * (x - 0.5)).cos())
        .sum();
    100.0 * (xm.len() as f64 + s)
}

/// DTLZ1's linear objectives for position variables `xp` and distance `g`.
pub(crate) fn linear_objectives(xp: &[f64], g: f64, m: usize) -> Vec<f64> {
    (0..m)
        .map(|i| {
            let mut f = 0.5 * (1.0 + g);
            f *= xp[..m - 1 - i].iter().product::<f64>();
            if i > 0 {
                f *= 1.0 - xp[m - 1 - i];
            }
            f
        })
        .collect()
}

fn spherical_objectives(xp: &[f64], g: f64, m: usize, alpha: f64) -> Vec<f64> {
    let theta: Vec<f64> = xp.iter().map(|x| x.powf(alpha) * PI / 2.0).collect();
    (0..m)
        .map(|i| {
            let mut f = 1.0 + g;
            f *= theta[..m - 1 - i].iter().map(|t| t.cos()).product::<f64>();
            if i > 0 {
                f *= theta[m - 1 - i].sin();
            }
            f
        })
        .collect()
}

impl Problem for Dtlz {
    type Genome = Vec<f64>;

    fn n_objectives(&self) -> usize {
        self.n_obj
    }

    fn evaluate(&self, x: &Vec<f64>) -> Evaluation {
        let m = self.n_obj;
        let (xp, xm) = x.split_at(m - 1);
        let f = match self.kind {
            DtlzKind::Dtlz1 => linear_objectives(xp, g_multimodal(xm), m),
            DtlzKind::Dtlz2 => {
                spherical_objectives(xp, xm.iter().map(|v| (v - 0.5).powi(2)).sum(), m, 1.0)
            }
            DtlzKind::Dtlz3 => spherical_objectives(xp, g_multimodal(xm), m, 1.0),
            DtlzKind::Dtlz4 => {
                spherical_objectives(xp, xm.iter().map(|v| (v - 0.5).powi(2)).sum(), m, 100.0)
            }
        };
        Evaluation::new(f)
    }

    fn name(&self) -> &str {
        match self.kind {
            DtlzKind::Dtlz1 => "dtlz1",
            DtlzKind::Dtlz2 => "dtlz2",
            DtlzKind::Dtlz3 => "dtlz3",
            DtlzKind::Dtlz4 => "dtlz4",
        }
    }
}

impl RealProblem for Dtlz {
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
}

impl KnownFront for Dtlz {
    /// Das–Dennis points: on the simplex Σf = 0.5 for DTLZ1, on the unit sphere otherwise.
    fn pareto_front(&self, n_points: usize) -> Vec<Vec<f64>> {
        let pts = simplex_points(self.n_obj, n_points);
        match self.kind {
            DtlzKind::Dtlz1 => pts
                .into_iter()
                .map(|p| p.iter().map(|v| v * 0.5).collect())
                .collect(),
            _ => pts
                .into_iter()
                .map(|p| {
                    let n = p.iter().map(|v| v * v).sum::<f64>().sqrt();
                    p.iter().map(|v| v / n).collect()
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_genomes_lie_on_the_front() {
        for m in [2, 3, 5] {
            for p in [
                Dtlz::dtlz1(m),
                Dtlz::dtlz2(m),
                Dtlz::dtlz3(m),
                Dtlz::dtlz4(m),
            ] {
                let p = p.unwrap();
                let mut x = vec![0.5; p.bounds().len()];
                x[0] = 0.3;
                let f = p.evaluate(&x).objectives;
                assert_eq!(f.len(), m);
                if p.kind == DtlzKind::Dtlz1 {
                    assert!((f.iter().sum::<f64>() - 0.5).abs() < 1e-12);
                } else {
                    assert!((f.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
                }
            }
        }
        assert!(Dtlz::dtlz2(1).is_err());
    }

    #[test]
    fn front_sizes() {
        assert_eq!(Dtlz::dtlz2(3).unwrap().pareto_front(91).len(), 91);
        assert_eq!(Dtlz::dtlz1(2).unwrap().pareto_front(100).len(), 100);
    }
}
