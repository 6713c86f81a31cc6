//! Errors of the space crate.

use thiserror::Error;

/// Everything that can go wrong reading or checking a configuration, a space
/// or a scenario. Each message names the input and the fix.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SpaceError {
    /// A field holds a value that is not allowed.
    #[error("{what}: field `{field}` {why}")]
    InvalidField {
        /// What was being read (a model, a scenario file, …).
        what: String,
        /// The field, as a dotted path.
        field: String,
        /// Why it is wrong and what is allowed.
        why: String,
    },
    /// A preset name that does not exist.
    #[error("unknown {kind} preset `{name}`; known {kind}s: {known}")]
    UnknownPreset {
        /// `model`, `task` or `hardware`.
        kind: &'static str,
        /// The name given.
        name: String,
        /// Every known name, comma-separated.
        known: String,
    },
    /// A text that could not be parsed.
    #[error("cannot parse {source_name}: {message}")]
    Parse {
        /// Which text (a file name or a description).
        source_name: String,
        /// The parser's message, with the field where it failed.
        message: String,
    },
    /// A file that could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A configuration that breaks validity rules.
    #[error("invalid configuration {configuration}: {}", .violations.join("; "))]
    InvalidConfiguration {
        /// The configuration, displayed.
        configuration: String,
        /// Every broken rule, as text.
        violations: Vec<String>,
    },
    /// A feature vector of the wrong length or with values that decode to nothing.
    #[error("cannot decode feature vector: {0}")]
    Decode(String),
    /// A space with a dimension left empty.
    #[error("space dimension `{0}` allows no value: give it at least one")]
    EmptyDimension(&'static str),
}
