//! What the inference stage would refuse, checked on the converted shape
//! before the fine-tune: on a real checkpoint a conversion and fine-tune
//! take minutes, and a refusal after them wastes them.

use crate::convert::pooled_heads;
use crate::error::{HarnessError, Result};
use crate::model::{AttentionConfig, FfnConfig, ModelConfig};
use crate::quant::QuantError;
use aellm_space::{Configuration, WeightPrecision};

/// `Err(Unsupported)` when `c`'s KV layout cannot apply to `cfg`, or its
/// integer weights cannot be stored because a linear's input width is not a
/// whole number of `group_size` blocks (the same reasons, in the same words,
/// as the inference stage would give).
pub(crate) fn inference_stage_can_run(
    cfg: &ModelConfig,
    c: &Configuration,
    group_size: usize,
) -> Result<()> {
    pooled_heads(cfg, c.inference.kv_cache)?;
    if !matches!(
        c.inference.weights,
        WeightPrecision::Int8 | WeightPrecision::Int4
    ) {
        return Ok(());
    }
    let mut inputs = vec![
        ("the attention and FFN inputs", cfg.hidden),
        ("the attention output", cfg.heads * cfg.head_dim()),
    ];
    inputs.push(match cfg.ffn_kind {
        FfnConfig::Dense => ("the FFN down-projection", cfg.ffn),
        FfnConfig::Moe { expert_ffn, .. } => ("the experts' down-projections", expert_ffn),
    });
    if let AttentionConfig::Latent { latent, .. } = cfg.attention {
        inputs.push(("MLA's up-projections", latent));
    }
    for (what, in_dim) in inputs {
        if group_size == 0 || !in_dim.is_multiple_of(group_size) {
            let e = QuantError::InDimNotMultiple { in_dim, group_size };
            return Err(HarnessError::Unsupported(format!("quantizing {what}: {e}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::{KvCache, QuantMethod};

    fn int4(kv_cache: KvCache) -> Configuration {
        let mut c = Configuration::default();
        c.inference.weights = WeightPrecision::Int4;
        c.inference.method = Some(QuantMethod::Rtn);
        c.inference.kv_cache = kv_cache;
        c
    }

    /// The two refusals an interrupted SmolLM2 search met after fine-tuning:
    /// a 144-wide MLA latent at INT4, and a layout with nothing to pool.
    #[test]
    fn refuses_what_the_inference_stage_would_refuse() {
        let base = ModelConfig {
            hidden: 576,
            heads: 9,
            ffn: 1536,
            attention: AttentionConfig::Standard { kv_heads: 3 },
            ..ModelConfig::tiny(20)
        };
        assert!(inference_stage_can_run(&base, &int4(KvCache::Full), 32).is_ok());
        let mla = ModelConfig {
            attention: AttentionConfig::Latent {
                latent: 144,
                rope_dim: 32,
            },
            ..base
        };
        let e = inference_stage_can_run(&mla, &int4(KvCache::Full), 32).unwrap_err();
        assert!(e.to_string().contains("in-dim 144"), "{e}");
        let mut fp8 = int4(KvCache::Full);
        fp8.inference.weights = WeightPrecision::Fp8;
        fp8.inference.method = None;
        assert!(inference_stage_can_run(&mla, &fp8, 32).is_ok());
        // GQA-3 already: a GQA-style cache would keep all 3 heads.
        let e = inference_stage_can_run(&base, &int4(KvCache::GqaStyle), 32).unwrap_err();
        assert!(e.to_string().contains("nothing to pool"), "{e}");
        assert!(inference_stage_can_run(&base, &int4(KvCache::MqaStyle), 32).is_ok());
        let e = inference_stage_can_run(&mla, &int4(KvCache::MqaStyle), 32).unwrap_err();
        assert!(e.to_string().contains("MLA"), "{e}");
    }
}
