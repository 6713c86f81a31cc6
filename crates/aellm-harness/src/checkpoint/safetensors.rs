//! Reading and writing [`Weights`] as safetensors.

use super::Weights;
use crate::error::{HarnessError, Result};
use candle_core::Device;
use std::path::Path;

/// Writes `w` as safetensors.
pub fn save(w: &Weights, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HarnessError::io(dir, e))?;
    }
    // Write then rename, so a killed run never leaves a half-written checkpoint.
    let tmp = path.with_extension("tmp");
    candle_core::safetensors::save(w, &tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| HarnessError::io(path, e))
}

/// Reads safetensors written by [`save`].
pub fn load(path: &Path, device: &Device) -> Result<Weights> {
    Ok(candle_core::safetensors::load(path, device)?)
}
