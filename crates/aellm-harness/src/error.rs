//! Errors of the harness.

use crate::quant::QuantError;
use thiserror::Error;

/// Everything that can go wrong building, training or measuring a model.
/// Each message names the input and, where there is one, the fix.
#[derive(Debug, Error)]
pub enum HarnessError {
    /// A candle operation failed (shape mismatch, out of memory, …).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A model shape or option that the harness cannot build.
    #[error("invalid model or option: {0}")]
    Invalid(String),
    /// A combination the harness has no code for.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Training diverged or produced non-finite values.
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// Weight quantization of a calibration group failed.
    #[error("quantizing {group}: {source}")]
    Quant {
        /// The calibration group (`layers.0.attn.qkv`) or layer.
        group: String,
        /// What the quantizer said.
        source: QuantError,
    },
}

impl HarnessError {
    /// An I/O error with the path it concerns.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        HarnessError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// Result with [`HarnessError`].
pub type Result<T> = std::result::Result<T, HarnessError>;
