//! How a run's front grows with its evaluations: the measure behind
//! "evaluations to reach a hypervolume" (transfer's claim of fewer
//! evaluations, the narrowed space's share at a fifth of them).

use crate::feasibility::is_feasible;
use crate::scoring::Normaliser;
use aellm_space::{Evaluation, Objectives, Scenario};

/// The hypervolume (in `norm`'s bounds, reference 1.1) of the feasible
/// successes among the first k evaluations, for k = 1..=n, in the order
/// the run made them. Failures and configurations over the scenario's
/// limits add nothing; the curve never falls.
///
/// ```
/// use aellm_optimizer::experiment::progress::{hypervolume_by_evaluation, evaluations_to_reach};
/// use aellm_optimizer::scoring::Normaliser;
/// use aellm_space::*;
/// let s = Scenario::new(presets::model("llama-2-7b").unwrap(),
///     presets::task("mmlu").unwrap(), presets::hardware("a100-80gb").unwrap());
/// let at = |acc: f64, ms: f64| Evaluation {
///     configuration: Configuration::default(),
///     outcome: Ok(Measurement::new(Objectives { accuracy: acc, latency_ms: ms,
///         memory_gb: 10.0, energy_j: 1.0 }, Provenance::Estimated, "by hand")),
/// };
/// let run = [at(0.5, 20.0), at(0.6, 20.0), at(0.6, 10.0)];
/// let objectives: Vec<Objectives> = run.iter().filter_map(|e| e.measurement()).map(|m| m.objectives()).collect();
/// let norm = Normaliser::fit(&objectives).unwrap();
/// let curve = hypervolume_by_evaluation(&run, &s, &norm);
/// assert!(curve[0] < curve[1] && curve[1] < curve[2]);
/// assert_eq!(evaluations_to_reach(&curve, curve[1]), Some(2));
/// ```
pub fn hypervolume_by_evaluation(
    evaluations: &[Evaluation],
    scenario: &Scenario,
    norm: &Normaliser,
) -> Vec<f64> {
    let mut kept: Vec<Objectives> = Vec::new();
    let mut last = 0.0;
    evaluations
        .iter()
        .map(|e| {
            let fresh = e
                .measurement()
                .map(|m| m.objectives())
                .filter(|o| is_feasible(o, scenario));
            if let Some(o) = fresh {
                kept.push(o);
                last = norm.hypervolume(&kept);
            }
            last
        })
        .collect()
}

/// The fewest evaluations after which `curve` (from
/// [`hypervolume_by_evaluation`]) reaches `target`, within a relative
/// tolerance of 1e-9 (so a run reaches its own final figure); `None` if it
/// never does.
pub fn evaluations_to_reach(curve: &[f64], target: f64) -> Option<usize> {
    let tol = 1e-9 * target.abs().max(1e-12);
    curve.iter().position(|h| *h >= target - tol).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::{Configuration, EvalError, Measurement, Provenance};

    fn scenario() -> Scenario {
        crate::baselines::tests::scenario("llama-2-7b", "a100-80gb")
    }

    fn ok(accuracy: f64, memory_gb: f64) -> Evaluation {
        Evaluation {
            configuration: Configuration::default(),
            outcome: Ok(Measurement::new(
                Objectives {
                    accuracy,
                    latency_ms: 10.0,
                    memory_gb,
                    energy_j: 1.0,
                },
                Provenance::Estimated,
                "test",
            )),
        }
    }

    #[test]
    fn failures_and_configurations_over_the_limits_add_nothing() {
        let s = scenario();
        let over = s.hardware.memory_gb * 2.0;
        let failed = Evaluation {
            configuration: Configuration::default(),
            outcome: Err(EvalError::Failed {
                reason: "test".into(),
            }),
        };
        let run = [ok(0.5, 10.0), failed, ok(0.9, over), ok(0.6, 12.0)];
        let all: Vec<Objectives> = run
            .iter()
            .filter_map(|e| e.measurement())
            .map(|m| m.objectives())
            .collect();
        let norm = Normaliser::fit(&all).unwrap();
        let c = hypervolume_by_evaluation(&run, &s, &norm);
        assert_eq!(c.len(), 4);
        assert!(c[0] > 0.0);
        assert_eq!((c[1], c[2]), (c[0], c[0]));
        assert!(c[3] > c[2]);
        assert_eq!(evaluations_to_reach(&c, c[3]), Some(4));
        assert_eq!(evaluations_to_reach(&c, c[3] * 1.01), None);
        assert_eq!(evaluations_to_reach(&c, 0.0), Some(1));
    }
}
