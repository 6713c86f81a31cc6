//! The model a configuration is applied to.

use crate::error::SpaceError;
use serde::{Deserialize, Serialize};

/// Published architecture figures of a decoder-only transformer.
///
/// `ffn` is the width of one FFN projection (Hugging Face's
/// `intermediate_size`; for Qwen-1 checkpoints, half of it, since their config
/// counts both gate and up projections).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Name, e.g. `llama-2-7b`.
    pub name: String,
    /// Total parameters (every expert counted).
    pub parameters: u64,
    /// Transformer layers.
    pub layers: u32,
    /// Hidden (model) width.
    pub hidden: u32,
    /// Attention (query) heads.
    pub heads: u32,
    /// Key/value heads (equal to `heads` for MHA checkpoints).
    pub kv_heads: u32,
    /// Width of one FFN projection.
    pub ffn: u32,
    /// Vocabulary size.
    pub vocab: u32,
    /// FFN experts per layer (1 for a dense model).
    #[serde(default = "one")]
    pub experts: u32,
    /// Experts each token is routed to (1 for a dense model).
    #[serde(default = "one")]
    pub experts_per_token: u32,
    /// Longest context the checkpoint was trained for, in tokens.
    #[serde(default = "default_context")]
    pub max_context: u32,
    /// Whether the LM head is the token-embedding table (Hugging Face's
    /// `tie_word_embeddings`, SmolLM2's and Qwen2's small models): the
    /// table is then counted once in `parameters`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tied_embeddings: bool,
    /// Where the model's weights are, when it is a real checkpoint the
    /// harness can load (a path, or a name the harness resolves such as
    /// `smollm2-135m`); `None` for a model known by its figures only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

fn one() -> u32 {
    1
}

fn default_context() -> u32 {
    4096
}

impl ModelSpec {
    /// Width of one attention head.
    pub fn head_dim(&self) -> u32 {
        self.hidden / self.heads.max(1)
    }

    /// Parameters a token passes through (only the routed experts of an MoE).
    pub fn active_parameters(&self) -> u64 {
        if self.experts <= 1 {
            return self.parameters;
        }
        let expert = 3 * self.hidden as u64 * self.ffn as u64 * self.layers as u64;
        let idle = (self.experts - self.experts_per_token.min(self.experts)) as u64;
        self.parameters.saturating_sub(idle * expert)
    }

    /// Parameters in billions, for display.
    pub fn billions(&self) -> f64 {
        self.parameters as f64 / 1e9
    }

    /// Checks the figures are consistent; the error names the field and the fix.
    pub fn check(&self) -> Result<(), SpaceError> {
        let bad = |field: &str, why: String| {
            Err(SpaceError::InvalidField {
                what: format!("model `{}`", self.name),
                field: field.into(),
                why,
            })
        };
        for (field, v) in [
            ("layers", self.layers),
            ("hidden", self.hidden),
            ("heads", self.heads),
            ("kv_heads", self.kv_heads),
            ("ffn", self.ffn),
            ("vocab", self.vocab),
            ("experts", self.experts),
            ("experts_per_token", self.experts_per_token),
        ] {
            if v == 0 {
                return bad(field, "must be at least 1".into());
            }
        }
        if self.parameters == 0 {
            return bad("parameters", "must be at least 1".into());
        }
        if !self.hidden.is_multiple_of(self.heads) {
            return bad(
                "heads",
                format!("must divide hidden ({}), got {}", self.hidden, self.heads),
            );
        }
        if !self.heads.is_multiple_of(self.kv_heads) {
            return bad(
                "kv_heads",
                format!("must divide heads ({}), got {}", self.heads, self.kv_heads),
            );
        }
        if self.experts_per_token > self.experts {
            return bad(
                "experts_per_token",
                format!(
                    "must be at most experts ({}), got {}",
                    self.experts, self.experts_per_token
                ),
            );
        }
        Ok(())
    }

