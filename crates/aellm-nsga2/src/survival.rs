//! Environmental selection: who of parents and offspring survives.

use serde::{Deserialize, Serialize};

use crate::crowding::crowding_distance;
use crate::sorting::constrained_sort_unchecked;

/// Chooses `n_survive` of the merged parents and offspring (pymoo's `Survival`).
pub trait Survival: Send + Sync {
    /// Picks survivors given the objective rows and constraint violations of all candidates.
    fn survive(
        &self,
        objectives: &[&[f64]],
        violations: &[f64],
        n_survive: usize,
    ) -> SurvivalOutcome;
}

/// What a survival step decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalOutcome {
    /// Indices of the survivors, best first.
    pub selected: Vec<usize>,
    /// Rank of each survivor (same order as `selected`).
    pub rank: Vec<usize>,
    /// Crowding distance of each survivor (same order as `selected`).
    pub crowding: Vec<f64>,
    /// Indices of every candidate in the first front, survivors or not.
    pub first_front: Vec<usize>,
}

/// NSGA-II's elitist survival (Deb et al. 2002): whole fronts of the
/// constrained non-dominated sort are kept in order while they fit, and the
/// front that does not fit is cut by descending crowding distance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RankAndCrowding;

impl Survival for RankAndCrowding {
    fn survive(
        &self,
        objectives: &[&[f64]],
        violations: &[f64],
        n_survive: usize,
    ) -> SurvivalOutcome {
        let fronts = constrained_sort_unchecked(objectives, violations);
        let mut out = SurvivalOutcome {
            selected: Vec::with_capacity(n_survive),
            rank: Vec::with_capacity(n_survive),
            crowding: Vec::with_capacity(n_survive),
            first_front: fronts.first().cloned().unwrap_or_default(),
        };
        for (k, front) in fronts.iter().enumerate() {
            let room = n_survive - out.selected.len();
            if room == 0 {
                break;
            }
            let pts: Vec<&[f64]> = front.iter().map(|&i| objectives[i]).collect();
            let d = crowding_distance(&pts);
            let mut order: Vec<usize> = (0..front.len()).collect();
            if front.len() > room {
                // Stable sort: equal distances keep the sort's deterministic order.
                order.sort_by(|&a, &b| d[b].total_cmp(&d[a]));
                order.truncate(room);
            }
            for j in order {
                out.selected.push(front[j]);
                out.rank.push(k);
                out.crowding.push(d[j]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_fronts_then_cuts_by_crowding() {
        let pts = [
            vec![0.0, 4.0],
            vec![1.0, 2.9],
            vec![2.0, 2.0],
            vec![4.0, 0.0],
            vec![5.0, 5.0],
        ];
        let refs: Vec<&[f64]> = pts.iter().map(Vec::as_slice).collect();
        let out = RankAndCrowding.survive(&refs, &[0.0; 5], 3);
        // The two extremes are infinite; of the interior points, index 2 has the wider gaps.
        let mut sel = out.selected.clone();
        sel.sort_unstable();
        assert_eq!(sel, vec![0, 2, 3]);
        assert_eq!(out.first_front.len(), 4);
        // An infeasible point loses to every feasible one.
        let out = RankAndCrowding.survive(&refs, &[0.0, 0.0, 0.0, 1.0, 0.0], 4);
        assert!(!out.selected.contains(&3));
    }
}
