//! Built-in mutations.

use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use super::sampling::check_cardinalities;
use super::{Mutation, check_eta, check_probability, pow_eta};
use crate::error::Result;
use crate::problem::Bounds;

/// Polynomial mutation (Deb and Goyal 1996) in the bounded form of Deb's
/// NSGA-II reference code; each variable mutates with probability `prob_var`
/// (default `1 / n`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolynomialMutation {
    bounds: Bounds,
    eta: f64,
    prob_var: f64,
}

impl PolynomialMutation {
    /// Polynomial mutation with distribution index `eta` (20 is usual) and per-variable probability `1 / n`.
    pub fn new(bounds: Bounds, eta: f64) -> Result<Self> {
        let prob_var = 1.0 / bounds.len() as f64;
        Ok(Self {
            bounds,
            eta: check_eta("eta", eta)?,
            prob_var,
        })
    }

    /// Sets the per-variable mutation probability.
    pub fn with_prob_var(mut self, prob_var: f64) -> Result<Self> {
        self.prob_var = check_probability("prob_var", prob_var)?;
        Ok(self)
    }
}

impl Mutation<Vec<f64>> for PolynomialMutation {
    fn mutate(&self, x: &mut Vec<f64>, rng: &mut dyn RngCore) {
        let pow = 1.0 / (self.eta + 1.0);
        for (i, y) in x.iter_mut().enumerate() {
            if rng.random::<f64>() > self.prob_var {
                continue;
            }
            let (lo, hi) = (self.bounds.lower()[i], self.bounds.upper()[i]);
            let (d1, d2) = ((*y - lo) / (hi - lo), (hi - *y) / (hi - lo));
            let r = rng.random::<f64>();
            let dq = if r < 0.5 {
                let v = 2.0 * r + (1.0 - 2.0 * r) * pow_eta(1.0 - d1, self.eta + 1.0);
                v.powf(pow) - 1.0
            } else {
                let v = 2.0 * (1.0 - r) + 2.0 * (r - 0.5) * pow_eta(1.0 - d2, self.eta + 1.0);
                1.0 - v.powf(pow)
            };
            *y = (*y + dq * (hi - lo)).clamp(lo, hi);
        }
    }
}

/// Random-reset mutation for categorical (or bounded integer) genes: each gene
/// is redrawn uniformly from `0..cardinality` with probability `prob_var`
/// (default `1 / n`), and always changes when it has another value to take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomResetMutation {
    cardinalities: Vec<usize>,
    prob_var: f64,
}

impl RandomResetMutation {
    /// Random reset over genes with the given cardinalities, per-gene probability `1 / n`.
    pub fn new(cardinalities: Vec<usize>) -> Result<Self> {
        check_cardinalities(&cardinalities)?;
        let prob_var = 1.0 / cardinalities.len() as f64;
        Ok(Self {
            cardinalities,
            prob_var,
        })
    }

    /// Sets the per-gene mutation probability.
    pub fn with_prob_var(mut self, prob_var: f64) -> Result<Self> {
        self.prob_var = check_probability("prob_var", prob_var)?;
        Ok(self)
    }
}

impl Mutation<Vec<usize>> for RandomResetMutation {
    fn mutate(&self, x: &mut Vec<usize>, rng: &mut dyn RngCore) {
        for (g, &c) in x.iter_mut().zip(&self.cardinalities) {
            if c > 1 && rng.random::<f64>() < self.prob_var {
                // Draw among the other c - 1 values so the gene really changes.
                let v = rng.random_range(0..c - 1);
                *g = if v >= *g { v + 1 } else { v };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn polynomial_stays_in_bounds_and_moves() {
        let pm = PolynomialMutation::new(Bounds::uniform(4, -1.0, 1.0).unwrap(), 20.0)
            .unwrap()
            .with_prob_var(1.0)
            .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut moved = 0;
        for _ in 0..100 {
            let mut x = vec![-1.0, 0.0, 0.99, 1.0];
            pm.mutate(&mut x, &mut rng);
            assert!(x.iter().all(|v| (-1.0..=1.0).contains(v)));
            moved += usize::from(x[1] != 0.0);
        }
        assert!(moved > 90);
    }

    #[test]
    fn random_reset_changes_gene_within_range() {
        let m = RandomResetMutation::new(vec![3, 1])
            .unwrap()
            .with_prob_var(1.0)
            .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..50 {
            let mut x = vec![1, 0];
            m.mutate(&mut x, &mut rng);
            assert!(x[0] != 1 && x[0] < 3 && x[1] == 0);
        }
    }
}
