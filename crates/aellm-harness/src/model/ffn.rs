//! The SwiGLU feed-forward network (Shazeer 2020).

use super::calibration::{Recorder, note};
use super::groups::{LinearGroup, LinearRole};
use super::linear::{Linear, load_linear};
use crate::checkpoint::names::{FfnProj, Group};
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
    prefix: String,
}

impl SwiGlu {
    /// Loads (or, from a `VarMap`, creates) the projections under `vb`.
    pub fn load(vb: VarBuilder, hidden: usize, ffn: usize) -> Result<Self> {
        let lin = |p: FfnProj, i: usize, o: usize| load_linear(&vb, p.as_str(), i, o);
        Ok(SwiGlu {
            gate: lin(FfnProj::Gate, hidden, ffn)?,
            up: lin(FfnProj::Up, hidden, ffn)?,
            down: lin(FfnProj::Down, ffn, hidden)?,
            prefix: vb.prefix(),
        })
    }

    /// The quantizable linears in their calibration groups: gate and up
    /// read the input (fed by `norm_gain` when a norm alone feeds it), down
    /// the gated hidden.
    pub fn groups<'a>(&'a mut self, norm_gain: Option<&'a mut Tensor>) -> Vec<LinearGroup<'a>> {
        let p = &self.prefix;
        let gate_up = vec![
            (FfnProj::Gate.as_str(), &mut self.gate),
            (FfnProj::Up.as_str(), &mut self.up),
        ];
        let down = vec![(FfnProj::Down.as_str(), &mut self.down)];
        let mut first = LinearGroup::new(Group::GateUp.under(p), p, LinearRole::Ffn, gate_up);
        if let Some(g) = norm_gain {
            first = first.fed_by(g);
        }
        vec![
            first,
            LinearGroup::new(Group::Down.under(p), p, LinearRole::Ffn, down),
        ]
    }

    /// Every linear, for counting.
    pub fn linears(&self) -> [&Linear; 3] {
        [&self.gate, &self.up, &self.down]
    }

    /// The gated hidden `silu(gate(x)) * up(x)`, the down projection's input.
    pub fn hidden(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::silu(&self.gate.forward(x)?)? * self.up.forward(x)?
    }

    /// Its path (`layers.0.ffn`, `layers.0.ffn.experts.1`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Applies the FFN to `x [.., hidden]`.
    pub fn forward(&self, x: &Tensor, mut rec: Option<&mut Recorder>) -> Result<Tensor> {
        note(&mut rec, &Group::GateUp.under(&self.prefix), x)?;
        let h = self.hidden(x)?;
        note(&mut rec, &Group::Down.under(&self.prefix), &h)?;
        self.down.forward(&h)
    }
}
