//! What a fine-tune costs: trainable parameters, optimizer state, peak
//! memory and time per step.

use super::train::TrainReport;
use crate::metrics::CountingAllocator;
use crate::model::Transformer;
use aellm_space::footprint::ADAMW_STATE_BYTES_PER_ELEMENT;
use candle_core::{Device, Var};
use serde::{Deserialize, Serialize};

/// Fine-tuning cost figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinetuneCost {
    /// Elements of the variables the optimizer updates.
    pub trainable_parameters: usize,
    /// AdamW state, computed: two f32 moments per trainable element (candle's
    /// `AdamW` holds a first- and a second-moment variable per parameter;
    /// the count is [`aellm_space::footprint::ADAMW_STATE_BYTES_PER_ELEMENT`]).
    pub optimizer_state_bytes: usize,
    /// Bytes of the model's weights as held while training (frozen base in
    /// its storage format, adapters, or every variable for full fine-tuning).
    pub weight_bytes: usize,
    /// Peak memory of the fine-tune: `weight_bytes` plus the counting
    /// allocator's high-water mark above the bytes live when the loop started
    /// (gradients, AdamW moments, activations) when `peak_measured`;
    /// otherwise `weight_bytes` plus a gradient and the two moments per
    /// trainable element (activations not included).
    pub peak_bytes: usize,
    /// Whether `peak_bytes` comes from the counting allocator.
    pub peak_measured: bool,
    /// Wall-clock seconds per optimizer step.
    pub seconds_per_step: f64,
}

/// Started before the training loop, finished after it.
pub(crate) struct Probe {
    trainable: usize,
    weight_bytes: usize,
    live_at_start: Option<usize>,
}

impl Probe {
    pub(crate) fn start(model: &Transformer, vars: &[Var], device: &Device) -> Self {
        // The allocator sees host memory only: on a GPU the peak is estimated.
        let measure = CountingAllocator::installed() && device.is_cpu();
        Probe {
            trainable: vars.iter().map(|v| v.elem_count()).sum(),
            weight_bytes: model.weight_bytes(),
            live_at_start: measure.then(CountingAllocator::reset_peak),
        }
    }

    pub(crate) fn finish(self, train: &TrainReport) -> FinetuneCost {
        let optimizer_state_bytes = self.trainable * ADAMW_STATE_BYTES_PER_ELEMENT as usize;
        let (peak_bytes, peak_measured) = match self.live_at_start {
            Some(live) => (
                self.weight_bytes + CountingAllocator::peak().saturating_sub(live),
                true,
            ),
            None => (
                self.weight_bytes + optimizer_state_bytes + 4 * self.trainable,
                false,
            ),
        };
        FinetuneCost {
            trainable_parameters: self.trainable,
            optimizer_state_bytes,
            weight_bytes: self.weight_bytes,
            peak_bytes,
            peak_measured,
            seconds_per_step: train.seconds / train.steps.max(1) as f64,
        }
    }
}
