//! How much work one evaluation of a real checkpoint does: the healing
//! fine-tune, the questions, the held-out text, the calibration and the
//! latency runs. Sized so one configuration takes minutes on a 2-core CPU
//! (see `examples/real_model_eval.rs` for the measured times).

use crate::finetune::{AdapterRates, FinetuneOptions, TrainRecipe};
use crate::metrics::LatencyOptions;
use crate::pretrained::data::Split;
use serde::{Deserialize, Serialize};

/// Sizes of one real-checkpoint evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RealOptions {
    /// The fine-tune after the architecture conversion (it heals the
    /// conversion and runs the configuration's method): steps, batch and
    /// learning rates. Half of the steps read real text, half the
    /// multiple-choice train split.
    pub finetune: FinetuneOptions,
    /// Tokens per real-text training sequence.
    pub text_tokens: usize,
    /// Which split of the science questions the accuracy is measured on.
    pub mc_split: Split,
    /// At most this many questions of that split (all when larger).
    pub mc_questions: usize,
    /// Held-out tokens (the test chapters of *Persuasion*) the perplexity
    /// is measured on, in windows of `ppl_window`.
    pub ppl_tokens: usize,
    /// Tokens per perplexity window.
    pub ppl_window: usize,
    /// Real-text sequences of `text_tokens` the quantizers calibrate on
    /// (the train chapters).
    pub calibration_sequences: usize,
    /// Warm-ups and repeats of the latency runs.
    pub latency: LatencyOptions,
}

impl Default for RealOptions {
    /// A 16-step fine-tune of 4 sequences of at most 128 tokens; learning
    /// rates set by hand for a pretrained model (full 3e-5, adapters 5e-4,
    /// RSLoRA 2e-4 for its larger α/√r scale), not tuned on the reported
    /// split; the whole validation split of questions (40); 8,192 held-out
    /// tokens in windows of 512; 8 calibration sequences; latency 1 warm-up
    /// and 2 repeats.
    fn default() -> Self {
        RealOptions {
            finetune: FinetuneOptions {
                recipe: TrainRecipe {
                    steps: 16,
                    batch: 4,
                    lr: 3e-5,
                    weight_decay: 0.0,
                    seed: 1,
                    ..TrainRecipe::default()
                },
                rates: AdapterRates {
                    lora: 5e-4,
                    rslora: 2e-4,
                    dora: 5e-4,
                    qlora: 5e-4,
                },
                ..FinetuneOptions::default()
            },
            text_tokens: 128,
            mc_split: Split::Validation,
            mc_questions: 40,
            ppl_tokens: 8192,
            ppl_window: 512,
            calibration_sequences: 8,
            latency: LatencyOptions {
                warmups: 1,
                repeats: 2,
            },
        }
    }
}
