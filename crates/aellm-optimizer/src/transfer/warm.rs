//! Warm-starting the optimizer's surrogates from a study of another model.

use super::TransferParams;
use crate::OptimizerError;
use crate::surrogates::ObjectiveSurrogates;
use aellm_space::{Configuration, Objectives, Scenario};
use aellm_surrogate::GbdtParams;

/// Surrogates fitted on another model's measurements (the source: a smaller
/// model, the same evaluator family), which every search of a run on the
/// target continues on the target's own measurements instead of fitting
/// from scratch. A warm-started run needs only the smallest initial sample
/// the continuation can be fitted on (see [`crate::AeLlmParams::schedule_warm`]),
/// so more of the budget goes to what the surrogates pick.
///
/// ```no_run
/// # use aellm_optimizer::{AeLlm, AeLlmParams, observer::Silent, study::MemoryStudy};
/// # use aellm_optimizer::transfer::{TransferParams, WarmStart};
/// # use aellm_space::*;
/// # fn f(e: &dyn Evaluator, small: &Scenario, big: &Scenario) -> Result<(), Box<dyn std::error::Error>> {
/// let source = AeLlm::new(AeLlmParams { budget: 100, ..Default::default() })
///     .run(e, small, &Space::paper(), &MemoryStudy::new(), &Silent)?;
/// let warm = WarmStart::from_evaluations(&source.evaluations, small, &TransferParams::default())?;
/// let target = AeLlm::new(AeLlmParams { budget: 20, ..Default::default() })
///     .warm_start(warm)
///     .run(e, big, &Space::paper(), &MemoryStudy::new(), &Silent)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WarmStart {
    source: ObjectiveSurrogates,
    source_model: String,
    continuation: GbdtParams,
    seed: u64,
}

impl WarmStart {
    /// Fits the source surrogates on `data`, measurements of `source`.
    pub fn fit(
        data: &[(Configuration, Objectives)],
        source: &Scenario,
        p: &TransferParams,
    ) -> Result<Self, OptimizerError> {
        Ok(WarmStart {
            source: ObjectiveSurrogates::fit(data, source, &p.source)?,
            source_model: source.model.name.clone(),
            continuation: p.continuation.clone(),
            seed: p.source.seed ^ 0x5eed,
        })
    }

    /// Fits on the successes among a run's (or a study's) evaluations.
    pub fn from_evaluations(
        evaluations: &[aellm_space::Evaluation],
        source: &Scenario,
        p: &TransferParams,
    ) -> Result<Self, OptimizerError> {
        let data: Vec<(Configuration, Objectives)> = crate::build::successes(evaluations)
            .into_iter()
            .map(|(c, m)| (c, m.objectives()))
            .collect();
        Self::fit(&data, source, p)
    }

    /// The source's surrogates continued on the target's measurements.
    pub fn continue_on(
        &self,
        data: &[(Configuration, Objectives)],
        target: &Scenario,
    ) -> Result<ObjectiveSurrogates, OptimizerError> {
        self.source
            .continue_on(data, target, &self.continuation, self.seed)
    }

