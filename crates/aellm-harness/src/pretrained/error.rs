//! Errors of checkpoint loading: each names the file or field and the fix.

use thiserror::Error;

/// What can go wrong reading a pretrained checkpoint, its tokenizer or the
/// project's real-text and multiple-choice data.
#[derive(Debug, Error)]
pub enum PretrainedError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file was read but its content is not what the format says.
    #[error("{path}: {why}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong and, where there is one, the fix.
        why: String,
    },
    /// A field of the checkpoint's description is missing or out of range.
    #[error("{path}: field `{field}`: {why}")]
    Field {
        /// The file that should hold it.
        path: String,
        /// The field (a config.json key or a GGUF metadata key).
        field: String,
        /// What is wrong and the fix.
        why: String,
    },
    /// The checkpoint is valid but of a kind the harness has no code for.
    #[error("unsupported checkpoint {path}: {why}")]
    Unsupported {
        /// The file or folder.
        path: String,
        /// What it would need.
        why: String,
    },
    /// A model name or path that resolves to nothing on this machine.
    #[error("model `{model}` not found: {why}")]
    NotFound {
        /// The name or path the user gave.
        model: String,
        /// Where it was looked for and how to get it.
        why: String,
    },
    /// The model does not fit in this machine's memory.
    #[error(
        "model `{model}` needs about {need_bytes} bytes ({need_gib:.2} GiB) as dense f32 weights, \
         but this machine has {available_bytes} bytes ({available_gib:.2} GiB) available; \
         use a smaller model or a machine with more memory"
    )]
    TooLarge {
        /// The model.
        model: String,
        /// Bytes its dense weights need.
        need_bytes: u64,
        /// The same in GiB.
        need_gib: f64,
        /// Bytes available on this machine.
        available_bytes: u64,
        /// The same in GiB.
        available_gib: f64,
    },
    /// The tokenizer could not be built or failed on a text.
    #[error("tokenizer of {path}: {why}")]
    Tokenizer {
        /// The checkpoint whose tokenizer it is.
        path: String,
        /// The `tokenizers` crate's message.
        why: String,
    },
    /// A candle operation failed (reading or dequantizing a tensor).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

impl PretrainedError {
    /// An I/O error with the path it concerns.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        PretrainedError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// A format error about `path`.
    pub fn format(path: impl AsRef<std::path::Path>, why: impl Into<String>) -> Self {
        PretrainedError::Format {
            path: path.as_ref().display().to_string(),
            why: why.into(),
        }
    }

    /// A missing or bad field of `path`.
    pub fn field(path: impl AsRef<std::path::Path>, field: &str, why: impl Into<String>) -> Self {
        PretrainedError::Field {
            path: path.as_ref().display().to_string(),
            field: field.to_string(),
            why: why.into(),
        }
    }

    /// A checkpoint of a kind the harness cannot run.
    pub fn unsupported(path: impl AsRef<std::path::Path>, why: impl Into<String>) -> Self {
        PretrainedError::Unsupported {
            path: path.as_ref().display().to_string(),
            why: why.into(),
        }
    }
}

/// The harness's own error keeps the message (and the I/O error's kind).
impl From<PretrainedError> for crate::HarnessError {
    fn from(e: PretrainedError) -> Self {
        match e {
            PretrainedError::Io { path, source } => crate::HarnessError::Io { path, source },
            PretrainedError::Candle(e) => crate::HarnessError::Candle(e),
            PretrainedError::Unsupported { .. } => crate::HarnessError::Unsupported(e.to_string()),
            other => crate::HarnessError::Invalid(other.to_string()),
        }
    }
}

/// Result with [`PretrainedError`].
pub type Result<T> = std::result::Result<T, PretrainedError>;
