//! A layer's quantizable linears with their calibration groups: what each
//! layer lists once, so quantization, fine-tuning and conversion walk the
//! blocks the same way.

use super::linear::Linear;
use candle_core::Tensor;

/// What a block's linear layer does, for choosing where adapters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LinearRole {
    /// An attention projection (q, k, v, o; MLA's down/up projections).
    Attention,
    /// An FFN projection (gate, up, down; every expert's).
    Ffn,
    /// An MoE router.
    Router,
    /// The LM head.
    Head,
}

/// One linear layer with its checkpoint name less the `.weight` suffix
/// (`layers.0.attn.q`) and its role.
#[derive(Debug)]
pub struct NamedLinear<'a> {
    /// Checkpoint name less `.weight`.
    pub name: String,
    /// What it does.
    pub role: LinearRole,
    /// The layer.
    pub linear: &'a mut Linear,
}

/// Linears that read the same input: quantized together, calibrated on the
/// inputs the [`Recorder`](super::Recorder) keeps under `name`.
#[derive(Debug)]
pub struct LinearGroup<'a> {
    /// The calibration group's name (`layers.0.attn.qkv`).
    pub name: String,
    /// The linears.
    pub linears: Vec<NamedLinear<'a>>,
    /// The gain of the RMSNorm that alone feeds the group, when one does: an
    /// activation scale can be folded into it (AWQ, SmoothQuant).
    pub norm_gain: Option<&'a mut Tensor>,
}

impl<'a> LinearGroup<'a> {
    /// A group of `linears`, each `(segment, layer)` named `{prefix}.{segment}`.
    pub fn new(
        name: String,
        prefix: &str,
        role: LinearRole,
        linears: Vec<(&str, &'a mut Linear)>,
    ) -> Self {
        let linears = linears
            .into_iter()
            .map(|(seg, linear)| NamedLinear {
                name: format!("{prefix}.{seg}"),
                role,
                linear,
            })
            .collect();
        LinearGroup {
            name,
            linears,
            norm_gain: None,
        }
    }

    /// The group with `gain` as the norm that feeds it.
    pub fn fed_by(mut self, gain: &'a mut Tensor) -> Self {
        self.norm_gain = Some(gain);
        self
    }
}
