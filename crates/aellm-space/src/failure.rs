//! Why an evaluation produced no measurement, and which failures would come
//! out the same way again.

use crate::{Configuration, ModelSpec};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why an evaluation produced no measurement. A value the optimizer records
/// next to the configuration, never a panic.
///
/// Invalid and unsupported are properties of the configuration and the
/// evaluator's code, so they repeat ([`EvalError::is_deterministic`]) and are
/// never retried; out of memory, timeout, crashed and other failures may pass
/// next time and are retried up to a limit, each attempt kept
/// ([`EvalError::Attempts`]). Rows written before the classes existed read
/// back as `Failed`.
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EvalError {
    /// The configuration breaks a validity rule.
    #[error("invalid configuration: {reason}")]
    Invalid {
        /// The broken rules.
        reason: String,
    },
    /// This evaluator cannot realise the configuration (a combination it has no code for).
    #[error("unsupported by {evaluator}: {reason}")]
    Unsupported {
        /// The evaluator's name.
        evaluator: String,
        /// What is missing.
        reason: String,
    },
    /// The run needed more memory (host or device) than it could get.
    #[error("out of memory: {reason}")]
    OutOfMemory {
        /// What ran out, as the evaluator said it.
        reason: String,
    },
    /// The run went on past the per-evaluation time limit and was abandoned.
    #[error("timed out after {limit_s} s: {reason}")]
    Timeout {
        /// The limit, in seconds.
        limit_s: f64,
        /// What was running.
        reason: String,
    },
    /// The evaluator panicked, or the worker running it died.
    #[error("crashed: {reason}")]
    Crashed {
        /// The panic's message, or how the worker was lost.
        reason: String,
    },
    /// Any other failure of the run itself (a numerical failure, an
    /// impossible figure, an I/O error, …).
    #[error("evaluation failed: {reason}")]
    Failed {
        /// What went wrong.
        reason: String,
    },
    /// Every attempt at a configuration, oldest first, when more than one
    /// was made; each failed in a way that may pass, and the last is the latest.
    #[error("{}", list(.attempts))]
    Attempts {
        /// Each attempt's error (none of them itself `Attempts`).
        attempts: Vec<EvalError>,
    },
}

/// The class of a failure, without its message: what a report counts and
/// what decides whether it is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// [`EvalError::Invalid`].
    Invalid,
    /// [`EvalError::Unsupported`].
    Unsupported,
    /// [`EvalError::OutOfMemory`].
    OutOfMemory,
    /// [`EvalError::Timeout`].
    Timeout,
    /// [`EvalError::Crashed`].
    Crashed,
    /// [`EvalError::Failed`].
    Failed,
}

impl FailureClass {
    /// Every class, in the order reports list them.
    pub const ALL: [FailureClass; 6] = [
        FailureClass::Invalid,
        FailureClass::Unsupported,
        FailureClass::OutOfMemory,
        FailureClass::Timeout,
        FailureClass::Crashed,
        FailureClass::Failed,
    ];

    /// The class's name as stored (`out_of_memory`, …).
    pub fn name(self) -> &'static str {
        match self {
            FailureClass::Invalid => "invalid",
            FailureClass::Unsupported => "unsupported",
            FailureClass::OutOfMemory => "out_of_memory",
            FailureClass::Timeout => "timeout",
            FailureClass::Crashed => "crashed",
            FailureClass::Failed => "failed",
        }
    }
}

impl std::fmt::Display for FailureClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn list(attempts: &[EvalError]) -> String {
    let each = attempts
        .iter()
        .enumerate()
        .map(|(i, e)| format!("[{}] {e}", i + 1))
        .collect::<Vec<_>>()
        .join("; ");
    match attempts.len() {
        1 => format!("1 attempt failed: {each}"),
        n => format!("{n} attempts failed: {each}"),
    }
}

/// Phrases with which allocators, the operating system and GPU runtimes
/// report exhausted memory (lower case).
const OUT_OF_MEMORY: &[&str] = &[
    "out of memory",
    "out_of_memory",
    "cannot allocate memory",
    "memory allocation of",
    "failed to allocate",
    "oom",
];

impl EvalError {
    /// The class of this failure (of the latest attempt, for [`EvalError::Attempts`]).
    pub fn class(&self) -> FailureClass {
        match self {
            EvalError::Invalid { .. } => FailureClass::Invalid,
            EvalError::Unsupported { .. } => FailureClass::Unsupported,
            EvalError::OutOfMemory { .. } => FailureClass::OutOfMemory,
            EvalError::Timeout { .. } => FailureClass::Timeout,
            EvalError::Crashed { .. } => FailureClass::Crashed,
            EvalError::Failed { .. } => FailureClass::Failed,
            EvalError::Attempts { attempts } => attempts
                .last()
                .map_or(FailureClass::Failed, EvalError::class),
        }
    }

    /// Whether the same evaluation would fail the same way again: an invalid
    /// configuration or one the evaluator has no code for. Out of memory
    /// (because something else ran), a timeout, a crash or another failure
    /// may pass next time, so caches must not keep them and they are retried.
    pub fn is_deterministic(&self) -> bool {
        matches!(
            self.class(),
            FailureClass::Invalid | FailureClass::Unsupported
        )
    }

