//! Fine-tuning cost per step for every method: memory (weights, gradients,
//! optimizer state, activations) and time from FLOPs.

use crate::efficiency::Efficiency;
use aellm_space::footprint::Footprint;
use aellm_space::{FineTuneMethod, HardwareSpec};
use serde::{Deserialize, Serialize};

/// Bytes per trainable element beyond the weight itself under mixed
/// precision: an FP16 gradient (2), AdamW's two f32 moments (8) and an f32
/// master copy (4) (Rajbhandari et al. 2020, ZeRO, section 3.1: 16 bytes
/// per parameter with the FP16 weight).
pub const TRAINABLE_STATE_BYTES: f64 = 2.0 + 8.0 + 4.0;

/// A fine-tuning step's shape.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinetuneRecipe {
    /// Sequences per step.
    pub batch: u64,
    /// Tokens per sequence.
    pub sequence: u64,
}

/// Predicted cost of one fine-tuning step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinetunePrediction {
    /// Elements the optimizer updates.
    pub trainable_parameters: f64,
    /// AdamW's two f32 moments per trainable element, bytes.
    pub optimizer_state_bytes: f64,
    /// Weights held (frozen base in its storage format plus adapters), GB.
    pub weights_gb: f64,
    /// Gradients, AdamW moments and master copies of the trainable elements, GB.
    pub optimizer_gb: f64,
    /// Activations kept for the backward pass, GB.
    pub activations_gb: f64,
    /// Sum, over the node, GB.
    pub peak_gb: f64,
    /// Seconds per step.
    pub seconds_per_step: f64,
}

/// Activation bytes kept per layer for the backward pass without
/// recomputation, FP16: `s b h (34 + 5 a s / h)` (Korthikanti et al. 2022,
/// "Reducing Activation Recomputation in Large Transformer Models", eq. 1).
fn activation_bytes(f: &Footprint, r: &FinetuneRecipe) -> f64 {
    let s = f.shape();
    let (seq, b, h, a) = (
        r.sequence as f64,
        r.batch as f64,
        s.hidden as f64,
        s.heads as f64,
    );
    seq * b * h * (34.0 + 5.0 * a * seq / h) * s.layers as f64
}

/// The cost of one step of the configuration's fine-tuning method.
///
/// Time: FLOPs at the achievable FP16 rate. Full fine-tuning costs 6 FLOPs
/// per active parameter per token (forward 2, backward 4); the LoRA family
/// 4 (the backward still propagates through the frozen weights but computes
/// no weight gradient for them) plus 6 per adapter parameter; QLoRA pays
/// the dequantization overhead on its NF4 base.
pub fn predict(
    f: &Footprint,
    hw: &HardwareSpec,
    e: &Efficiency,
    r: &FinetuneRecipe,
) -> FinetunePrediction {
    let method = f.configuration().fine_tuning.method;
    let trainable = f.trainable_parameters() as f64;
    let weights = f.finetune_weight_bytes();
    let optimizer = trainable * TRAINABLE_STATE_BYTES;
    let act = activation_bytes(f, r);
    let tokens = (r.batch * r.sequence) as f64;
    let active = f.active_parameters() as f64;
    let flops = match method {
        FineTuneMethod::Full => 6.0 * active * tokens,
        _ => (4.0 * active + 6.0 * trainable) * tokens,
    };
    let mut seconds = flops / (hw.peak.fp16 * 1e12 * e.compute);
    if method == FineTuneMethod::Qlora {
        seconds *= 1.0 + e.dequant_overhead;
    }
    let runtime = e.runtime_gb * hw.devices.max(1) as f64;
    FinetunePrediction {
        trainable_parameters: trainable,
        optimizer_state_bytes: f.optimizer_state_bytes(),
        weights_gb: weights / 1e9,
        optimizer_gb: optimizer / 1e9,
        activations_gb: act / 1e9,
        peak_gb: (weights + optimizer + act) / 1e9 + runtime,
        seconds_per_step: seconds,
    }
}
