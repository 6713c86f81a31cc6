//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong when configuring or driving the engine.
///
/// Each message names the offending input and says how to fix it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Nsga2Error {
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid and what would be valid.
        reason: String,
    },
    /// Points, bounds or reference points disagree on their number of dimensions.
    #[error(
        "{what} has {got} dimensions but {expected} were expected; give every point and the reference point the same number of objectives"
    )]
    DimensionMismatch {
        /// What was being checked.
        what: &'static str,
        /// The dimension expected.
        expected: usize,
        /// The dimension found.
        got: usize,
    },
    /// An evaluation returned the wrong number of objectives or constraints.
    #[error(
        "evaluation {index} returned {got} {what} but the problem declares {expected}; return exactly {expected}"
    )]
    EvaluationShape {
        /// Position of the evaluation in its batch.
        index: usize,
        /// `"objectives"` or `"constraints"`.
        what: &'static str,
        /// Number declared by the problem.
        expected: usize,
        /// Number returned.
        got: usize,
    },
    /// An evaluation or a point contains NaN or an infinity.
    #[error(
        "{what} {index} contains a non-finite value (NaN or infinity); return finite numbers only"
    )]
    NonFinite {
        /// What held the value (`"evaluation"`, `"point"`).
        what: &'static str,
        /// Its position.
        index: usize,
    },
    /// `tell` was given a different number of evaluations than `ask` handed out.
    #[error(
        "tell() received {got} evaluations but ask() handed out {expected} genomes; evaluate every asked genome, in the order given"
    )]
    EvaluationCount {
        /// Number of genomes asked.
        expected: usize,
        /// Number of evaluations told.
        got: usize,
    },
    /// `tell` was called with no outstanding `ask`.
    #[error("tell() was called without a pending ask(); call ask() first")]
    TellWithoutAsk,
    /// `ask` was called twice without `tell` in between.
    #[error(
        "ask() was called again before tell(); tell the evaluations of the previous batch first"
    )]
    AskPending,
    /// The sampling operator produced no genomes.
    #[error("the sampling operator returned no genomes; it must return at least one")]
    EmptySample,
    /// No termination criterion was given, so a run would never stop.
    #[error(
        "no termination criterion set; use Termination::generations, ::evaluations, ::time or ::hypervolume_stall"
    )]
    NoTermination,
}

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, Nsga2Error>;
