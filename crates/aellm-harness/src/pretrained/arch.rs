//! The shape of a pretrained Llama-family checkpoint, as its own files state
//! it (config.json or GGUF metadata), and the `ModelSpec` it implies.

use super::error::{PretrainedError, Result};
use crate::model::RopeScaling;
use aellm_space::ModelSpec;
use serde::{Deserialize, Serialize};

/// The model family: all three share the Llama block (RMSNorm, RoPE,
/// SwiGLU, grouped-query attention); they differ in biases and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Llama 1/2/3, SmolLM, TinyLlama and other `LlamaForCausalLM`s.
    Llama,
    /// Mistral (a Llama block; its sliding window is not used by the harness).
    Mistral,
    /// Qwen2: biases on the query, key and value projections.
    Qwen2,
}

/// Every figure a Llama-family forward needs, read from the checkpoint.
///
/// ```
/// use aellm_harness::pretrained::{Architecture, Family};
/// let a = Architecture::smollm2_135m();
/// a.check("SmolLM2").unwrap();
/// assert_eq!(a.head_dim, 64);
/// assert_eq!(a.family, Family::Llama);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    /// Model family.
    pub family: Family,
    /// Vocabulary size (rows of the embedding).
    pub vocab: usize,
    /// Model width.
    pub hidden: usize,
    /// Transformer blocks.
    pub layers: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Width of one head (usually `hidden / heads`).
    pub head_dim: usize,
    /// Width of the SwiGLU FFN.
    pub ffn: usize,
    /// RoPE base frequency.
    pub rope_theta: f64,
    /// Llama-3.1 RoPE scaling, when the checkpoint has it.
    pub rope_scaling: Option<RopeScaling>,
    /// RMSNorm epsilon.
    pub rms_eps: f64,
    /// Longest context the checkpoint was trained for.
    pub max_context: usize,
    /// The LM head is the embedding matrix (no separate output weight).
    pub tied_embeddings: bool,
    /// Query, key and value projections carry biases (Qwen2).
    pub qkv_bias: bool,
}

impl Architecture {
    /// SmolLM2-135M's published shape, for examples and tests that have
    /// no file at hand (the loaders always read the real figures).
    pub fn smollm2_135m() -> Self {
        Architecture {
            family: Family::Llama,
            vocab: 49_152,
            hidden: 576,
            layers: 30,
            heads: 9,
            kv_heads: 3,
            head_dim: 64,
            ffn: 1536,
            rope_theta: 100_000.0,
            rope_scaling: None,
            rms_eps: 1e-5,
            max_context: 8192,
            tied_embeddings: true,
            qkv_bias: false,
        }
    }

    /// Checks the figures describe a model the harness can build; the error
    /// names `source` (the file they came from) and the field.
    pub fn check(&self, source: &str) -> Result<()> {
        let bad = |field: &str, why: String| Err(PretrainedError::field(source, field, why));
        for (field, v) in [
            ("vocab", self.vocab),
            ("hidden", self.hidden),
            ("layers", self.layers),
            ("heads", self.heads),
            ("kv_heads", self.kv_heads),
            ("head_dim", self.head_dim),
            ("ffn", self.ffn),
        ] {
            if v == 0 {
                return bad(field, "must be at least 1".into());
            }
        }
        if !self.heads.is_multiple_of(self.kv_heads) {
            let why = format!(
                "{} key/value heads must divide {} heads",
                self.kv_heads, self.heads
            );
            return bad("kv_heads", why);
        }
        if !self.head_dim.is_multiple_of(2) {
            return bad(
                "head_dim",
                format!("{} is odd; RoPE rotates pairs", self.head_dim),
            );
        }
        if !(self.rope_theta > 0.0 && self.rms_eps > 0.0) {
            let why = format!(
                "rope_theta {} and rms_eps {} must be > 0",
                self.rope_theta, self.rms_eps
            );
            return bad("rope_theta", why);
        }
        Ok(())
    }

    /// The space's description of this checkpoint; `parameters` is counted
    /// from its tensors (a tied embedding once).
    pub fn model_spec(&self, name: &str, parameters: u64) -> ModelSpec {
        ModelSpec {
            name: name.to_string(),
            parameters,
            layers: self.layers as u32,
            hidden: self.hidden as u32,
            heads: self.heads as u32,
            kv_heads: self.kv_heads as u32,
            ffn: self.ffn as u32,
            vocab: self.vocab as u32,
            experts: 1,
            experts_per_token: 1,
            max_context: self.max_context as u32,
            tied_embeddings: self.tied_embeddings,
            checkpoint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_the_field_at_fault() {
        let mut a = Architecture::smollm2_135m();
        a.kv_heads = 4;
        let e = a.check("x/config.json").unwrap_err().to_string();
        assert!(e.contains("kv_heads") && e.contains("x/config.json"), "{e}");
        let mut a = Architecture::smollm2_135m();
        a.head_dim = 63;
        assert!(a.check("f").unwrap_err().to_string().contains("head_dim"));
    }

    #[test]
    fn model_spec_keeps_the_shape() {
        let a = Architecture::smollm2_135m();
        let s = a.model_spec("smollm2-135m", 134_515_008);
        assert_eq!(
            (s.layers, s.hidden, s.heads, s.kv_heads, s.ffn),
            (30, 576, 9, 3, 1536)
        );
        assert_eq!(s.head_dim(), 64);
    }
}