    /// How many attempts this error records (1 unless [`EvalError::Attempts`]).
    pub fn attempts(&self) -> usize {
        match self {
            EvalError::Attempts { attempts } => attempts.len().max(1),
            _ => 1,
        }
    }

    /// This error followed by a later attempt's: one flat
    /// [`EvalError::Attempts`], oldest first.
    pub fn then(self, later: EvalError) -> EvalError {
        let mut attempts = self.into_attempts();
        attempts.extend(later.into_attempts());
        EvalError::Attempts { attempts }
    }

    fn into_attempts(self) -> Vec<EvalError> {
        match self {
            EvalError::Attempts { attempts } => attempts,
            e => vec![e],
        }
    }

    /// A failure known only by its message (an error from a library, a job's
    /// output): [`EvalError::OutOfMemory`] when the message says memory ran
    /// out, otherwise [`EvalError::Failed`].
    pub fn from_message(reason: impl Into<String>) -> EvalError {
        let reason = reason.into();
        let lower = reason.to_lowercase();
        let oom = OUT_OF_MEMORY.iter().any(|p| {
            // "oom" only as a word, not inside "room" or "zoom".
            if *p == "oom" {
                lower
                    .split(|ch: char| !ch.is_ascii_alphanumeric())
                    .any(|w| w == "oom")
            } else {
                lower.contains(p)
            }
        });
        if oom {
            EvalError::OutOfMemory { reason }
        } else {
            EvalError::Failed { reason }
        }
    }

    /// `Ok` when `configuration` is valid for `model`, otherwise
    /// [`EvalError::Invalid`] naming every broken rule: the check
    /// [`Evaluation::run`](crate::Evaluation::run) makes, for evaluators called directly.
    pub fn check_valid(configuration: &Configuration, model: &ModelSpec) -> Result<(), EvalError> {
        let broken = configuration.validate_for(model);
        if broken.is_empty() {
            return Ok(());
        }
        Err(EvalError::Invalid {
            reason: broken
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_class() -> Vec<EvalError> {
        vec![
            EvalError::Invalid { reason: "r".into() },
            EvalError::Unsupported {
                evaluator: "e".into(),
                reason: "r".into(),
            },
            EvalError::OutOfMemory { reason: "r".into() },
            EvalError::Timeout {
                limit_s: 2.5,
                reason: "r".into(),
            },
            EvalError::Crashed { reason: "r".into() },
            EvalError::Failed { reason: "r".into() },
        ]
    }

    #[test]
    fn only_invalid_and_unsupported_are_deterministic() {
        let classes: Vec<(FailureClass, bool)> = every_class()
            .iter()
            .map(|e| (e.class(), e.is_deterministic()))
            .collect();
        assert_eq!(
            classes,
            FailureClass::ALL
                .iter()
                .map(|c| (
                    *c,
                    matches!(c, FailureClass::Invalid | FailureClass::Unsupported)
                ))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn attempts_stay_flat_keep_every_error_and_take_the_latest_class() {
        let oom = EvalError::OutOfMemory { reason: "a".into() };
        let timeout = EvalError::Timeout {
            limit_s: 1.0,
            reason: "b".into(),
        };
        let crash = EvalError::Crashed { reason: "c".into() };
        let all = oom.clone().then(timeout.clone()).then(crash.clone());
        assert_eq!(
            all,
            EvalError::Attempts {
                attempts: vec![oom, timeout, crash]
            }
        );
        assert_eq!(all.attempts(), 3);
        assert_eq!(all.class(), FailureClass::Crashed);
        assert!(!all.is_deterministic());
        let text = all.to_string();
        assert!(
            text.starts_with("3 attempts failed: [1] out of memory: a; [2] timed out after 1 s: b; [3] crashed: c"),
            "{text}"
        );
    }

    #[test]
    fn every_class_survives_serde_and_old_failed_rows_still_read() {
        let mut all = every_class();
        all.push(all[2].clone().then(all[3].clone()));
        for e in all {
            let back: EvalError =
                serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
            assert_eq!(back, e);
        }
        // What studies stored before the classes existed.
        let old: EvalError =
            serde_json::from_str(r#"{"kind":"failed","reason":"CUDA out of memory"}"#).unwrap();
        assert_eq!(old.class(), FailureClass::Failed);
        assert_eq!(
            serde_json::to_string(&old).unwrap(),
            r#"{"kind":"failed","reason":"CUDA out of memory"}"#
        );
    }

    #[test]
    fn messages_that_say_memory_ran_out_are_out_of_memory() {
        for m in [
            "DriverError(CUDA_ERROR_OUT_OF_MEMORY, \"out of memory\")",
            "memory allocation of 4294967296 bytes failed",
            "Cannot allocate memory (os error 12)",
            "killed by the OOM killer",
        ] {
            assert_eq!(
                EvalError::from_message(m).class(),
                FailureClass::OutOfMemory,
                "{m}"
            );
        }
        for m in ["shape mismatch in matmul", "no room for zoom", "NaN loss"] {
            assert_eq!(
                EvalError::from_message(m).class(),
                FailureClass::Failed,
                "{m}"
            );
        }
    }
}
