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
    /// A store another program wrote, or that is not a study: never
    /// overwritten.
    #[error(
        "{location} is not an aellm study ({found}); give a new study path or URL, this one is left untouched"
    )]
    ForeignStudy {
        /// The database path or URL.
        location: String,
        /// What was found there.
        found: String,
    },
    /// A study written by a newer aellm, whose schema this one does not know.
    #[error(
        "{location} has study schema version {version}, newer than the {supported} this aellm knows; use a newer aellm or a new study"
    )]
    NewerStudy {
        /// The database path or URL.
        location: String,
        /// The store's version.
        version: i64,
        /// The newest version this program reads.
        supported: i64,
    },
    /// A study URL that names no store this program has.
    #[error(
        "study `{url}`: {reason}; give a file path (e.g. study.sqlite) or postgres://user@host/db"
    )]
    StudyUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
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
