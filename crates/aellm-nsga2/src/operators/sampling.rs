//! Built-in samplers.

use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use super::Sampling;
use crate::error::{Nsga2Error, Result};
use crate::problem::Bounds;

/// Uniform random real vectors inside box bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloatRandomSampling {
    bounds: Bounds,
}

impl FloatRandomSampling {
    /// Samples uniformly in `bounds`.
    pub fn new(bounds: Bounds) -> Self {
        Self { bounds }
    }
}

impl Sampling<Vec<f64>> for FloatRandomSampling {
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Vec<Vec<f64>> {
        (0..n)
            .map(|_| {
                self.bounds
                    .lower()
                    .iter()
                    .zip(self.bounds.upper())
                    .map(|(l, u)| l + rng.random::<f64>() * (u - l))
                    .collect()
            })
            .collect()
    }
}

/// Uniform random categorical (or bounded integer) vectors: gene `i` takes a
/// value in `0..cardinalities[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalSampling {
    cardinalities: Vec<usize>,
}

impl CategoricalSampling {
    /// Samples gene `i` uniformly from `0..cardinalities[i]`; every cardinality must be at least 1.
    pub fn new(cardinalities: Vec<usize>) -> Result<Self> {
        check_cardinalities(&cardinalities)?;
        Ok(Self { cardinalities })
    }
}

pub(crate) fn check_cardinalities(c: &[usize]) -> Result<()> {
    if c.is_empty() || c.contains(&0) {
        return Err(Nsga2Error::InvalidParameter {
            name: "cardinalities",
            reason: format!("{c:?}: give one entry per gene, each at least 1"),
        });
    }
    Ok(())
}

impl Sampling<Vec<usize>> for CategoricalSampling {
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Vec<Vec<usize>> {
        (0..n)
            .map(|_| {
                self.cardinalities
                    .iter()
                    .map(|&c| rng.random_range(0..c))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn samples_stay_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let s = FloatRandomSampling::new(Bounds::new(vec![-1.0, 2.0], vec![0.0, 3.0]).unwrap());
        for x in s.sample(50, &mut rng) {
            assert!((-1.0..0.0).contains(&x[0]) && (2.0..3.0).contains(&x[1]));
        }
        let c = CategoricalSampling::new(vec![1, 3]).unwrap();
        for x in c.sample(50, &mut rng) {
            assert!(x[0] == 0 && x[1] < 3);
        }
        assert!(CategoricalSampling::new(vec![2, 0]).is_err());
    }
}
