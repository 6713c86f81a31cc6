//! Hardware-free counts of a configuration: parameters, weight bytes, KV-cache
//! bytes, multiply-adds, adapter and optimizer-state sizes.
//!
//! Every evaluator and predictor asks this module, so a count means the same
//! thing everywhere. Conventions (storage widths, quantization groups, how a
//! conversion shapes MLA and MoE) are stated in [`FootprintOptions`] and
//! [`Shape`].
//!
//! What `ModelSpec` does not say and is assumed here: whether the FFN is
//! gated (3 projections) or plain (2) is read off which agrees with the
//! published parameter count (a tied embedding table counted once, so
//! `ModelSpec::tied_embeddings` must be right for small models, whose table
//! is a large share of the count); biases and other
//! small tensors are the published count minus the modelled one, kept in
//! floating point; an MLA conversion's RoPE width is a fraction of the head
//! width (the checkpoint has no latent of its own).
//!
//! ```
//! use aellm_space::{presets, Configuration, footprint::{Footprint, FootprintOptions}};
//!
//! let m = presets::model("llama-3-8b").unwrap();
//! let f = Footprint::new(&m, &Configuration::default(), FootprintOptions::default()).unwrap();
//! assert_eq!(f.parameters(), 8_030_261_248);
//! assert_eq!(f.kv_bytes_per_token(), 128.0 * 1024.0); // FP16, GQA with 8 heads
//! println!("{:.2} GB of FP16 weights", f.weight_bytes() / 1e9);
//! ```

mod kv;
mod macs;
mod operators;
mod options;
mod shape;
mod training;
mod weights;

pub use kv::cached_kv_heads;
pub use macs::MacsPerToken;
pub use operators::{Operator, OperatorKind};
pub use options::{AdapterTargets, ExpertWidth, FootprintOptions};
pub use shape::{AttentionShape, FfnShape, Shape};
pub use training::ADAMW_STATE_BYTES_PER_ELEMENT;
pub use weights::{NF4_BYTES_PER_WEIGHT, matrix_bytes, operator_matrix_bytes, stored_precision};

use crate::{Configuration, FineTuneMethod, ModelSpec, SpaceError, WeightPrecision};
use serde::{Deserialize, Serialize};

/// The counts of one configuration applied to one model.
///
/// ```
/// use aellm_space::{presets, Configuration, WeightPrecision, footprint::*};
/// let m = presets::model("mixtral-8x7b").unwrap();
/// let f = Footprint::new(&m, &Configuration::default(), FootprintOptions::default()).unwrap();
/// assert!((f.active_parameters() as f64 / 1e9 - 12.9).abs() < 0.05);
/// assert!(f.weight_bytes_at(WeightPrecision::Int4) < f.weight_bytes_at(WeightPrecision::Fp16) / 3.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Footprint {
    configuration: Configuration,
    options: FootprintOptions,
    shape: Shape,
    operators: Vec<Operator>,
}

impl Footprint {
    /// Counts `configuration` on `model`; an inconsistent model or a
    /// configuration invalid for it is an error naming what is wrong.
    pub fn new(
        model: &ModelSpec,
        configuration: &Configuration,
        options: FootprintOptions,
    ) -> Result<Footprint, SpaceError> {
        model.check()?;
        let broken = configuration.validate_for(model);
        if !broken.is_empty() {
            return Err(SpaceError::InvalidConfiguration {
                configuration: configuration.to_string(),
                violations: broken.iter().map(|v| v.to_string()).collect(),
            });
        }
        let shape = Shape::new(model, &configuration.architecture, &options);
        Ok(Footprint {
            configuration: *configuration,
            options,
            operators: operators::operators(&shape),
            shape,
        })
    }

    /// The configuration counted.
    pub fn configuration(&self) -> &Configuration {
        &self.configuration
    }

    /// The storage conventions used.
    pub fn options(&self) -> &FootprintOptions {
        &self.options
    }

    /// The model's widths after the architecture stage.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Every weight matrix, by operator.
    pub fn operators(&self) -> &[Operator] {
        &self.operators
    }

    /// Parameters, every expert counted.
    pub fn parameters(&self) -> u64 {
        let m: u64 = self.operators.iter().map(Operator::parameters).sum();
        m + operators::non_matrix_parameters(&self.shape)
    }

    /// Parameters one token passes through (the routed experts only; the
    /// embedding table counts whole, as model cards count it).
    pub fn active_parameters(&self) -> u64 {
        let m: u64 = self.operators.iter().map(Operator::active_parameters).sum();
        m + operators::non_matrix_parameters(&self.shape)
    }

    /// Bytes of the weights at the configuration's precision.
    pub fn weight_bytes(&self) -> f64 {
        self.weight_bytes_at(self.configuration.inference.weights)
    }