    /// Reads a model from the text of a Hugging Face `config.json`.
    ///
    /// Understands the LLaMA/Mistral/Mixtral/Qwen2/Yi/Phi field names
    /// (`num_hidden_layers`, `hidden_size`, `num_attention_heads`,
    /// `num_key_value_heads`, `intermediate_size`, `vocab_size`,
    /// `num_local_experts`, `num_experts_per_tok`,
    /// `max_position_embeddings`) and the GPT-2 style ones (`n_layer`,
    /// `n_embd`, `n_head`). The parameter count is computed from the shapes
    /// (SwiGLU FFN, untied embeddings unless `tie_word_embeddings` is true).
    ///
    /// ```
    /// let json = r#"{"hidden_size": 4096, "intermediate_size": 11008,
    ///   "num_attention_heads": 32, "num_hidden_layers": 32,
    ///   "num_key_value_heads": 32, "vocab_size": 32000,
    ///   "max_position_embeddings": 4096}"#;
    /// let m = aellm_space::ModelSpec::from_hf_config("llama-2-7b", json).unwrap();
    /// assert_eq!(m.layers, 32);
    /// assert!((m.billions() - 6.74).abs() < 0.01);
    /// ```
    pub fn from_hf_config(name: &str, json: &str) -> Result<ModelSpec, SpaceError> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| SpaceError::Parse {
            source_name: format!("{name} config.json"),
            message: e.to_string(),
        })?;
        let get = |keys: &[&str]| keys.iter().find_map(|k| v.get(*k).and_then(|x| x.as_u64()));
        let need = |keys: &[&str]| {
            get(keys)
                .map(|x| x as u32)
                .ok_or_else(|| SpaceError::InvalidField {
                    what: format!("{name} config.json"),
                    field: keys[0].into(),
                    why: format!("missing; expected an integer under one of {keys:?}"),
                })
        };
        let hidden = need(&["hidden_size", "n_embd", "d_model"])?;
        let layers = need(&["num_hidden_layers", "n_layer", "num_layers"])?;
        let heads = need(&["num_attention_heads", "n_head"])?;
        let kv_heads = get(&["num_key_value_heads", "multi_query_group_num"])
            .map(|x| x as u32)
            .unwrap_or(heads);
        let ffn = get(&["intermediate_size", "n_inner", "ffn_dim"])
            .map(|x| x as u32)
            .unwrap_or(4 * hidden);
        let vocab = need(&["vocab_size"])?;
        let experts = get(&["num_local_experts", "num_experts"])
            .map(|x| x as u32)
            .unwrap_or(1)
            .max(1);
        let experts_per_token = get(&["num_experts_per_tok"])
            .map(|x| x as u32)
            .unwrap_or(1)
            .max(1);
        let max_context = get(&["max_position_embeddings", "n_positions", "seq_length"])
            .map(|x| x as u32)
            .unwrap_or(4096);
        let tied = v
            .get("tie_word_embeddings")
            .and_then(|x| x.as_bool())
            .unwrap_or(false);

        let (h, f, l, kv) = (hidden as u64, ffn as u64, layers as u64, kv_heads as u64);
        let head_dim = h / heads as u64;
        let attn = h * h * 2 + 2 * h * kv * head_dim;
        let ffn_params =
            3 * h * f * experts as u64 + if experts > 1 { h * experts as u64 } else { 0 };
        let per_layer = attn + ffn_params + 2 * h;
        let embed = vocab as u64 * h * if tied { 1 } else { 2 };
        let m = ModelSpec {
            name: name.into(),
            parameters: l * per_layer + embed + h,
            layers,
            hidden,
            heads,
            kv_heads,
            ffn,
            vocab,
            experts,
            experts_per_token,
            max_context,
            tied_embeddings: tied,
            checkpoint: None,
        };
        m.check()?;
        Ok(m)
    }
}
