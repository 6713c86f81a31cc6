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
    /// The evaluation was given up on (it ran past its time limit) and
    /// stopped at the next stage boundary.
    #[error("cancelled: the evaluation ran past its time limit")]
    Cancelled,
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

/// `Err(Cancelled)` once the evaluation running on this thread has been
/// given up on ([`aellm_space::cancel`]): called between stages and runs, so
/// an abandoned evaluation frees the machine soon after its time limit.
pub fn stop_if_cancelled() -> Result<()> {
    if aellm_space::cancel::requested() {
        return Err(HarnessError::Cancelled);
    }
    Ok(())
}

/// Result with [`HarnessError`].
pub type Result<T> = std::result::Result<T, HarnessError>;
