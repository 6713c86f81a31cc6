//! A Pareto archive of every non-dominated solution seen.

use std::collections::BTreeMap;

use crate::dominance::{OrdF64, constrained_dominates, dominates};
use crate::individual::Individual;

/// Holds the solutions that no other seen solution dominates under Deb's
/// constrained domination: once a feasible solution has been seen only
/// feasible ones are kept, before that the least-violating ones. One member
/// is kept per objective vector (the first seen).
///
/// With two objectives the feasible members sit in a sorted tree (a
/// staircase), so an insertion costs O(log n); otherwise a linear scan.
///
/// ```
/// use aellm_nsga2::{Evaluation, Individual, ParetoArchive};
/// let mut a = ParetoArchive::new();
/// assert!(a.insert(Individual::new((), Evaluation::new(vec![1.0, 2.0]))));
/// assert!(a.insert(Individual::new((), Evaluation::new(vec![2.0, 1.0]))));
/// assert!(a.insert(Individual::new((), Evaluation::new(vec![0.5, 0.5])))); // dominates both
/// assert!(!a.insert(Individual::new((), Evaluation::new(vec![3.0, 3.0]))));
/// assert_eq!(a.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct ParetoArchive<G> {
    staircase: BTreeMap<(OrdF64, OrdF64), Individual<G>>,
    feasible: Vec<Individual<G>>,
    /// The feasible members' objectives, contiguous, so the scan stays in cache.
    flat: Vec<f64>,
    infeasible: Vec<Individual<G>>,
}

impl<G> Default for ParetoArchive<G> {
    fn default() -> Self {
        Self::new()
    }
}

impl<G> ParetoArchive<G> {
    /// An empty archive.
    pub fn new() -> Self {
        Self {
            staircase: BTreeMap::new(),
            feasible: Vec::new(),
            flat: Vec::new(),
            infeasible: Vec::new(),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.staircase.len() + self.feasible.len() + self.infeasible.len()
    }

    /// True when nothing has been archived.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offers a solution; returns whether it entered the archive.
    pub fn insert(&mut self, ind: Individual<G>) -> bool {
        if !ind.is_feasible() {
            return self.insert_infeasible(ind);
        }
        self.infeasible.clear();
        if ind.objectives.len() == 2 {
            return self.insert_2d(ind);
        }
        let o = &ind.objectives;
        let m = o.len();
        let mut beaten = Vec::new();
        for (j, q) in self.flat.chunks_exact(m).enumerate() {
            if q.iter().zip(o).all(|(a, b)| a <= b) {
                // Dominated or equal; then, by transitivity, it dominates no member either.
                return false;
            }
            if dominates(o, q) {
                beaten.push(j);
            }
        }
        if !beaten.is_empty() {
            let mut next = beaten.iter().copied().peekable();
            let mut j = 0;
            self.feasible.retain(|_| {
                let drop = next.peek() == Some(&j);
                if drop {
                    next.next();
                }
                j += 1;
                !drop
            });
            self.flat.clear();
            self.flat.extend(
                self.feasible
                    .iter()
                    .flat_map(|i| i.objectives.iter().copied()),
            );
        }
        self.flat.extend_from_slice(o);
        self.feasible.push(ind);
        true
    }

    fn insert_infeasible(&mut self, ind: Individual<G>) -> bool {
        if !self.staircase.is_empty() || !self.feasible.is_empty() {
            return false;
        }
        let cv = ind.constraint_violation;
        if self.infeasible.iter().any(|m| {
            constrained_dominates(&m.objectives, m.constraint_violation, &ind.objectives, cv)
                || (m.constraint_violation == cv && m.objectives == ind.objectives)
        }) {
            return false;
        }
        self.infeasible.retain(|m| m.constraint_violation <= cv);
        self.infeasible.push(ind);
        true
    }

    fn insert_2d(&mut self, ind: Individual<G>) -> bool {
        let (x, y) = (ind.objectives[0], ind.objectives[1]);
        // The member with the largest f1 <= x has the smallest f2 among those; it alone decides.
        if let Some((&(_, OrdF64(qy)), _)) = self
            .staircase
            .range(..=(OrdF64(x), OrdF64(f64::INFINITY)))
            .next_back()
            && qy <= y
        {
            return false;
        }
        let doomed: Vec<(OrdF64, OrdF64)> = self
            .staircase
            .range((OrdF64(x), OrdF64(f64::NEG_INFINITY))..)
            .take_while(|(k, _)| k.1.0 >= y)
            .map(|(k, _)| *k)
            .collect();
        for k in doomed {
            self.staircase.remove(&k);
        }
        self.staircase.insert((OrdF64(x), OrdF64(y)), ind);
        true
    }

    /// The members, feasible ones sorted by their first objective for two objectives.
    pub fn members(&self) -> Vec<&Individual<G>> {
        self.staircase
            .values()
            .chain(&self.feasible)
            .chain(&self.infeasible)
            .collect()
    }

    /// Consumes the archive into its members.
    pub fn into_members(self) -> Vec<Individual<G>> {
        self.staircase
            .into_values()
            .chain(self.feasible)
            .chain(self.infeasible)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{cases, small_int};
    use crate::problem::Evaluation;
    use rand::Rng;

    fn ind(o: Vec<f64>, cv: f64) -> Individual<()> {
        Individual::new((), Evaluation::new(o).with_constraints(vec![cv]))
    }

    #[test]
    fn holds_only_mutually_non_dominated() {
        cases(|rng| {
            let m = rng.random_range(2..4);
            let n = rng.random_range(1..120);
            let mut a = ParetoArchive::new();
            let mut all = Vec::new();
            for _ in 0..n {
                let o: Vec<f64> = (0..m).map(|_| small_int(rng, 8)).collect();
                // Half of the points feasible, the rest with violation 0, 1 or 2.
                let cv = if rng.random_bool(0.5) {
                    0.0
                } else {
                    small_int(rng, 3)
                };
                all.push((o.clone(), cv));
                a.insert(ind(o, cv));
            }
            let mem = a.members();
            for x in &mem {
                for y in &mem {
                    assert!(!constrained_dominates(
                        &x.objectives,
                        x.constraint_violation,
                        &y.objectives,
                        y.constraint_violation
                    ));
                }
                // Nothing ever seen dominates a member.
                for (o, cv) in &all {
                    assert!(!constrained_dominates(
                        o,
                        *cv,
                        &x.objectives,
                        x.constraint_violation
                    ));
                }
            }
            // Every seen point is dominated by or equal to a member.
            for (o, cv) in &all {
                assert!(mem.iter().any(|x| constrained_dominates(
                    &x.objectives,
                    x.constraint_violation,
                    o,
                    *cv
                ) || (x.objectives == *o
                    && x.constraint_violation == *cv)));
            }
        });
    }
}
