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
    /// Runtime divisor of the input (an inference-time activation scale that
    /// could not be folded into a norm, e.g. per MoE expert).
    pub input_scale: Option<Tensor>,
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
            input_scale: None,
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
        let scaled;
        let x = match &self.input_scale {
            Some(s) => {
                scaled = x.broadcast_div(s)?;
                &scaled
            }
            None => x,
        };
        let h = (candle_nn::ops::silu(&self.gate.forward(x)?)? * self.up.forward(x)?)?;
        note(&mut rec, &format!("{}.down", self.name), &h)?;
        self.down.forward(&h)
    }
}
