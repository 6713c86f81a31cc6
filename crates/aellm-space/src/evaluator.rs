//! The `Evaluator` trait: how a configuration gets its figures.

use crate::{Configuration, EvalError, Measurement, Scenario};
use serde::{Deserialize, Serialize};

/// Measures (or estimates) one configuration in one scenario.
///
/// The optimizer talks to measurement only through this trait, so anything
/// that can produce figures can be plugged in: the candle harness, a cluster
/// job, an external benchmark command, a recorded table.
///
/// ```
/// use aellm_space::*;
///
/// /// Looks figures up in a table a user recorded earlier.
/// struct Recorded(Vec<(Configuration, Objectives)>);
///
/// impl Evaluator for Recorded {
///     fn name(&self) -> String { "recorded".into() }
///     fn evaluate(&self, c: &Configuration, _s: &Scenario) -> Result<Measurement, EvalError> {
///         self.0.iter().find(|(k, _)| k == c)
///             .map(|(_, o)| Measurement::new(*o, Provenance::Measured, self.name()))
///             .ok_or_else(|| EvalError::Unsupported { evaluator: self.name(), reason: format!("{c} was not recorded") })
///     }
/// }
///
/// let o = Objectives { accuracy: 0.6, latency_ms: 900.0, memory_gb: 14.0, energy_j: 300.0 };
/// let e = Recorded(vec![(Configuration::default(), o)]);
/// let s = Scenario::new(presets::model("llama-2-7b").unwrap(), presets::task("mmlu").unwrap(),
///                       presets::hardware("h100-sxm").unwrap());
/// let results = e.evaluate_batch(&[Configuration::default()], &s);
/// assert_eq!(results[0].as_ref().unwrap().objectives(), o);
/// ```
pub trait Evaluator: Send + Sync {
    /// A short name, recorded with every measurement and used in cache keys.
    fn name(&self) -> String;

    /// Evaluates one configuration.
    fn evaluate(
        &self,
        configuration: &Configuration,
        scenario: &Scenario,
    ) -> Result<Measurement, EvalError>;

    /// Evaluates several; the default calls [`Evaluator::evaluate`] in order.
    /// Evaluators that can run in parallel or remotely override it.
    fn evaluate_batch(
        &self,
        configurations: &[Configuration],
        scenario: &Scenario,
    ) -> Vec<Result<Measurement, EvalError>> {
        configurations
            .iter()
            .map(|c| self.evaluate(c, scenario))
            .collect()
    }

    /// How many evaluations may run at once. The default, 1, suits
    /// evaluators that time work on this machine, where runs side by side
    /// would distort each other's latency and energy; evaluators that look
    /// figures up or measure on other machines return more.
    fn parallelism(&self) -> usize {
        1
    }
}

// Forward through references and smart pointers so `&dyn Evaluator`,
// `Box<dyn Evaluator>` and `Arc<dyn Evaluator>` work wherever an evaluator does.
macro_rules! forward_evaluator {
    ($($ptr:ty),*) => {$(
        impl<E: Evaluator + ?Sized> Evaluator for $ptr {
            fn name(&self) -> String {
                (**self).name()
            }
            fn evaluate(&self, c: &Configuration, s: &Scenario) -> Result<Measurement, EvalError> {
                (**self).evaluate(c, s)
            }
            fn evaluate_batch(&self, cs: &[Configuration], s: &Scenario) -> Vec<Result<Measurement, EvalError>> {
                (**self).evaluate_batch(cs, s)
            }
            fn parallelism(&self) -> usize {
                (**self).parallelism()
            }
        }
    )*};
}

forward_evaluator!(&E, Box<E>, std::sync::Arc<E>);

/// One evaluation as it is recorded: the configuration and what came of it,
/// a measurement or the error that stopped it. This is what a study stores,
/// so nothing measured, and no failure, is lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The configuration evaluated.
    pub configuration: Configuration,
    /// The measurement, or why there is none.
    pub outcome: Result<Measurement, EvalError>,
}

impl Evaluation {
    /// Evaluates `configuration` with `evaluator` and records the outcome,
    /// checking the configuration's validity first so an invalid one is a
    /// recorded [`EvalError::Invalid`] rather than a call the evaluator must guard.
    pub fn run<E: Evaluator + ?Sized>(
        evaluator: &E,
        configuration: Configuration,
        scenario: &Scenario,
    ) -> Self {
        let outcome = EvalError::check_valid(&configuration, &scenario.model).and_then(|_| {
            evaluator.evaluate(&configuration, scenario).and_then(|m| {
                m.check().map(|_| m).map_err(|reason| EvalError::Failed {
                    reason: format!(
                        "{} returned an impossible figure: {reason}",
                        evaluator.name()
                    ),
                })
            })
        });
        Evaluation {
            configuration,
            outcome,
        }
    }

    /// The measurement, if the evaluation succeeded.
    pub fn measurement(&self) -> Option<&Measurement> {
        self.outcome.as_ref().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Objectives, Provenance, presets};

    struct Fixed(f64);
    impl Evaluator for Fixed {
        fn name(&self) -> String {
            "fixed".into()
        }
        fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            let o = Objectives {
                accuracy: self.0,
                latency_ms: 1.0,
                memory_gb: 1.0,
                energy_j: 1.0,
            };
            Ok(Measurement::new(o, Provenance::Measured, self.name()))
        }
    }

    fn scenario() -> Scenario {
        Scenario::new(
            presets::model("yi-6b").unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware("h100-sxm").unwrap(),
        )
    }

    #[test]
    fn failures_are_recorded_values_that_survive_serde() {
        let s = scenario();
        // Yi-6B's key/value width is 512, so MLA-512 saves nothing: invalid for this model.
        let mut c = Configuration::default();
        c.architecture.attention = crate::Attention::Mla { latent_dim: 512 };
        let e = Evaluation::run(&Fixed(0.5), c, &s);
        assert!(matches!(e.outcome, Err(EvalError::Invalid { .. })));
        // An evaluator that returns an accuracy above 1 is caught, not stored as data.
        let e2 = Evaluation::run(&Fixed(1.5), Configuration::default(), &s);
        assert!(matches!(e2.outcome, Err(EvalError::Failed { .. })));
        let ok = Evaluation::run(&Fixed(0.5), Configuration::default(), &s);
        for e in [e, e2, ok] {
            let back: Evaluation =
                serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
            assert_eq!(back, e);
        }
    }
}
