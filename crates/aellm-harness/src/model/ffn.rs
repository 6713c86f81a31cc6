//! The SwiGLU feed-forward network (Shazeer 2020).

use super::calibration::{Recorder, note};
use super::linear::Linear;
use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

/// `down(silu(gate(x)) * up(x))`.
#[derive(Debug, Clone)]
pub struct SwiGlu {
    /// Gate projection `[ffn, hidden]`.
    pub gate: Linear,
    /// Up projection `[ffn, hidden]`.
    pub up: Linear,
    /// Down projection `[hidden, ffn]`.
    pub down: Linear,
    name: String,
}

impl SwiGlu {
    /// Builds (or loads) the projections under `vb`.
    pub fn new(vb: VarBuilder, hidden: usize, ffn: usize, name: &str) -> Result<Self> {
        let lin = |o: usize, i: usize, n: &str| {
            candle_nn::linear_no_bias(i, o, vb.pp(n)).map(Linear::Dense)
        };
        Ok(SwiGlu {
            gate: lin(ffn, hidden, "gate")?,
            up: lin(ffn, hidden, "up")?,
            down: lin(hidden, ffn, "down")?,
            name: name.to_string(),
        })
    }

    /// Name of the group of layers fed by the FFN input.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies the FFN to `x [.., hidden]`.
    pub fn forward(&self, x: &Tensor, mut rec: Option<&mut Recorder>) -> Result<Tensor> {
        note(&mut rec, &format!("{}.gate_up", self.name), x)?;
        let h = (candle_nn::ops::silu(&self.gate.forward(x)?)? * self.up.forward(x)?)?;
        note(&mut rec, &format!("{}.down", self.name), &h)?;
        self.down.forward(&h)
    }
}
