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

    /// The stored outcome for `key`, if any (an unreadable file counts as absent).
    pub fn get(&self, key: &str) -> Option<Result<Measurement, EvalError>> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Stores an outcome; failures to write are logged, not fatal.
    pub fn put(&self, key: &str, outcome: &Result<Measurement, EvalError>) {
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
