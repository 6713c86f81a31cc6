//! Key/value-cache bytes per token for each attention variant and KV layout.

use super::shape::{AttentionShape, Shape};
use crate::KvCache;

/// Key/value heads the cache keeps under `layout`: MQA-style pools to one,
/// GQA-style as [`KvCache::gqa_style_heads`] says.
pub fn cached_kv_heads(shape: &Shape, layout: KvCache) -> u64 {
    let kv = shape.kv_heads();
    match layout {
        KvCache::Full | KvCache::Int8 => kv,
        KvCache::MqaStyle => 1,
        KvCache::GqaStyle => KvCache::gqa_style_heads(shape.heads, kv),
    }
}

/// Bytes the cache holds per token over every layer, with `element_bytes`
/// per full-precision element. INT8 stores one byte an element plus one
/// full-precision scale per cached vector (per head for keys and values, as
/// the harness's cache does; one for MLA's latent and one for its RoPE key).
pub fn bytes_per_token(shape: &Shape, layout: KvCache, element_bytes: f64) -> f64 {
    let (elements, vectors) = match shape.attention {
        AttentionShape::Standard { .. } => {
            let kv = cached_kv_heads(shape, layout);
            (2 * kv * shape.head_dim, 2 * kv)
        }
        AttentionShape::Latent { latent, rope_dim } => (latent + rope_dim, 2),
    };
    let per_layer = match layout {
        KvCache::Int8 => elements as f64 + vectors as f64 * element_bytes,
        _ => elements as f64 * element_bytes,
    };
    per_layer * shape.layers as f64
}
