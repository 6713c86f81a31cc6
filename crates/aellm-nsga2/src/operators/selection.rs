//! Mating selection.

use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use crate::error::{Nsga2Error, Result};

/// k-way tournament on the crowded-comparison operator of Deb et al. (2002):
/// the lower rank wins (ranks come from the constrained non-dominated sort, so
/// feasibility and violation are already in them), ties go to the larger
/// crowding distance, remaining ties to the first drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TournamentSelection {
    size: usize,
}

impl Default for TournamentSelection {
    fn default() -> Self {
        Self { size: 2 }
    }
}

impl TournamentSelection {
    /// A tournament of `size` competitors (2 is the binary tournament).
    pub fn new(size: usize) -> Result<Self> {
        if size == 0 {
            return Err(Nsga2Error::InvalidParameter {
                name: "tournament_size",
                reason: "0 competitors; use 1 (random selection) or more, 2 is usual".into(),
            });
        }
        Ok(Self { size })
    }

    /// Tournament size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Picks one winner's index among individuals with the given ranks and crowding distances.
    pub fn select_one(&self, rank: &[usize], crowding: &[f64], rng: &mut dyn RngCore) -> usize {
        let n = rank.len();
        let mut best = rng.random_range(0..n);
        for _ in 1..self.size {
            let c = rng.random_range(0..n);
            if rank[c] < rank[best] || (rank[c] == rank[best] && crowding[c] > crowding[best]) {
                best = c;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn larger_tournaments_favour_better_ranks() {
        let rank: Vec<usize> = (0..20).collect();
        let crowd = vec![0.0; 20];
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mean = |k: usize, rng: &mut ChaCha8Rng| {
            let t = TournamentSelection::new(k).unwrap();
            (0..2000)
                .map(|_| rank[t.select_one(&rank, &crowd, rng)] as f64)
                .sum::<f64>()
                / 2000.0
        };
        let (m1, m2, m4) = (mean(1, &mut rng), mean(2, &mut rng), mean(4, &mut rng));
        assert!(m1 > m2 && m2 > m4, "{m1} {m2} {m4}");
        assert!(TournamentSelection::new(0).is_err());
    }
}
