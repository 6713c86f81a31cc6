//! The KV-cache layout of the inference stage: MQA- and GQA-style caches by
//! mean-pooling key/value heads, and an 8-bit cache.

use crate::checkpoint::Weights;
use crate::error::{HarnessError, Result};
use crate::model::{AttentionConfig, CachePrecision, ModelConfig};
use aellm_space::KvCache;

/// Applies a KV-cache layout: MQA- and GQA-style mean-pool the key/value
/// projections (pooling the projection equals pooling the rotated keys and
/// values, both being linear), INT8 stores the cache in 8 bits.
pub fn kv_layout(
    cfg: &ModelConfig,
    w: &Weights,
    layout: KvCache,
) -> Result<(ModelConfig, Weights, CachePrecision)> {
    match (layout, pooled_heads(cfg, layout)?) {
        (_, Some(groups)) => {
            // The same head pooling as the GQA conversion, without its healing fine-tune.
            let (c, out) = super::to_gqa(cfg, w, groups)?;
            Ok((c, out, CachePrecision::Full))
        }
        (KvCache::Int8, None) => Ok((*cfg, w.clone(), CachePrecision::Int8)),
        (_, None) => Ok((*cfg, w.clone(), CachePrecision::Full)),
    }
}

/// The key/value heads `layout` pools `cfg`'s attention into (`None` when it
/// keeps them), or why it cannot: MLA has no heads to pool, and a layout
/// that would keep every head has nothing to do. Needs the shape only, so
/// an evaluation can refuse before fine-tuning.
pub fn pooled_heads(cfg: &ModelConfig, layout: KvCache) -> Result<Option<usize>> {
    let groups = match layout {
        KvCache::Full | KvCache::Int8 => return Ok(None),
        KvCache::MqaStyle => 1,
        KvCache::GqaStyle => {
            KvCache::gqa_style_heads(cfg.heads as u64, cfg.kv_heads() as u64) as usize
        }
    };
    let AttentionConfig::Standard { kv_heads } = cfg.attention else {
        return Err(HarnessError::Unsupported(format!(
            "{layout} pools key/value heads; MLA caches a latent instead"
        )));
    };
    if groups >= kv_heads {
        return Err(HarnessError::Unsupported(format!(
            "{layout} would keep {groups} of the attention's {kv_heads} key/value heads: nothing to pool"
        )));
    }
    Ok(Some(groups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::weights_of;
    use crate::model::seeded;

    fn cfg() -> ModelConfig {
        ModelConfig {
            hidden: 64,
            ffn: 128,
            ..ModelConfig::tiny(20)
        }
    }

    #[test]
    fn kv_layouts_pool_heads_or_refuse() {
        let c = ModelConfig {
            heads: 8,
            attention: AttentionConfig::Standard { kv_heads: 8 },
            ..cfg()
        };
        let (vm, _) = seeded(c, 1, &candle_core::Device::Cpu).unwrap();
        let w = weights_of(&vm).unwrap();
        let (mq, _, p) = kv_layout(&c, &w, KvCache::MqaStyle).unwrap();
        assert_eq!((mq.kv_heads(), p), (1, CachePrecision::Full));
        let (gq, _, _) = kv_layout(&c, &w, KvCache::GqaStyle).unwrap();
        assert_eq!(gq.kv_heads(), 2);
        // 9 heads: 9 / 4 rounded up to a divisor of 9.
        let nine = ModelConfig {
            heads: 9,
            hidden: 72,
            attention: AttentionConfig::Standard { kv_heads: 9 },
            ..c
        };
        let (vm9, _) = seeded(nine, 1, &candle_core::Device::Cpu).unwrap();
        let w9 = weights_of(&vm9).unwrap();
        let (g9, _, _) = kv_layout(&nine, &w9, KvCache::GqaStyle).unwrap();
        assert_eq!(g9.kv_heads(), 3);
        assert_eq!(
            kv_layout(&c, &w, KvCache::Int8).unwrap().2,
            CachePrecision::Int8
        );
        assert!(matches!(
            kv_layout(&mq, &w, KvCache::MqaStyle),
            Err(HarnessError::Unsupported(_))
        ));
    }
}
