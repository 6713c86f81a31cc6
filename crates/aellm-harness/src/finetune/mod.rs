//! Training: the shared loop, pre-training's recipe and the fine-tuning
//! stage, with every method of the space: full fine-tuning and the LoRA
//! family (LoRA, RSLoRA, DoRA; QLoRA on a 4-bit base).
//!
//! - [`options`](FinetuneOptions): which layers get adapters, learning rate per method.
//! - `adapters`: putting adapters on a model and merging them back.
//! - `cost`: what fine-tuning costs (trainable parameters, optimizer state, peak memory).
//! - [`Adapted`] (`lowrank`): the LoRA-family layer types; [`Frozen`]: the
//!   frozen base under an adapter and its gradient-free matmul.

mod adapters;
mod cost;
mod frozen;
mod lowrank;
mod options;
mod train;

pub use adapters::{attach, merge};
pub use cost::FinetuneCost;
pub use frozen::{Frozen, FrozenMatMul, frozen_matmul};
pub use lowrank::{Adapted, AdapterKind, row_norms};
pub use options::{AdapterRates, AdapterTargets, FinetuneOptions};
pub use train::{
    TrainRecipe, TrainReport, masked_loss, train, train_mixture, train_vars, train_vars_with,
};

use crate::checkpoint;
use crate::checkpoint::Weights;
use crate::error::Result;
use crate::model::{ModelConfig, Transformer};
use crate::tasks::{Example, Tokenizer, Vocabulary};
use aellm_space::{FineTuneMethod, FineTuning};
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

/// What the fine-tuning stage did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneReport {
    /// The method, rank and alpha that ran.
    pub method: FineTuning,
    /// Layers that got adapters (empty for full fine-tuning).
    pub adapted: Vec<String>,
    /// What it cost.
    pub cost: FinetuneCost,
    /// The training loop's report.
    pub train: TrainReport,
}

/// Fine-tunes the model `cfg` with weights `w` on `data` with the
/// configuration's method; returns the tuned weights, adapters merged into
/// dense weights (so the inference stage sees a plain model), and a report.
///
/// Full fine-tuning trains every variable (embedding and norms included).
/// The LoRA family builds the model from plain tensors, so the base, the
/// embedding and the norms are frozen and only the adapters (and DoRA's
/// magnitudes) reach the optimizer.
///
/// ```
/// use aellm_harness::finetune::{FinetuneOptions, TrainRecipe, finetune};
/// use aellm_harness::model::{ModelConfig, seeded};
/// use aellm_harness::tasks::{Task, TaskFamily, TaskSizes, Tokenizer};
/// use aellm_space::{FineTuneMethod, FineTuning};
/// use candle_core::Device;
///
/// let cfg = ModelConfig::tiny(Tokenizer.vocab());
/// let (vm, _) = seeded(cfg, 0, &Device::Cpu).unwrap();
/// let w = aellm_harness::checkpoint::weights_of(&vm).unwrap();
/// let sizes = TaskSizes { train: 8, validation: 1, test: 1, recall_pairs: 4 };
/// let task = Task::generate(TaskFamily::Arithmetic, 0, sizes);
/// let o = FinetuneOptions {
///     recipe: TrainRecipe { steps: 2, batch: 2, ..TrainRecipe::default() },
///     ..FinetuneOptions::default()
/// };
/// let ft = FineTuning::low_rank(FineTuneMethod::Lora, 2, 4.0);
/// let (tuned, report) = finetune(&ft, cfg, &w, &task.train, &o, &Device::Cpu).unwrap();
/// assert_eq!(tuned.len(), w.len());
/// assert!(report.cost.trainable_parameters < cfg.parameters());
/// ```
pub fn finetune(
    ft: &FineTuning,
    cfg: ModelConfig,
    w: &Weights,
    data: &[Example],
    o: &FinetuneOptions,
    device: &Device,
) -> Result<(Weights, FinetuneReport)> {
    finetune_with(&Tokenizer, ft, cfg, w, &[data], o, device)
}

/// [`finetune`] on a mixture of sources (step `i` draws its batch from
/// source `i % sources.len()`) read by `tok`, e.g. a real checkpoint's
/// tokenizer on real text and questions.
pub fn finetune_with<V: Vocabulary>(
    tok: &V,
    ft: &FineTuning,
    cfg: ModelConfig,
    w: &Weights,
    sources: &[&[Example]],
    o: &FinetuneOptions,
    device: &Device,
) -> Result<(Weights, FinetuneReport)> {
    let recipe = TrainRecipe {
        lr: o.lr(ft.method),
        ..o.recipe
    };
    let (tuned, adapted, train, cost) = match ft.method {
        FineTuneMethod::Full => {
            let (vm, model) = checkpoint::trainable(cfg, w, device)?;
            let vars = vm.all_vars();
            let probe = cost::Probe::start(&model, &vars, device);
            let train = train_vars_with(tok, vars, &model, sources, &recipe)?;
            let cost = probe.finish(&train);
            (checkpoint::weights_of(&vm)?, Vec::new(), train, cost)
        }
        _ => {
            let vb = VarBuilder::from_tensors(w.clone(), DType::F32, device);
            let mut model = Transformer::load(vb, &cfg)?;
            let (vars, adapted) = attach(&mut model, ft, o.targets, o.adapter_seed)?;
            let probe = cost::Probe::start(&model, &vars, device);
            let train = train_vars_with(tok, vars, &model, sources, &recipe)?;
            let cost = probe.finish(&train);
            (merge(&mut model, w, device)?, adapted, train, cost)
        }
    };
    tracing::debug!(method = %ft, layers = adapted.len(), ?cost, "fine-tuned");
    Ok((
        tuned,
        FinetuneReport {
            method: *ft,
            adapted,
            cost,
            train,
        },
    ))
}

impl Default for FinetuneOptions {
    /// The harness's default fine-tune: 60 steps of 16 examples, full
    /// fine-tuning at 1e-3, adapters on the attention projections.
    fn default() -> Self {
        FinetuneOptions {
            recipe: TrainRecipe {
                steps: 60,
                batch: 16,
                lr: 1e-3,
                seed: 1,
                ..TrainRecipe::default()
            },
            rates: AdapterRates::default(),
            targets: AdapterTargets::default(),
            adapter_seed: 7,
        }
    }
}

#[cfg(test)]
mod tests;
