//! Mating selection.

use rand::RngCore;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::{Nsga2Error, Result};

/// k-way tournament on the crowded-comparison operator of Deb et al. (2002):
/// the lower rank wins (ranks come from the constrained non-dominated sort, so
/// feasibility and violation are already in them), ties go to the larger
/// crowding distance, remaining ties to the first drawn.
///
/// Competitors are dealt from shuffled permutations of the population, as in
/// Deb's reference code and pymoo, so every individual enters about `k`
/// tournaments per population's worth of winners.
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

    /// Starts dealing tournaments over a population of `n` individuals.
    pub fn tournaments(&self, n: usize) -> Tournaments {
        Tournaments {
            size: self.size,
            n,
            deck: Vec::new(),
            next: 0,
        }
    }
}

/// A stream of tournaments dealt from shuffled permutations of the population.
#[derive(Debug, Clone)]
pub struct Tournaments {
    size: usize,
    n: usize,
    deck: Vec<usize>,
    next: usize,
}

impl Tournaments {
    /// The winner of the next tournament among individuals with these ranks and crowding distances.
    pub fn winner(&mut self, rank: &[usize], crowding: &[f64], rng: &mut dyn RngCore) -> usize {
        let mut best = self.draw(rng);
        for _ in 1..self.size {
            let c = self.draw(rng);
            if rank[c] < rank[best] || (rank[c] == rank[best] && crowding[c] > crowding[best]) {
                best = c;
            }
        }
        best
    }

    fn draw(&mut self, rng: &mut dyn RngCore) -> usize {
        if self.next == self.deck.len() {
            self.deck.clear();
            self.deck.extend(0..self.n);
            self.deck.shuffle(rng);
            self.next = 0;
        }
        self.next += 1;
        self.deck[self.next - 1]
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
            let mut t = TournamentSelection::new(k).unwrap().tournaments(20);
            (0..2000)
                .map(|_| rank[t.winner(&rank, &crowd, rng)] as f64)
                .sum::<f64>()
                / 2000.0
        };
        let (m1, m2, m4) = (mean(1, &mut rng), mean(2, &mut rng), mean(4, &mut rng));
        assert!(m1 > m2 && m2 > m4, "{m1} {m2} {m4}");
        assert!(TournamentSelection::new(0).is_err());
    }

    #[test]
    fn binary_tournaments_use_everyone_twice_per_round() {
        // With k = 2, n winners use 2n draws: two full permutations, so each individual competes twice.
        let mut t = TournamentSelection::new(2).unwrap().tournaments(10);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let rank: Vec<usize> = (0..10).collect();
        let winners: Vec<usize> = (0..10)
            .map(|_| t.winner(&rank, &[0.0; 10], &mut rng))
            .collect();
        // The worst individual can never win a binary tournament against someone else.
        assert!(!winners.contains(&9));
        assert!(winners.contains(&0));
    }
}
