//! Converted and fine-tuned weights kept on disk, keyed by (model,
//! architecture, fine-tuning, and how the fine-tune ran), so configurations
//! that differ only in their inference stage skip the conversion and the
//! fine-tune. Weights are stored as they were in memory (f32), so a cached
//! evaluation measures the very same model.

use crate::checkpoint::{self, Weights};
use crate::finetune::FinetuneReport;
use crate::model::ModelConfig;
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What is stored beside the weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TunedEntry {
    /// The converted model's shape.
    pub config: ModelConfig,
    /// What the fine-tune did when it ran.
    pub report: FinetuneReport,
    /// Seconds the conversion and fine-tune took when they ran.
    pub seconds: f64,
}

/// A directory of `<hash>.safetensors` + `<hash>.json` pairs.
#[derive(Debug, Clone)]
pub(crate) struct TunedStore {
    dir: PathBuf,
}

impl TunedStore {
    /// A store under `dir` (created on first write).
    pub fn new(dir: impl AsRef<Path>) -> Self {
        TunedStore {
            dir: dir.as_ref().to_path_buf(),
        }
    }

    fn paths(&self, key: &str) -> (PathBuf, PathBuf) {
        let h = blake3::hash(key.as_bytes()).to_hex();
        let stem = self.dir.join(&h[..32]);
        (
            stem.with_extension("safetensors"),
            stem.with_extension("json"),
        )
    }

    /// The stored weights for `key` on `device`, if any (unreadable counts as absent).
    pub fn get(&self, key: &str, device: &Device) -> Option<(TunedEntry, Weights)> {
        let (weights, meta) = self.paths(key);
        let entry: TunedEntry = serde_json::from_str(&std::fs::read_to_string(meta).ok()?).ok()?;
        let w = checkpoint::load(&weights, device).ok()?;
        Some((entry, w))
    }

    /// Stores `w` and `entry` under `key`; the metadata is written last, so
    /// a half-written pair is never read. Failures are logged, not fatal.
    pub fn put(&self, key: &str, entry: &TunedEntry, w: &Weights) {
        let (weights, meta) = self.paths(key);
        let write = || -> crate::error::Result<()> {
            std::fs::create_dir_all(&self.dir)
                .map_err(|e| crate::error::HarnessError::io(&self.dir, e))?;
            let tmp = weights.with_extension("tmp");
            checkpoint::save(w, &tmp)?;
            std::fs::rename(&tmp, &weights)
                .map_err(|e| crate::error::HarnessError::io(&weights, e))?;
            let text = serde_json::to_string_pretty(entry).unwrap_or_default();
            std::fs::write(&meta, text).map_err(|e| crate::error::HarnessError::io(&meta, e))
        };
        if let Err(e) = write() {
            tracing::warn!("cannot store tuned weights in {}: {e}", self.dir.display());
        }
    }
}
