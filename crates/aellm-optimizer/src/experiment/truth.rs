//! The true front of a space small or cheap enough to evaluate whole: the
//! fixed yardstick methods are scored against.
//!
//! A hypervolume normalised over what the compared methods happened to find
//! moves with them: its bounds are the extremes of that seed's union, so a
//! method that finds far-out points (uniform samples do) moves the box in
//! its own favour, and adding a method to a table changes every other
//! method's figure. Normalised over the whole space instead, the box and
//! the reference point are fixed before any method runs, and a method's
//! figure is its share of the best any method could reach.

use crate::OptimizerError;
use crate::feasibility::is_feasible;
use crate::scoring::Normaliser;
use aellm_space::{Evaluation, Evaluator, Objectives, Scenario, Space};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Every configuration of a space evaluated once: the bounds of all their
/// objectives and the hypervolume of the feasible ones' front.
///
/// ```
/// use aellm_optimizer::experiment::truth::TrueFront;
/// use aellm_space::*;
/// let o = |acc: f64, ms: f64| Objectives { accuracy: acc, latency_ms: ms, memory_gb: 1.0, energy_j: 1.0 };
/// let s = Scenario::new(presets::model("llama-2-7b").unwrap(),
///     presets::task("mmlu").unwrap(), presets::hardware("a100-80gb").unwrap());
/// let t = TrueFront::from_objectives(&[o(0.5, 10.0), o(0.7, 20.0), o(0.4, 30.0)], &s).unwrap();
/// assert_eq!(t.share_of(&[o(0.5, 10.0), o(0.7, 20.0)], &s), 1.0);
/// assert!(t.share_of(&[o(0.7, 20.0)], &s) < 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrueFront {
    /// Bounds of every evaluated configuration's objectives.
    pub norm: Normaliser,
    /// Hypervolume of the feasible configurations in those bounds (reference 1.1).
    pub hypervolume: f64,
    /// Configurations evaluated successfully.
    pub evaluated: usize,
}

impl TrueFront {
    /// Evaluates every configuration of `space` (for `scenario`'s model)
    /// with `evaluator`, side by side on every core. Meant for evaluators
    /// that cost microseconds (the cost model, a replay).
    pub fn evaluate(
        evaluator: &dyn Evaluator,
        scenario: &Scenario,
        space: &Space,
    ) -> Result<Self, OptimizerError> {
        let all = space.for_model(&scenario.model).enumerate();
        let objectives: Vec<Objectives> = all
            .par_iter()
            .filter_map(|c| evaluator.evaluate(c, scenario).ok())
            .map(|m| m.objectives())
            .collect();
        Self::from_objectives(&objectives, scenario).ok_or_else(|| {
            OptimizerError::InvalidParameter {
                name: "true front",
                value: format!("{} configurations, none evaluated", all.len()),
                allowed: "a space and evaluator with at least one successful evaluation".into(),
            }
        })
    }

    /// The true front of these objectives (every configuration's); `None`
    /// when there are none.
    pub fn from_objectives(all: &[Objectives], scenario: &Scenario) -> Option<Self> {
        let norm = Normaliser::fit(all)?;
        let feasible: Vec<Objectives> = all
            .iter()
            .copied()
            .filter(|o| is_feasible(o, scenario))
            .collect();
        Some(TrueFront {
            norm,
            hypervolume: norm.hypervolume(&feasible),
            evaluated: all.len(),
        })
    }

    /// The share of the true front's hypervolume that the feasible members
    /// of `found` reach (1.0: all of it).
    pub fn share_of(&self, found: &[Objectives], scenario: &Scenario) -> f64 {
        let feasible: Vec<Objectives> = found
            .iter()
            .copied()
            .filter(|o| is_feasible(o, scenario))
            .collect();
        self.norm.hypervolume(&feasible) / self.hypervolume
    }

    /// [`TrueFront::share_of`] the successes among `evaluations`.
    pub fn share(&self, evaluations: &[Evaluation], scenario: &Scenario) -> f64 {
        let found: Vec<Objectives> = evaluations
            .iter()
            .filter_map(|e| e.measurement())
            .map(|m| m.objectives())
            .collect();
        self.share_of(&found, scenario)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictor::toy;
    use aellm_space::{Configuration, EvalError, Measurement, Provenance};

    struct Toy;
    impl Evaluator for Toy {
        fn name(&self) -> String {
            "toy".into()
        }
        fn evaluate(&self, c: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            Ok(Measurement::new(
                toy::objectives(c),
                Provenance::Estimated,
                "toy",
            ))
        }
    }

    #[test]
    fn the_whole_space_scores_one_and_a_part_of_it_less() {
        let s = crate::baselines::tests::scenario("llama-2-7b", "a100-80gb");
        let mut space = Space::paper();
        space.ranks = vec![8];
        space.alpha_ratios = vec![2.0];
        let t = TrueFront::evaluate(&Toy, &s, &space).unwrap();
        let all: Vec<Evaluation> = space
            .for_model(&s.model)
            .enumerate()
            .into_iter()
            .map(|c| Evaluation::run(&Toy, c, &s))
            .collect();
        assert_eq!(t.evaluated, all.len());
        assert!((t.share(&all, &s) - 1.0).abs() < 1e-12);
        let half = t.share(&all[..all.len() / 2], &s);
        assert!(half > 0.0 && half <= 1.0, "{half}");
        assert_eq!(t.share(&[], &s), 0.0);
    }
}
