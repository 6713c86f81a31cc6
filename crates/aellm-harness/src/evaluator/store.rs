//! Measurements kept on disk, keyed by (configuration, scenario, harness
//! version and options), so a repeated evaluation is read, not re-run.

use aellm_space::{EvalError, Measurement};
use std::path::{Path, PathBuf};

/// A directory of JSON files, one per key.
#[derive(Debug, Clone)]
pub struct MeasurementStore {
    dir: PathBuf,
}

impl MeasurementStore {
    /// A store under `dir` (created on first write).
    pub fn new(dir: impl AsRef<Path>) -> Self {
        MeasurementStore {
            dir: dir.as_ref().to_path_buf(),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        let h = blake3::hash(key.as_bytes()).to_hex();
        self.dir.join(format!("{}.json", &h[..32]))
    }

    /// The stored outcome for `key`, if any (an unreadable file counts as
    /// absent, and so does a passing failure an older harness stored).
    pub fn get(&self, key: &str) -> Option<Result<Measurement, EvalError>> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        let outcome: Result<Measurement, EvalError> = serde_json::from_str(&text).ok()?;
        keep(&outcome).then_some(outcome)
    }

    /// Stores an outcome that would come out the same again (a measurement,
    /// an invalid or unsupported configuration); a passing failure is not
    /// stored, so the next evaluation retries it. Failures to write are
    /// logged, not fatal.
    pub fn put(&self, key: &str, outcome: &Result<Measurement, EvalError>) {
        if !keep(outcome) {
            return;
        }
        let path = self.path(key);
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let tmp = path.with_extension("tmp");
            std::fs::write(
                &tmp,
                serde_json::to_string_pretty(outcome).unwrap_or_default(),
            )?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!("cannot store measurement in {}: {e}", path.display());
        }
    }
}

/// Whether an outcome may be cached: only what would come out the same again.
fn keep(outcome: &Result<Measurement, EvalError>) -> bool {
    outcome
        .as_ref()
        .err()
        .is_none_or(EvalError::is_deterministic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::{Objectives, Provenance};

    #[test]
    fn only_outcomes_that_would_repeat_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = MeasurementStore::new(dir.path());
        let o = Objectives {
            accuracy: 0.5,
            latency_ms: 1.0,
            memory_gb: 1.0,
            energy_j: 1.0,
        };
        let measured = Ok(Measurement::new(o, Provenance::Measured, "t"));
        let unsupported = Err(EvalError::Unsupported {
            evaluator: "t".into(),
            reason: "no MLA for this model".into(),
        });
        let out_of_memory = Err(EvalError::Failed {
            reason: "out of memory".into(),
        });
        store.put("a", &measured);
        store.put("b", &unsupported);
        store.put("c", &out_of_memory);
        assert_eq!(store.get("a"), Some(measured));
        assert_eq!(store.get("b"), Some(unsupported));
        assert_eq!(store.get("c"), None, "a passing failure is retried");
        // One an older harness stored is not served either.
        std::fs::write(
            store.path("d"),
            serde_json::to_string(&out_of_memory).unwrap(),
        )
        .unwrap();
        assert_eq!(store.get("d"), None);
    }
}
