//! Exit codes that scripts can rely on, and how an error becomes one.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done; `aellm optimize` made a recommendation |
//! | 1 | something failed that is not the input's fault (a file system error, a bug) |
//! | 2 | bad input: a scenario, a setting, a path or a study the command cannot use (also clap's code for a bad command line) |
//! | 3 | the run finished but no recommendation could be made (every evaluation failed or was unsupported, or nothing meets the limits) |

use aellm::optimizer::OptimizerError;
use aellm::space::SpaceError;
use std::fmt;

/// Done; a recommendation was made.
pub const OK: u8 = 0;
/// Failed for a reason that is not the input's.
pub const FAILED: u8 = 1;
/// The input cannot be used; the message names it and the fix.
pub const BAD_INPUT: u8 = 2;
/// The run finished without a recommendation; the message says why.
pub const NO_RECOMMENDATION: u8 = 3;

/// The run finished, its report is written, but nothing can be recommended.
#[derive(Debug)]
pub struct NoRecommendation(pub String);

impl fmt::Display for NoRecommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoRecommendation {}

/// An input of the user's that the command cannot use.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// The exit code for an error: the first cause in its chain that says what
/// kind of failure it is decides.
pub fn code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if cause.is::<NoRecommendation>() {
            return NO_RECOMMENDATION;
        }
        if cause.is::<BadInput>() || cause.is::<SpaceError>() {
            return BAD_INPUT;
        }
        if let Some(e) = cause.downcast_ref::<OptimizerError>() {
            return match e {
                OptimizerError::TooFewMeasurements { .. } => NO_RECOMMENDATION,
                OptimizerError::InvalidParameter { .. }
                | OptimizerError::Space(_)
                | OptimizerError::StudyUrl { .. }
                | OptimizerError::ForeignStudy { .. }
                | OptimizerError::NewerStudy { .. } => BAD_INPUT,
                _ => FAILED,
            };
        }
    }
    FAILED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_error_has_its_code() {
        let wrapped = |e: anyhow::Error| e.context("running aellm optimize");
        assert_eq!(
            code(&wrapped(NoRecommendation("none".into()).into())),
            NO_RECOMMENDATION
        );
        assert_eq!(
            code(&wrapped(BadInput("--budget 0".into()).into())),
            BAD_INPUT
        );
        let space = SpaceError::EmptyDimension("attention");
        assert_eq!(code(&wrapped(space.into())), BAD_INPUT);
        let few = OptimizerError::TooFewMeasurements { got: 0, needed: 7 };
        assert_eq!(code(&wrapped(few.into())), NO_RECOMMENDATION);
        let io = std::io::Error::other("disk full");
        assert_eq!(code(&wrapped(io.into())), FAILED);
    }
}
