//! Errors of the optimizer crate.

use thiserror::Error;

/// What can stop the optimizer. Evaluation failures are not errors: they are
/// recorded in the study and the search goes on.
#[derive(Debug, Error)]
pub enum OptimizerError {
    /// The study store could not be opened, read or written.
    #[error("study store {location}: {message}")]
    Store {
        /// The database path or description.
        location: String,
        /// What went wrong.
        message: String,
    },
    /// A record in the store that does not parse (written by another version?).
    #[error("study store {location}: record {id} is unreadable ({message}); open a new study file")]
    Corrupt {
        /// The database path or description.
        location: String,
        /// Row id.
        id: i64,
        /// Parser message.
        message: String,
    },
    /// An evaluator panicked instead of returning an `EvalError`.
    #[error(
        "evaluator `{evaluator}` panicked while measuring {configuration}; evaluators must return EvalError for what they cannot measure"
    )]
    EvaluatorPanicked {
        /// The evaluator's name.
        evaluator: String,
        /// The configuration it was measuring.
        configuration: String,
    },
    /// The search engine refused a setting or a batch.
    #[error("search: {0}")]
    Search(#[from] aellm_nsga2::Nsga2Error),
    /// A surrogate could not be fitted.
    #[error("surrogate: {0}")]
    Surrogate(#[from] aellm_surrogate::SurrogateError),
    /// Too few successful measurements to fit surrogates.
    #[error(
        "only {got} successful measurements; the surrogates need at least {needed}: raise the budget or check why evaluations fail (measurements.csv)"
    )]
    TooFewMeasurements {
        /// Successful measurements available.
        got: usize,
        /// Needed.
        needed: usize,
    },
    /// A setting of the method that cannot be used.
    #[error("setting `{name}` = {value} cannot be used: it must be {allowed}")]
    InvalidParameter {
        /// The setting's name.
        name: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// A scenario, space or setting that cannot be used.
    #[error(transparent)]
    Space(#[from] aellm_space::SpaceError),
}
