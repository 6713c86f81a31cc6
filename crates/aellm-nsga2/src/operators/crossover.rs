//! Built-in crossovers.

use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use super::{Crossover, check_eta, check_probability, pow_eta};
use crate::error::Result;
use crate::problem::Bounds;

/// Simulated binary crossover (Deb and Agrawal 1995) with the bounded spread
/// of Deb's NSGA-II reference code: with probability `prob` a mating
/// recombines, each variable with probability `prob_var` (0.5), and the two
/// children swap a variable with probability 0.5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sbx {
    bounds: Bounds,
    eta: f64,
    prob: f64,
    prob_var: f64,
}

impl Sbx {
    /// SBX with distribution index `eta` (15 is usual) and crossover probability `prob` (0.9 is usual).
    pub fn new(bounds: Bounds, eta: f64, prob: f64) -> Result<Self> {
        Ok(Self {
            bounds,
            eta: check_eta("eta", eta)?,
            prob: check_probability("prob", prob)?,
            prob_var: 0.5,
        })
    }

    /// Probability that one variable is recombined (default 0.5).
    pub fn with_prob_var(mut self, prob_var: f64) -> Result<Self> {
        self.prob_var = check_probability("prob_var", prob_var)?;
        Ok(self)
    }
}

impl Crossover<Vec<f64>> for Sbx {
    fn crossover(&self, parents: &[&Vec<f64>], rng: &mut dyn RngCore) -> Vec<Vec<f64>> {
        let (mut c1, mut c2) = (parents[0].clone(), parents[1].clone());
        if rng.random::<f64>() > self.prob {
            return vec![c1, c2];
        }
        let expo = 1.0 / (self.eta + 1.0);
        let neg_pow = |beta: f64| pow_eta(beta, -(self.eta + 1.0));
        let betaq = |alpha: f64, u: f64| {
            if u <= 1.0 / alpha {
                (u * alpha).powf(expo)
            } else {
                (1.0 / (2.0 - u * alpha)).powf(expo)
            }
        };
        for i in 0..c1.len() {
            if rng.random::<f64>() > self.prob_var {
                continue;
            }
            let (a, b) = (c1[i], c2[i]);
            if (a - b).abs() <= 1e-14 {
                continue;
            }
            let (lo, hi) = (self.bounds.lower()[i], self.bounds.upper()[i]);
            let (y1, y2) = (a.min(b), a.max(b));
            let u = rng.random::<f64>();
            let beta = 1.0 + 2.0 * (y1 - lo) / (y2 - y1);
            let v1 = 0.5 * ((y1 + y2) - betaq(2.0 - neg_pow(beta), u) * (y2 - y1));
            let beta = 1.0 + 2.0 * (hi - y2) / (y2 - y1);
            let v2 = 0.5 * ((y1 + y2) + betaq(2.0 - neg_pow(beta), u) * (y2 - y1));
            let (v1, v2) = (v1.clamp(lo, hi), v2.clamp(lo, hi));
            if rng.random::<f64>() < 0.5 {
                (c1[i], c2[i]) = (v2, v1);
            } else {
                (c1[i], c2[i]) = (v1, v2);
            }
        }
        vec![c1, c2]
    }
}

/// Uniform crossover for any vector genome: with probability `prob` a mating
/// recombines, and then each gene is swapped between the children with probability 0.5.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UniformCrossover {
    prob: f64,
}

impl UniformCrossover {
    /// Uniform crossover applied with probability `prob`.
    pub fn new(prob: f64) -> Result<Self> {
        Ok(Self {
            prob: check_probability("prob", prob)?,
        })
    }
}

impl<T: Clone + Send + Sync> Crossover<Vec<T>> for UniformCrossover {
    fn crossover(&self, parents: &[&Vec<T>], rng: &mut dyn RngCore) -> Vec<Vec<T>> {
        let (mut c1, mut c2) = (parents[0].clone(), parents[1].clone());
        if rng.random::<f64>() <= self.prob {
            for i in 0..c1.len().min(c2.len()) {
                if rng.random::<bool>() {
                    std::mem::swap(&mut c1[i], &mut c2[i]);
                }
            }
        }
        vec![c1, c2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn sbx_children_in_bounds_and_spread_by_eta() {
        let b = Bounds::uniform(3, 0.0, 1.0).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (p1, p2) = (vec![0.2, 0.5, 0.9], vec![0.4, 0.5, 0.1]);
        let spread = |eta: f64, rng: &mut ChaCha8Rng| {
            let sbx = Sbx::new(b.clone(), eta, 1.0)
                .unwrap()
                .with_prob_var(1.0)
                .unwrap();
            let mut total = 0.0;
            for _ in 0..400 {
                let c = sbx.crossover(&[&p1, &p2], rng);
                for (i, (x, y)) in c[0].iter().zip(&c[1]).enumerate() {
                    assert!((0.0..=1.0).contains(x) && (0.0..=1.0).contains(y));
                    if i == 0 {
                        total += (x - y).abs();
                    }
                }
                assert_eq!(c[0][1], 0.5);
            }
            total / 400.0
        };
        // A larger distribution index keeps children nearer their parents (|p1 - p2| = 0.2).
        let (wide, narrow) = (spread(2.0, &mut rng), spread(200.0, &mut rng));
        assert!(
            wide > narrow && (narrow - 0.2).abs() < 0.01,
            "{wide} {narrow}"
        );
        // Far from the bounds SBX is symmetric: the children's mean is the parents' mean.
        let sbx = Sbx::new(Bounds::uniform(1, -1e9, 1e9).unwrap(), 15.0, 1.0)
            .unwrap()
            .with_prob_var(1.0)
            .unwrap();
        let c = sbx.crossover(&[&vec![1.0], &vec![2.0]], &mut rng);
        assert!(((c[0][0] + c[1][0]) / 2.0 - 1.5).abs() < 1e-6);
    }

    #[test]
    fn uniform_crossover_keeps_genes_per_position() {
        let ux = UniformCrossover::new(1.0).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (a, b) = (vec![0usize; 8], vec![1usize; 8]);
        let c = ux.crossover(&[&a, &b], &mut rng);
        assert!(c[0].iter().zip(&c[1]).all(|(x, y)| x + y == 1));
        assert!(UniformCrossover::new(1.5).is_err());
    }
}