    /// Bytes of the weights with the linears stored at `p` (the router,
    /// embeddings, norms and, unless quantized, the LM head in floating point).
    pub fn weight_bytes_at(&self, p: WeightPrecision) -> f64 {
        let o = &self.options;
        let m: f64 = self
            .operators
            .iter()
            .map(|op| operator_matrix_bytes(op, p, o) * (op.copies * op.layers) as f64)
            .sum();
        m + self.non_matrix_bytes(p)
    }

    /// Bytes outside the matrices: the embedding table (at `p` when the
    /// options quantize it), norms and the unmodelled rest in floating point.
    /// A tied table is the LM head's matrix, counted with the operators,
    /// unless the head and the table are stored apart (one quantized with
    /// the linears, the other not: the harness's convention).
    fn non_matrix_bytes(&self, p: WeightPrecision) -> f64 {
        let (s, o) = (&self.shape, &self.options);
        let rest = operators::rest_parameters(s);
        let one_tensor = s.tied_embeddings && o.quantize_lm_head == o.quantize_embeddings;
        let embedding = if one_tensor {
            0.0
        } else if o.quantize_embeddings {
            matrix_bytes(s.hidden, s.vocab, p, o)
        } else {
            (s.vocab * s.hidden) as f64 * o.embedding_bytes.unwrap_or(o.float_bytes)
        };
        embedding + rest as f64 * o.float_bytes
    }

    /// Bytes of the weights a decode step reads when each token touches only
    /// its routed experts: `distinct_experts` of them per layer (from 1 to
    /// the experts per layer; ignored for a dense model).
    pub fn weight_bytes_touched(&self, distinct_experts: f64) -> f64 {
        let p = self.configuration.inference.weights;
        let o = &self.options;
        let m: f64 = self
            .operators
            .iter()
            .map(|op| {
                let copies = match op.kind {
                    OperatorKind::Expert => distinct_experts.clamp(1.0, op.copies as f64),
                    _ => op.copies as f64,
                };
                operator_matrix_bytes(op, p, o) * copies * op.layers as f64
            })
            .sum();
        // Only the looked-up embedding rows are read: negligible, so not counted.
        let rest = operators::rest_parameters(&self.shape);
        m + rest as f64 * o.float_bytes
    }

    /// Bytes of KV cache per token at the configuration's layout.
    pub fn kv_bytes_per_token(&self) -> f64 {
        kv::bytes_per_token(
            &self.shape,
            self.configuration.inference.kv_cache,
            self.options.kv_bytes,
        )
    }

    /// Bytes of KV cache holding `tokens` positions for each of `batch` sequences.
    pub fn kv_bytes(&self, tokens: u64, batch: u64) -> f64 {
        self.kv_bytes_per_token() * (tokens * batch) as f64
    }

    /// Multiply-adds per token by operator kind.
    pub fn macs(&self) -> MacsPerToken {
        MacsPerToken::new(&self.shape, &self.operators)
    }

    /// Elements the fine-tuning stage trains: every parameter for full
    /// fine-tuning, the adapters (and DoRA's magnitudes) otherwise.
    pub fn trainable_parameters(&self) -> u64 {
        match self.configuration.fine_tuning.method {
            FineTuneMethod::Full => self.parameters(),
            _ => training::adapter_parameters(
                &self.operators,
                &self.configuration.fine_tuning,
                self.options.adapter_targets,
            ),
        }
    }

    /// AdamW's state: two f32 moments per trainable element.
    pub fn optimizer_state_bytes(&self) -> f64 {
        (self.trainable_parameters() * ADAMW_STATE_BYTES_PER_ELEMENT) as f64
    }

    /// Bytes of weights held while fine-tuning: full fine-tuning trains
    /// every weight at the float width; the LoRA family freezes an FP16
    /// base (QLoRA an NF4 base of its adapted-layer kind of matrices, the
    /// rest in floating point) and adds adapters at the float width.
    pub fn finetune_weight_bytes(&self) -> f64 {
        let o = &self.options;
        let ft = &self.configuration.fine_tuning;
        let adapters = self.trainable_parameters() as f64 * o.float_bytes;
        match ft.method {
            FineTuneMethod::Full => self.parameters() as f64 * o.float_bytes,
            FineTuneMethod::Qlora => self.nf4_base_bytes() + adapters,
            _ => self.weight_bytes_at(WeightPrecision::Fp16) + adapters,
        }
    }

    /// QLoRA's base: every linear of the layers in NF4, the router,
    /// embeddings, norms and LM head in floating point.
    fn nf4_base_bytes(&self) -> f64 {
        let o = &self.options;
        let m: f64 = self
            .operators
            .iter()
            .map(|op| {
                let per = match op.kind {
                    OperatorKind::Router | OperatorKind::LmHead => o.float_bytes,
                    _ => NF4_BYTES_PER_WEIGHT,
                };
                op.parameters() as f64 * per
            })
            .sum();
        m + operators::non_matrix_parameters(&self.shape) as f64 * o.float_bytes
    }
}

#[cfg(test)]
mod tests;
