//! The `Evaluator` trait: how a configuration gets its figures.

use crate::{Configuration, Measurement, Scenario};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why an evaluation produced no measurement. A value the optimizer records
/// next to the configuration, never a panic.
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EvalError {
    /// The configuration breaks a validity rule.
    #[error("invalid configuration: {reason}")]
    Invalid {
        /// The broken rules.
        reason: String,
    },
    /// This evaluator cannot realise the configuration (a combination it has no code for).
    #[error("unsupported by {evaluator}: {reason}")]
    Unsupported {
        /// The evaluator's name.
        evaluator: String,
        /// What is missing.
        reason: String,
    },
    /// The run itself failed (out of memory, a numerical failure, a crashed job, …).
    #[error("evaluation failed: {reason}")]
    Failed {
        /// What went wrong.
        reason: String,
    },
}

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
        }
    )*};
}

forward_evaluator!(&E, Box<E>, std::sync::Arc<E>);
