//! Training: the shared loop, pre-training's recipe and the fine-tuning
//! stage. Full fine-tuning is implemented; the LoRA family (issue 6) plugs
//! in at [`finetune`], which already takes the method.

mod train;

pub use train::{TrainRecipe, TrainReport, masked_loss, train, train_mixture};

use crate::error::Result;
use crate::model::Transformer;
use crate::tasks::Example;
use aellm_space::{FineTuneMethod, FineTuning};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

/// What the fine-tuning stage did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneReport {
    /// The method the configuration asked for.
    pub requested: FineTuning,
    /// The method that ran (full fine-tuning until the LoRA family lands).
    pub applied: FineTuneMethod,
    /// Variables trained.
    pub trainable_parameters: usize,
    /// The training loop's report.
    pub train: TrainReport,
}

/// Fine-tunes `model` (whose variables are `vm`) on `data`.
///
/// Every method currently runs a plain full fine-tune, as the issue asks
/// for this stage until the LoRA family is built; the report says which
/// method actually ran so no figure passes for another method's.
pub fn finetune(
    method: &FineTuning,
    vm: &VarMap,
    model: &Transformer,
    data: &[Example],
    recipe: &TrainRecipe,
) -> Result<FinetuneReport> {
    let train = train(vm, model, data, recipe)?;
    let trainable_parameters = vm.all_vars().iter().map(|v| v.elem_count()).sum();
    Ok(FinetuneReport {
        requested: *method,
        applied: FineTuneMethod::Full,
        trainable_parameters,
        train,
    })
}
