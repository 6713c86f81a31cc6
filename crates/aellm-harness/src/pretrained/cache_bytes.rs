//! KV-cache bytes per token of a real model, counted from the cache the
//! model actually fills (not from a formula).

use crate::causal_lm::CausalLm;
use crate::error::{HarnessError, Result};
use crate::model::CachePrecision;
use candle_core::Tensor;

/// Bytes per token the cache of `model` holds after reading `ids`, stored at `precision`.
///
/// ```
/// use aellm_harness::model::{CachePrecision, ModelConfig, Transformer};
/// use aellm_harness::pretrained::cache_bytes::kv_bytes_per_token;
/// use candle_core::{DType, Device};
/// let m = Transformer::load(candle_nn::VarBuilder::zeros(DType::F32, &Device::Cpu), &ModelConfig::tiny(16)).unwrap();
/// // One layer, 4 key/value heads of width 8, keys and values, f32.
/// assert_eq!(kv_bytes_per_token(&m, &[1, 2, 3, 4], CachePrecision::Full).unwrap(), 256.0);
/// ```
pub fn kv_bytes_per_token<M: CausalLm>(
    model: &M,
    ids: &[u32],
    precision: CachePrecision,
) -> Result<f64> {
    if ids.is_empty() {
        return Err(HarnessError::Invalid(
            "kv_bytes_per_token needs at least one token".into(),
        ));
    }
    let mut cache = model.new_cache(precision);
    let input = Tensor::new(ids, model.device())?.unsqueeze(0)?;
    model.forward_cached(&input, &mut cache)?;
    Ok(model.cache_bytes(&cache) as f64 / ids.len() as f64)
}
