//! A loaded pretrained checkpoint: its shape, dense weights under Hugging
//! Face names, tokenizer, and the precision its file stores.

use super::arch::Architecture;
use super::tokenizer::TextTokenizer;
use aellm_space::ModelSpec;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Which kind of file a checkpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A Hugging Face folder (config.json, safetensors, tokenizer.json).
    HfFolder,
    /// A GGUF file (llama.cpp).
    Gguf,
}

/// The precision the file stores its weight matrices in: the precision of
/// record. For a quantized GGUF (e.g. Q4_1) the dense weights the harness
/// works on are this file dequantized, so "FP16 baseline" means "the
/// dequantized file".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPrecision {
    /// The dtype holding most weight-matrix elements (`Q4_1`, `BF16`, …).
    pub name: String,
    /// Mean bits per weight over every tensor, as stored.
    pub bits_per_weight: f64,
    /// Bytes of every tensor as stored.
    pub bytes: u64,
    /// Elements per stored dtype.
    pub elements_by_dtype: BTreeMap<String, u64>,
}

impl StoredPrecision {
    /// The summary of `(dtype name, elements, stored bytes)` per tensor.
    pub fn from_tensors<'a>(tensors: impl IntoIterator<Item = (&'a str, u64, u64)>) -> Self {
        let mut elements_by_dtype = BTreeMap::new();
        let (mut bytes, mut elements) = (0u64, 0u64);
        for (dtype, n, b) in tensors {
            *elements_by_dtype.entry(dtype.to_string()).or_insert(0) += n;
            bytes += b;
            elements += n;
        }
        let name = elements_by_dtype
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(d, _)| d.clone())
            .unwrap_or_default();
        StoredPrecision {
            name,
            bits_per_weight: 8.0 * bytes as f64 / elements.max(1) as f64,
            bytes,
            elements_by_dtype,
        }
    }
}

/// A pretrained checkpoint read into dense f32 tensors under Hugging Face
/// names (see [`super::names`]), ready to build a model from.
///
/// ```no_run
/// use aellm_harness::pretrained::load;
/// let p = load("~/.cache/aellm/models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf", &candle_core::Device::Cpu)?;
/// println!("{} parameters, stored as {}", p.parameters(), p.precision.name);
/// let ids = p.tokenizer.encode("The sky is blue.")?;
/// # Ok::<(), aellm_harness::pretrained::PretrainedError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pretrained {
    /// A short name (file stem or folder name).
    pub name: String,
    /// Where it was read from.
    pub source: PathBuf,
    /// The kind of file.
    pub format: Format,
    /// Its shape.
    pub arch: Architecture,
    /// Dense f32 weights by Hugging Face name (no `lm_head.weight` when tied).
    pub weights: HashMap<String, Tensor>,
    /// The precision of record.
    pub precision: StoredPrecision,
    /// Its tokenizer.
    pub tokenizer: TextTokenizer,
}

impl Pretrained {
    /// Parameters counted from the tensors (a tied embedding once).
    pub fn parameters(&self) -> u64 {
        self.weights.values().map(|t| t.elem_count() as u64).sum()
    }

    /// The space's description of this checkpoint, from its own figures,
    /// naming the file it came from (so an evaluator can read it).
    pub fn model_spec(&self) -> ModelSpec {
        ModelSpec {
            checkpoint: Some(self.source.display().to_string()),
            ..self.arch.model_spec(&self.name, self.parameters())
        }
    }
}
