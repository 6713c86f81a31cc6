//! The one model interface the metrics and tasks are generic over: a
//! causal LM that decodes incrementally through a KV cache.
//!
//! The harness's own [`Transformer`] implements it; so can any other model
//! (a candle-transformers model, a remote server's logits), and then the
//! accuracy and latency metrics measure it unchanged.

use crate::error::Result;
use crate::model::{CachePrecision, ModelCache, Transformer};
use candle_core::{Device, Tensor};

/// A causal language model with an incremental-decoding cache.
///
/// ```
/// use aellm_harness::CausalLm;
/// use aellm_harness::model::{CachePrecision, ModelConfig, seeded};
/// use candle_core::{Device, Tensor};
///
/// fn next_token<M: CausalLm>(m: &M, prompt: &[u32]) -> aellm_harness::Result<u32> {
///     let mut cache = m.new_cache(CachePrecision::Full);
///     let t = Tensor::new(prompt, m.device())?.unsqueeze(0)?;
///     let logits = m.forward_cached(&t, &mut cache)?;
///     let last = logits.narrow(1, prompt.len() - 1, 1)?;
///     Ok(last.flatten_all()?.argmax(0)?.to_scalar::<u32>()?)
/// }
///
/// let (_vm, m) = seeded(ModelConfig::tiny(20), 0, &Device::Cpu).unwrap();
/// assert!(next_token(&m, &[1, 2, 3]).unwrap() < 20);
/// ```
pub trait CausalLm {
    /// The state incremental decoding keeps between calls.
    type Cache;

    /// An empty cache storing entries at `precision`.
    fn new_cache(&self, precision: CachePrecision) -> Self::Cache;

    /// Logits `[b, t, vocab]` for `tokens [b, t]` (u32) continuing the
    /// positions `cache` holds; the tokens are appended to it.
    fn forward_cached(&self, tokens: &Tensor, cache: &mut Self::Cache) -> Result<Tensor>;

    /// Logits `[b, 1, vocab]` of the last of `tokens [b, t]` only, the tokens
    /// appended to `cache`: a server's prefill, which samples only the next
    /// token. The default narrows [`Self::forward_cached`]; a model that can
    /// skip the LM head on the other positions overrides it.
    fn forward_last(&self, tokens: &Tensor, cache: &mut Self::Cache) -> Result<Tensor> {
        let logits = self.forward_cached(tokens, cache)?;
        let t = logits.dim(1)?;
        Ok(logits.narrow(1, t.saturating_sub(1), 1)?)
    }

    /// Bytes `cache` holds.
    fn cache_bytes(&self, cache: &Self::Cache) -> usize;

    /// Bytes every weight of the model holds.
    fn weight_bytes(&self) -> usize;

    /// Vocabulary size (the logits' last dimension).
    fn vocab(&self) -> usize;

    /// Where its tensors live.
    fn device(&self) -> &Device;

    /// A cache holding only the batch rows `rows` (u32 indices, repeats
    /// allowed) of `cache`, so one prefilled prompt can be continued several
    /// ways. `Ok(None)` (the default) when the model cannot; callers then
    /// prefill each continuation's prompt again.
    fn select_cache_rows(&self, cache: &Self::Cache, rows: &Tensor) -> Result<Option<Self::Cache>> {
        let _ = (cache, rows);
        Ok(None)
    }
}

impl CausalLm for Transformer {
    type Cache = ModelCache;

    fn new_cache(&self, precision: CachePrecision) -> ModelCache {
        Transformer::new_cache(self, precision)
    }

    fn forward_cached(&self, tokens: &Tensor, cache: &mut ModelCache) -> Result<Tensor> {
        Ok(self.forward(tokens, Some(cache), None)?.logits)
    }

    fn forward_last(&self, tokens: &Tensor, cache: &mut ModelCache) -> Result<Tensor> {
        Ok(Transformer::forward_last(self, tokens, cache)?)
    }

    fn cache_bytes(&self, cache: &ModelCache) -> usize {
        cache.bytes()
    }

    fn weight_bytes(&self) -> usize {
        Transformer::weight_bytes(self)
    }

    fn vocab(&self) -> usize {
        self.config.vocab
    }

    fn device(&self) -> &Device {
        self.embed.device()
    }

    fn select_cache_rows(&self, cache: &ModelCache, rows: &Tensor) -> Result<Option<ModelCache>> {
        Ok(Some(cache.select_rows(rows)?))
    }
}