    /// "120 evaluations of llama-2-7b" (measured or predicted, as the
    /// source's evaluator gave them).
    pub fn provenance(&self) -> String {
        format!(
            "{} evaluations of {}",
            self.source.n_train(),
            self.source_model
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::PhaseObserver;
    use crate::predictor::toy;
    use crate::surrogates::SurrogateParams;
    use crate::{AeLlm, AeLlmParams, study::MemoryStudy};
    use aellm_space::{EvalError, Evaluator, Measurement, Provenance, Space};
    use rand::SeedableRng;
    use std::sync::Mutex;

    fn scenario(model: &str) -> Scenario {
        crate::baselines::tests::scenario(model, "a100-80gb")
    }

    /// The toy objectives of a model `scale` times as slow and as big.
    fn scaled(c: &Configuration, scale: f64) -> Objectives {
        let o = toy::objectives(c);
        Objectives {
            accuracy: o.accuracy - 0.05,
            latency_ms: o.latency_ms * scale,
            memory_gb: o.memory_gb * scale,
            energy_j: o.energy_j * scale,
        }
    }

    fn small_params() -> TransferParams {
        TransferParams {
            source: SurrogateParams {
                member: GbdtParams::ae_llm().n_trees(120).max_depth(4),
                n_members: 4,
                seed: 3,
            },
            ..TransferParams::default()
        }
    }

    fn median_latency_error(s: &ObjectiveSurrogates, test: &[Configuration]) -> f64 {
        use crate::predictor::Predictor;
        let mut e: Vec<f64> = s
            .predict(test)
            .iter()
            .zip(test)
            .map(|(p, c)| (p.mean.latency_ms / scaled(c, 4.0).latency_ms - 1.0).abs())
            .collect();
        e.sort_by(f64::total_cmp);
        e[e.len() / 2]
    }

    #[test]
    fn five_rows_of_a_bigger_model_correct_what_the_smaller_one_taught() {
        let space = Space::paper();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let sample = |n, rng: &mut rand_chacha::ChaCha8Rng| space.sample_n(n, rng).unwrap();
        let (small, big) = (scenario("llama-2-7b"), scenario("llama-2-70b"));
        let source: Vec<_> = sample(150, &mut rng)
            .into_iter()
            .map(|c| (c, toy::objectives(&c)))
            .collect();
        let target: Vec<_> = sample(5, &mut rng)
            .into_iter()
            .map(|c| (c, scaled(&c, 4.0)))
            .collect();
        let test = sample(200, &mut rng);
        let p = small_params();
        let warm = WarmStart::fit(&source, &small, &p).unwrap();
        let continued = warm.continue_on(&target, &big).unwrap();
        let cold = ObjectiveSurrogates::fit(&target, &big, &p.source).unwrap();
        let (w, c) = (
            median_latency_error(&continued, &test),
            median_latency_error(&cold, &test),
        );
        // The source alone is 4x off (75%); continued, it keeps the source's
        // shape and learns the scale.
        assert!(w < 0.15 && w < c / 2.0, "warm {w}, cold {c}");
        assert_eq!(continued.n_train(), 155);
        assert_eq!(warm.provenance(), "150 evaluations of llama-2-7b");
        assert!(warm.continue_on(&target[..4], &big).is_err());
    }

    struct Scaled;
    impl Evaluator for Scaled {
        fn name(&self) -> String {
            "scaled toy".into()
        }
        fn evaluate(&self, c: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            Ok(Measurement::new(
                scaled(c, 4.0),
                Provenance::Estimated,
                self.name(),
            ))
        }
    }

    #[derive(Default)]
    struct Phases(Mutex<Vec<(String, u64)>>);
    impl PhaseObserver for Phases {
        fn phase_started(&self, name: &str, steps: u64) {
            self.0.lock().unwrap().push((name.into(), steps));
        }
    }

    #[test]
    fn a_warm_run_samples_only_what_the_continuation_needs() {
        let space = Space::paper();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let source: Vec<_> = space
            .sample_n(60, &mut rng)
            .unwrap()
            .into_iter()
            .map(|c| (c, toy::objectives(&c)))
            .collect();
        let warm = WarmStart::fit(&source, &scenario("llama-2-7b"), &small_params()).unwrap();
        let mut params = AeLlmParams {
            budget: 15,
            ..Default::default()
        };
        params.search.population = 20;
        params.search.generations = 4;
        let phases = Phases::default();
        let r = AeLlm::new(params)
            .warm_start(warm)
            .run(
                &Scaled,
                &scenario("llama-2-70b"),
                &space,
                &MemoryStudy::new(),
                &phases,
            )
            .unwrap();
        assert_eq!(r.evaluations.len(), 15);
        let phases = phases.0.into_inner().unwrap();
        assert_eq!(phases[0], ("initial sample".to_string(), 5));
        assert!(phases.iter().any(|(n, _)| n == "first surrogate batch"));
    }
}
