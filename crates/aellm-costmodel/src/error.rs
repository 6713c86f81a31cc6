//! Errors of the cost model.

use thiserror::Error;

/// What can go wrong predicting or calibrating. Each message names the input and the fix.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CostModelError {
    /// The scenario or configuration cannot be counted (from aellm-space).
    #[error(transparent)]
    Space(#[from] aellm_space::SpaceError),
    /// The hardware lacks a figure the prediction needs.
    #[error("hardware `{hardware}` has no {field}: {fix}")]
    MissingHardwareFigure {
        /// The hardware's name.
        hardware: String,
        /// The missing field.
        field: &'static str,
        /// What to add.
        fix: String,
    },
    /// A calibration file or measurement CSV that cannot be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why, with the line where known.
        message: String,
    },
    /// Too few or inconsistent measurements to fit a calibration.
    #[error("cannot calibrate: {0}")]
    Calibration(String),
    /// An efficiency factor outside its range.
    #[error("efficiency factor `{field}` must be {allowed}, got {value}")]
    BadFactor {
        /// The factor.
        field: &'static str,
        /// Its range.
        allowed: &'static str,
        /// The value given.
        value: f64,
    },
}
