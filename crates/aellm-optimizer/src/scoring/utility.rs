//! The user's utility: a weighted sum of metrics normalised to [0, 1].

use aellm_space::{Objectives, Preferences};
use serde::{Deserialize, Serialize};

/// Min-max bounds of each objective over a reference set (the paper's
/// normalisation of eq. 4), so that metrics in ms, GB and J can be added.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Normaliser {
    /// Smallest value of each objective, in the order of [`Objectives::NAMES`].
    pub min: [f64; 4],
    /// Largest value of each objective.
    pub max: [f64; 4],
}

impl Normaliser {
    /// Bounds of a set of objectives; `None` if the set is empty.
    pub fn fit<'a>(set: impl IntoIterator<Item = &'a Objectives>) -> Option<Self> {
        let mut it = set.into_iter().peekable();
        it.peek()?;
        let mut n = Normaliser {
            min: [f64::INFINITY; 4],
            max: [f64::NEG_INFINITY; 4],
        };
        for o in it {
            let v = [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j];
            for (i, x) in v.into_iter().enumerate() {
                n.min[i] = n.min[i].min(x);
                n.max[i] = n.max[i].max(x);
            }
        }
        Some(n)
    }

    /// Each objective scaled to [0, 1] with 1 the best: accuracy rises with
    /// its value, the costs fall. An objective that does not vary scores 1.
    pub fn goodness(&self, o: &Objectives) -> [f64; 4] {
        let v = [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j];
        std::array::from_fn(|i| {
            let span = self.max[i] - self.min[i];
            if span <= 0.0 || !span.is_finite() {
                return 1.0;
            }
            let x = ((v[i] - self.min[i]) / span).clamp(0.0, 1.0);
            if i == 0 { x } else { 1.0 - x }
        })
    }

    /// Hypervolume of `set` in these bounds: each objective mapped to
    /// `1 − goodness` (0 best, 1 worst), reference point 1.1 in every
    /// objective. Dominated members add nothing; an empty set has 0.
    pub fn hypervolume(&self, set: &[Objectives]) -> f64 {
        let points: Vec<Vec<f64>> = set
            .iter()
            .map(|o| self.goodness(o).iter().map(|g| 1.0 - g).collect())
            .collect();
        if points.is_empty() {
            return 0.0;
        }
        aellm_nsga2::indicators::hypervolume(&points, &[1.1; 4]).unwrap_or(f64::NAN)
    }
}

/// The utility of `o` for a user's preferences (the paper's eq. 4): the
/// weighted sum of the normalised metrics, in [0, 1], higher is better.
///
/// ```
/// use aellm_optimizer::scoring::{utility, Normaliser};
/// use aellm_space::{Objectives, Preferences};
/// let fast = Objectives { accuracy: 0.60, latency_ms: 100.0, memory_gb: 4.0, energy_j: 10.0 };
/// let good = Objectives { accuracy: 0.70, latency_ms: 400.0, memory_gb: 14.0, energy_j: 40.0 };
/// let n = Normaliser::fit([&fast, &good]).unwrap();
/// let accuracy_first = Preferences { accuracy: 1.0, latency: 0.0, memory: 0.0, energy: 0.0 };
/// assert!(utility(&good, &accuracy_first, &n) > utility(&fast, &accuracy_first, &n));
/// assert!(utility(&fast, &Preferences::default(), &n) > utility(&good, &Preferences::default(), &n));
/// ```
pub fn utility(o: &Objectives, prefs: &Preferences, n: &Normaliser) -> f64 {
    let w = prefs.normalised();
    let g = n.goodness(o);
    w.iter().zip(g).map(|(w, g)| w * g).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn objectives() -> impl Strategy<Value = Objectives> {
        (0.0..1.0f64, 1.0..1e4f64, 0.1..200.0f64, 0.1..1e4f64).prop_map(|(a, l, m, e)| Objectives {
            accuracy: a,
            latency_ms: l,
            memory_gb: m,
            energy_j: e,
        })
    }

    proptest! {
        #[test]
        fn utility_is_in_unit_range_and_respects_dominance(
            set in prop::collection::vec(objectives(), 2..12),
            w in (0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64, 0.01..1.0f64),
        ) {
            let prefs = Preferences { accuracy: w.0, latency: w.1, memory: w.2, energy: w.3 };
            let n = Normaliser::fit(&set).unwrap();
            for a in &set {
                let ua = utility(a, &prefs, &n);
                prop_assert!((-1e-12..=1.0 + 1e-12).contains(&ua));
                for b in &set {
                    if a.dominates(b) {
                        prop_assert!(ua >= utility(b, &prefs, &n) - 1e-12);
                    }
                }
            }
        }
    }

    #[test]
    fn hypervolume_counts_the_front_once_in_normalised_units() {
        let best = Objectives {
            accuracy: 0.9,
            latency_ms: 10.0,
            memory_gb: 1.0,
            energy_j: 1.0,
        };
        let worst = Objectives {
            accuracy: 0.5,
            latency_ms: 50.0,
            memory_gb: 9.0,
            energy_j: 5.0,
        };
        let n = Normaliser::fit([&best, &worst]).unwrap();
        // The best point sits at the origin: the whole box to 1.1.
        assert!((n.hypervolume(&[best]) - 1.1f64.powi(4)).abs() < 1e-12);
        // The worst point sits at 1: a 0.1-wide box; dominated, it adds nothing.
        assert!((n.hypervolume(&[worst]) - 0.1f64.powi(4)).abs() < 1e-12);
        assert_eq!(n.hypervolume(&[best, worst]), n.hypervolume(&[best]));
        assert_eq!(n.hypervolume(&[]), 0.0);
    }
}
