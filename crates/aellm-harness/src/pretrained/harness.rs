//! A pretrained checkpoint as the harness's own editable transformer: its
//! [`ModelConfig`] and its weights under the harness's tensor names
//! ([`crate::checkpoint::names`]), so every conversion, adapter and
//! quantizer reaches the real weights.

use super::arch::Architecture;
use super::checkpoint::Pretrained;
use super::error::{PretrainedError, Result};
use super::names::{self, HfTensor, Slot};
use crate::checkpoint::Weights;
use crate::checkpoint::names::{AttnProj, FfnProj, TensorName};
use crate::model::{AttentionConfig, FfnConfig, ModelConfig, Transformer};
use candle_core::{DType, Device};
use candle_nn::VarBuilder;

impl Architecture {
    /// The harness model of this shape (dense FFN, grouped-query attention
    /// with the checkpoint's key/value heads).
    pub fn model_config(&self, source: &str) -> Result<ModelConfig> {
        if self.head_dim * self.heads != self.hidden {
            let why = format!(
                "head_dim {} x {} heads != hidden {}; the harness's attention needs hidden = heads x head_dim",
                self.head_dim, self.heads, self.hidden
            );
            return Err(PretrainedError::unsupported(source, why));
        }
        Ok(ModelConfig {
            vocab: self.vocab,
            hidden: self.hidden,
            layers: self.layers,
            heads: self.heads,
            ffn: self.ffn,
            attention: AttentionConfig::Standard {
                kv_heads: self.kv_heads,
            },
            ffn_kind: FfnConfig::Dense,
            rope_theta: self.rope_theta,
            rope_scaling: self.rope_scaling,
            norm_eps: self.rms_eps,
            qkv_bias: self.qkv_bias,
            tied_embeddings: self.tied_embeddings,
        })
    }
}

/// The harness's name of a checkpoint tensor.
pub fn harness_name(t: HfTensor) -> TensorName {
    let attn = |layer, proj, bias| TensorName::Attn { layer, proj, bias };
    let ffn = |layer, proj| TensorName::Ffn { layer, proj };
    match t {
        HfTensor::Embedding => TensorName::Embed,
        HfTensor::FinalNorm => TensorName::Norm,
        HfTensor::LmHead => TensorName::LmHead,
        HfTensor::Block(l, slot) => match slot {
            Slot::AttnNorm => TensorName::AttnNorm { layer: l },
            Slot::FfnNorm => TensorName::FfnNorm { layer: l },
            Slot::Q => attn(l, AttnProj::Q, false),
            Slot::K => attn(l, AttnProj::K, false),
            Slot::V => attn(l, AttnProj::V, false),
            Slot::QBias => attn(l, AttnProj::Q, true),
            Slot::KBias => attn(l, AttnProj::K, true),
            Slot::VBias => attn(l, AttnProj::V, true),
            Slot::O => attn(l, AttnProj::O, false),
            Slot::Gate => ffn(l, FfnProj::Gate),
            Slot::Up => ffn(l, FfnProj::Up),
            Slot::Down => ffn(l, FfnProj::Down),
        },
    }
}

impl Pretrained {
    /// The harness model's shape for this checkpoint.
    pub fn model_config(&self) -> Result<ModelConfig> {
        self.arch.model_config(&self.source.display().to_string())
    }

    /// The weights under the harness's tensor names (tensors shared, not copied).
    pub fn harness_weights(&self) -> Result<Weights> {
        self.weights
            .iter()
            .map(|(hf, t)| {
                let parsed = names::parse_hf(hf).ok_or_else(|| {
                    PretrainedError::format(
                        &self.source,
                        format!("tensor `{hf}` has no harness counterpart"),
                    )
                })?;
                Ok((harness_name(parsed).to_string(), t.clone()))
            })
            .collect()
    }

    /// The harness's transformer holding these weights, on `device`.
    ///
    /// ```no_run
    /// use aellm_harness::pretrained::load;
    /// use aellm_harness::CausalLm;
    /// let p = load("smollm2-135m", &candle_core::Device::Cpu)?;
    /// let model = p.transformer(&candle_core::Device::Cpu)?;
    /// assert_eq!(model.vocab(), 49_152);
    /// # Ok::<(), aellm_harness::pretrained::PretrainedError>(())
    /// ```
    pub fn transformer(&self, device: &Device) -> Result<Transformer> {
        let cfg = self.model_config()?;
        let w = self.harness_weights()?;
        let w = w
            .into_iter()
            .map(|(k, t)| Ok((k, t.to_device(device)?)))
            .collect::<Result<Weights>>()?;
        Ok(Transformer::load(
            VarBuilder::from_tensors(w, DType::F32, device),
            &cfg,
        )?)
    }
}
