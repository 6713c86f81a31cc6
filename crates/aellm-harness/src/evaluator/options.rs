//! What the harness evaluator does, and how much of it.

use super::real_options::RealOptions;
use crate::base::BaseRecipe;
use crate::convert::MoeConversion;
use crate::finetune::FinetuneOptions;
use crate::metrics::LatencyOptions;
use crate::quant::BLOCK_SIZE;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Options of [`HarnessEvaluator`](super::HarnessEvaluator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarnessOptions {
    /// Base checkpoints and stored measurements live here
    /// (default `$AELLM_CACHE`, else `~/.cache/aellm`).
    pub cache_dir: PathBuf,
    /// Read and write measurements under `cache_dir/measurements`.
    pub store_measurements: bool,
    /// The base model for the default `aellm-tiny` scenario model; other
    /// scenario models reuse its training recipe with their own shape.
    pub base: BaseRecipe,
    /// The short fine-tune after the architecture conversion: steps, batch,
    /// learning rate per method, which layers get adapters.
    pub finetune: FinetuneOptions,
    /// How a dense FFN becomes experts.
    pub moe_conversion: MoeConversion,
    /// Width of MLA's decoupled RoPE part, as a fraction of the head width.
    pub mla_rope_fraction: f64,
    /// Test examples scored for accuracy.
    pub test_examples: usize,
    /// Training examples run to collect quantization calibration inputs.
    pub calibration_examples: usize,
    /// Input channels sharing one integer scale.
    pub group_size: usize,
    /// Warm-ups and repeats of the latency runs.
    pub latency: LatencyOptions,
    /// Stated power of one busy CPU core (W), for the energy estimate where
    /// no energy counter exists.
    pub watts_per_core: f64,
    /// Largest scenario model (parameters) the harness will build and
    /// pre-train itself (a real checkpoint is bounded by memory instead).
    pub max_parameters: u64,
    /// How much one evaluation of a real checkpoint does.
    pub real: RealOptions,
}

/// The default cache directory: `$AELLM_CACHE`, else `~/.cache/aellm`, else `./.aellm-cache`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("AELLM_CACHE") {
        return PathBuf::from(d);
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache").join("aellm"),
        None => PathBuf::from(".aellm-cache"),
    }
}

impl Default for HarnessOptions {
    /// The default model, a 60-step fine-tune, 400 test examples, latency
    /// with 2 warm-ups and 5 repeats (the paper's 10 and 100 would take
    /// minutes per configuration on a 2-core CPU), 10 W per core.
    fn default() -> Self {
        HarnessOptions {
            cache_dir: default_cache_dir(),
            store_measurements: true,
            base: BaseRecipe::tiny(),
            finetune: FinetuneOptions::default(),
            moe_conversion: MoeConversion::Moefication,
            mla_rope_fraction: 0.5,
            test_examples: 400,
            calibration_examples: 64,
            group_size: BLOCK_SIZE,
            latency: LatencyOptions::default(),
            watts_per_core: 10.0,
            max_parameters: 50_000_000,
            real: RealOptions::default(),
        }
    }
}

impl HarnessOptions {
    /// Defaults with another cache directory.
    pub fn with_cache_dir(dir: impl Into<PathBuf>) -> Self {
        HarnessOptions {
            cache_dir: dir.into(),
            ..Default::default()
        }
    }
}
