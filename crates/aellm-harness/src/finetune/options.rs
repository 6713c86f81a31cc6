//! What the fine-tuning stage trains, and how fast.

use super::train::TrainRecipe;
use aellm_space::FineTuneMethod;
use serde::{Deserialize, Serialize};

/// Which linear layers get adapters (LoRA family): the space's own type,
/// so the footprint's adapter counts and the harness agree on the layers.
pub use aellm_space::footprint::AdapterTargets;

/// Peak learning rate of each adapter method (full fine-tuning uses the
/// recipe's `lr`). Adapters start at `ΔW = 0` and hold few parameters, so
/// they want a larger rate than full fine-tuning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdapterRates {
    /// LoRA.
    pub lora: f64,
    /// RSLoRA.
    pub rslora: f64,
    /// DoRA.
    pub dora: f64,
    /// QLoRA.
    pub qlora: f64,
}

impl Default for AdapterRates {
    /// Chosen on the default small model (60 steps, α = 2r, r = 8 and 32;
    /// `examples/finetune_methods` with `AELLM_ADAPTER_LR` at 2e-3, 5e-3,
    /// 1e-2): 5e-3 suits LoRA, DoRA and QLoRA; RSLoRA's larger scale α/√r
    /// (5.7 at r = 8, 11.3 at r = 32, against LoRA's 2) wants 2e-3.
    fn default() -> Self {
        AdapterRates {
            lora: 5e-3,
            rslora: 2e-3,
            dora: 5e-3,
            qlora: 5e-3,
        }
    }
}

/// Everything the fine-tuning stage needs beside the method.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinetuneOptions {
    /// Steps, batch, weight decay, data order; its `lr` is full fine-tuning's.
    pub recipe: TrainRecipe,
    /// The adapter methods' learning rates.
    pub rates: AdapterRates,
    /// Which layers get adapters.
    pub targets: AdapterTargets,
    /// Seed of the adapters' random `A`.
    pub adapter_seed: u64,
}

impl FinetuneOptions {
    /// The peak learning rate for `method`.
    pub fn lr(&self, method: FineTuneMethod) -> f64 {
        match method {
            FineTuneMethod::Full => self.recipe.lr,
            FineTuneMethod::Lora => self.rates.lora,
            FineTuneMethod::Rslora => self.rates.rslora,
            FineTuneMethod::Dora => self.rates.dora,
            FineTuneMethod::Qlora => self.rates.qlora,
        }
    }
}
