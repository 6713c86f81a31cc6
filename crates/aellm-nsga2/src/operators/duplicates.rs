//! Duplicate elimination.

use std::collections::{HashMap, HashSet};
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

/// Row `i` of `existing` followed by `kept`.
fn row<'a>(existing: &'a [&Vec<f64>], kept: &'a [Vec<f64>], i: usize) -> &'a [f64] {
    match existing.get(i) {
        Some(x) => x,
        None => &kept[i - existing.len()],
    }
}

/// A fast 64-bit hash of a real vector's bit patterns (0.0 and -0.0 alike).
fn real_key(x: &[f64]) -> u64 {
    x.iter().fold(0u64, |h, v| {
        (h.rotate_left(5) ^ (v + 0.0).to_bits()).wrapping_mul(0x517c_c1b7_2722_0a95)
    })
}

impl DuplicateElimination<Vec<f64>> for RealDuplicates {
    fn eliminate(&self, existing: &[&Vec<f64>], candidates: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
        if self.epsilon == 0.0 {
            // Hash to find the one suspect in O(1); confirm exactly, and on a
            // (vanishingly rare) collision fall back to a full scan, so no genome is dropped wrongly.
            let mut seen: HashMap<u64, usize> =
                HashMap::with_capacity(existing.len() + candidates.len());
            for (i, x) in existing.iter().enumerate() {
                seen.entry(real_key(x)).or_insert(i);
            }
            let mut kept: Vec<Vec<f64>> = Vec::with_capacity(candidates.len());
            for c in candidates {
                let key = real_key(&c);
                let n_old = existing.len();
                match seen.get(&key) {
                    None => {
                        seen.insert(key, n_old + kept.len());
                    }
                    Some(&i) if row(existing, &kept, i) == c.as_slice() => continue,
                    Some(_) => {
                        if (0..n_old + kept.len()).any(|i| row(existing, &kept, i) == c.as_slice())
                        {
                            continue;
                        }
                    }
                }
                kept.push(c);
            }
            return kept;
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
