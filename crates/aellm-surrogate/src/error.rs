//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong when configuring, fitting or using a surrogate.
#[derive(Debug, Error)]
pub enum SurrogateError {
    /// A hyper-parameter is outside its valid range.
    #[error("invalid hyper-parameter `{name}` = {value}: expected {expected}")]
    InvalidParameter {
        /// The setter's name.
        name: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// The training data has no rows (or no features).
    #[error("the {what} has {rows} rows and {features} features; at least one of each is needed")]
    EmptyData {
        /// Which input was empty (training set, validation set, ...).
        what: &'static str,
        /// Number of rows found.
        rows: usize,
        /// Number of features found.
        features: usize,
    },
    /// A feature or target value is NaN or infinite.
    #[error(
        "the {what} holds a non-finite value at row {row}{}; remove or impute it before fitting",
        column.map(|c| format!(", feature {c}")).unwrap_or_default()
    )]
    NonFinite {
        /// Which input held the value ("features", "targets", ...).
        what: &'static str,
        /// Row index.
        row: usize,
        /// Feature index, when the value is a feature.
        column: Option<usize>,
    },
    /// Data with a different number of features than the model was fitted on.
    #[error(
        "the {what} has {found} features but the model was fitted on {expected}; pass the same feature encoding"
    )]
    FeatureMismatch {
        /// Which input mismatched.
        what: &'static str,
        /// Features the model expects.
        expected: usize,
        /// Features found.
        found: usize,
    },
    /// Too few rows for what was asked (a validation split, a bootstrap, a fold).
    #[error("{what}: {rows} rows are too few, at least {needed} are needed")]
    TooFewRows {
        /// What needed the rows.
        what: &'static str,
        /// Rows available.
        rows: usize,
        /// Rows needed.
        needed: usize,
    },
    /// Targets with more than one column: these models predict one target.
    #[error("targets of shape {shape:?} given; fit one model per target column")]
    TargetShape {
        /// The targets' shape.
        shape: Vec<usize>,
    },
    /// A bundled data file or fold file could not be parsed.
    #[error("cannot parse {file} at line {line}: {reason}")]
    Parse {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// (De)serialising a model failed.
    #[error("model (de)serialisation failed: {0}")]
    Serde(#[from] serde_json::Error),
    /// An error reported by linfa itself.
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, SurrogateError>;

/// Checks that `value` lies in a range, returning a descriptive error otherwise.
pub(crate) fn check_param(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<()> {
    if ok && !value.is_nan() {
        Ok(())
    } else {
        Err(SurrogateError::InvalidParameter {
            name,
            value: value.to_string(),
            expected,
        })
    }
}
