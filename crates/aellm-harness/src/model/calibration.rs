//! Records the inputs of linear layers while the model runs, for quantization.

use candle_core::{D, Result, Tensor};
use std::collections::BTreeMap;

/// Inputs seen by each group of linear layers, keyed by the group's name
/// (e.g. `layers.0.attn.qkv`), each as rows `[n, in]`.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Recorded batches per group.
    pub inputs: BTreeMap<String, Vec<Tensor>>,
}

impl Recorder {
    /// Records `x [.., in]` for `group`.
    pub fn record(&mut self, group: &str, x: &Tensor) -> Result<()> {
        let width = x.dim(D::Minus1)?;
        let rows = x.detach().reshape(((), width))?;
        self.inputs.entry(group.to_string()).or_default().push(rows);
        Ok(())
    }

    /// Every recorded row of `group`, concatenated `[n, in]`.
    pub fn rows(&self, group: &str) -> Option<Result<Tensor>> {
        let v = self.inputs.get(group)?;
        Some(Tensor::cat(v, 0))
    }
}

/// Records `x` into the recorder when there is one.
pub(crate) fn note(rec: &mut Option<&mut Recorder>, group: &str, x: &Tensor) -> Result<()> {
    match rec {
        Some(r) => r.record(group, x),
        None => Ok(()),
    }
}
