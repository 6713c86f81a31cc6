//! Duplicate elimination.

use std::collections::HashSet;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::DuplicateElimination;

/// Keeps every offspring, duplicates included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct NoDuplicateElimination;

impl<G> DuplicateElimination<G> for NoDuplicateElimination {
    fn eliminate(&self, _existing: &[&G], candidates: Vec<G>) -> Vec<G> {
        candidates
    }
}

/// Exact duplicates of hashable genomes (`Vec<usize>`, enums, a user's struct), in O(n).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HashDuplicates;

impl<G: Hash + Eq + Send + Sync> DuplicateElimination<G> for HashDuplicates {
    fn eliminate(&self, existing: &[&G], candidates: Vec<G>) -> Vec<G> {
        let mut seen: HashSet<&G> = existing.iter().copied().collect();
        let keep: Vec<bool> = candidates.iter().map(|c| seen.insert(c)).collect();
        drop(seen);
        candidates
            .into_iter()
            .zip(keep)
            .filter_map(|(c, k)| k.then_some(c))
            .collect()
    }
}

/// Duplicates of real vectors: two genomes are equal when no coordinate
/// differs by more than `epsilon`. With `epsilon == 0` (exact equality) it
/// hashes the bit patterns, in O(n); otherwise it compares all pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RealDuplicates {
    epsilon: f64,
}

impl RealDuplicates {
    /// Exact equality.
    pub fn exact() -> Self {
        Self { epsilon: 0.0 }
    }

    /// Equality up to `epsilon` per coordinate (negative values count as 0).
    pub fn within(epsilon: f64) -> Self {
        Self {
            epsilon: epsilon.max(0.0),
        }
    }
}

impl DuplicateElimination<Vec<f64>> for RealDuplicates {
    fn eliminate(&self, existing: &[&Vec<f64>], candidates: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
        let bits = |x: &Vec<f64>| x.iter().map(|v| (v + 0.0).to_bits()).collect::<Vec<u64>>();
        if self.epsilon == 0.0 {
            let mut seen: HashSet<Vec<u64>> = existing.iter().map(|x| bits(x)).collect();
            return candidates
                .into_iter()
                .filter(|c| seen.insert(bits(c)))
                .collect();
        }
        let close = |a: &Vec<f64>, b: &Vec<f64>| {
            a.iter().zip(b).all(|(x, y)| (x - y).abs() <= self.epsilon)
        };
        let mut kept: Vec<Vec<f64>> = Vec::with_capacity(candidates.len());
        for c in candidates {
            if !existing.iter().any(|e| close(e, &c)) && !kept.iter().any(|k| close(k, &c)) {
                kept.push(c);
            }
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_repeats_against_existing_and_each_other() {
        let old = [vec![1.0, 2.0]];
        let refs: Vec<&Vec<f64>> = old.iter().collect();
        let cands = vec![
            vec![1.0, 2.0],
            vec![0.0, -0.0],
            vec![-0.0, 0.0],
            vec![3.0, 3.0],
        ];
        assert_eq!(
            RealDuplicates::exact().eliminate(&refs, cands.clone()),
            vec![vec![0.0, -0.0], vec![3.0, 3.0]]
        );
        let near = vec![vec![1.0 + 1e-9, 2.0], vec![3.0, 3.0]];
        assert_eq!(
            RealDuplicates::within(1e-6).eliminate(&refs, near),
            vec![vec![3.0, 3.0]]
        );
        let c = vec![vec![1usize], vec![2], vec![1]];
        assert_eq!(HashDuplicates.eliminate(&[], c), vec![vec![1], vec![2]]);
    }
}
