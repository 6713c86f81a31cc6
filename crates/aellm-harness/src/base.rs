//! The pretrained base model: a small MHA, dense LM trained once on the
//! whole task suite and cached as safetensors, keyed by a hash of its
//! shape and training recipe.

use crate::checkpoint;
use crate::checkpoint::Weights;
use crate::error::Result;
use crate::finetune::{TrainRecipe, train_mixture};
use crate::model::{AttentionConfig, FfnConfig, ModelConfig, seeded};
use crate::tasks::{Example, Task, TaskFamily, TaskSizes, Tokenizer};
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Everything that decides the base model's weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BaseRecipe {
    /// Its shape (MHA, dense).
    pub model: ModelConfig,
    /// How it is trained.
    pub train: TrainRecipe,
    /// Seed of the initial weights.
    pub init_seed: u64,
    /// Seed of the task suite it is trained on.
    pub task_seed: u64,
    /// Split sizes of the task suite.
    pub sizes: TaskSizes,
    /// Training steps per cycle given to each family, in the order of
    /// [`TaskFamily::ALL`] (choice, arithmetic, recall): arithmetic batches
    /// are short and slow to learn, so they get more steps at little cost.
    pub mixture: [usize; 3],
}

impl BaseRecipe {
    /// The default base: 2 layers, width 128, 8 heads, FFN 512, the
    /// character vocabulary; 2000 steps of 16 examples, two thirds of them
    /// arithmetic (about 3 minutes on a 2-core CPU; on a shared machine, more).
    pub fn tiny() -> Self {
        BaseRecipe {
            model: ModelConfig {
                vocab: Tokenizer.vocab(),
                hidden: 128,
                layers: 2,
                heads: 8,
                ffn: 512,
                attention: AttentionConfig::Standard { kv_heads: 8 },
                ffn_kind: FfnConfig::Dense,
                ..ModelConfig::tiny(Tokenizer.vocab())
            },
            train: TrainRecipe {
                steps: 2000,
                batch: 16,
                lr: 3e-3,
                ..TrainRecipe::default()
            },
            init_seed: 0,
            task_seed: 0,
            sizes: TaskSizes::default(),
            mixture: [1, 4, 1],
        }
    }

    /// The hash that names the cached checkpoint.
    pub fn key(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        blake3::hash(json.as_bytes()).to_hex()[..16].to_string()
    }

    /// Where the checkpoint of this recipe lives under `cache_dir`.
    pub fn path(&self, cache_dir: &Path) -> PathBuf {
        cache_dir
            .join("base")
            .join(format!("{}.safetensors", self.key()))
    }

    /// The task the harness uses for `family`, from this recipe's seed.
    pub fn task(&self, family: TaskFamily) -> Task {
        Task::generate(family, self.task_seed, self.sizes)
    }

    /// The pre-training data: every family's training split.
    pub fn data(&self) -> Vec<Task> {
        TaskFamily::ALL.iter().map(|f| self.task(*f)).collect()
    }
}

/// The base model's weights, and whether they were trained just now.
#[derive(Debug, Clone)]
pub struct Base {
    /// The weights.
    pub weights: Weights,
    /// The checkpoint file.
    pub path: PathBuf,
    /// Seconds spent pre-training now; `None` when loaded from the cache.
    pub trained_seconds: Option<f64>,
}

/// Loads the base model of `recipe` from `cache_dir`, pre-training and
/// saving it first if it is not there.
pub fn pretrained(recipe: &BaseRecipe, cache_dir: &Path, device: &Device) -> Result<Base> {
    let path = recipe.path(cache_dir);
    if path.exists() {
        match checkpoint::load(&path, device) {
            Ok(weights) => {
                return Ok(Base {
                    weights,
                    path,
                    trained_seconds: None,
                });
            }
            Err(e) => tracing::warn!(
                "cached base {} unreadable ({e}); training again",
                path.display()
            ),
        }
    }
    tracing::info!(
        "pre-training the base model ({} parameters, {} steps); cached at {}",
        recipe.model.parameters(),
        recipe.train.steps,
        path.display()
    );
    let start = Instant::now();
    let (vm, model) = seeded(recipe.model, recipe.init_seed, device)?;
    let tasks = recipe.data();
    let sources: Vec<&[Example]> = tasks
        .iter()
        .zip(recipe.mixture)
        .flat_map(|(t, n)| std::iter::repeat_n(t.train.as_slice(), n))
        .collect();
    let report = train_mixture(&vm, &model, &sources, &recipe.train)?;
    tracing::info!(
        "base loss {:.3} -> {:.3}",
        report.first_loss,
        report.last_loss
    );
    let weights = checkpoint::weights_of(&vm)?;
    checkpoint::save(&weights, &path)?;
    Ok(Base {
        weights,
        path,
        trained_seconds: Some(start.elapsed().as_secs_f64()),
    })
}
