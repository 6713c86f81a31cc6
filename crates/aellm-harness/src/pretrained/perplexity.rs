//! Perplexity of any [`CausalLm`] on a token stream: non-overlapping
//! windows, each read from an empty cache, every token after a window's
//! first scored by the model's log-probability of it.

use crate::causal_lm::CausalLm;
use crate::error::{HarnessError, Result};
use crate::model::CachePrecision;
use candle_core::{D, Tensor};
use serde::{Deserialize, Serialize};

/// Perplexity and the figures it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Perplexity {
    /// `exp(mean_nll)`.
    pub perplexity: f64,
    /// Mean negative log-likelihood per scored token, in nats.
    pub mean_nll: f64,
    /// Standard error of `mean_nll` from the spread of the windows' means
    /// (windows, not tokens, are the independent draws).
    pub std_error_nll: f64,
    /// Tokens scored.
    pub tokens: usize,
    /// Windows read.
    pub windows: usize,
}

impl Perplexity {
    /// The perplexity one standard error above and below: `exp(mean ± se)`.
    pub fn interval(&self) -> (f64, f64) {
        (
            (self.mean_nll - self.std_error_nll).exp(),
            (self.mean_nll + self.std_error_nll).exp(),
        )
    }
}

/// Perplexity of `model` on `ids`, read in windows of `window` tokens (the
/// last one may be shorter; a window shorter than 2 tokens is dropped),
/// keys and values cached at `cache`.
///
/// ```no_run
/// use aellm_harness::pretrained::{data, load, perplexity::perplexity};
/// use aellm_harness::model::CachePrecision;
/// let p = load("smollm2-135m", &candle_core::Device::Cpu)?;
/// let model = p.transformer(&candle_core::Device::Cpu)?;
/// let ids = p.tokenizer.encode(&data::real_text(data::Split::Test)?)?;
/// let ppl = perplexity(&model, &ids[..4096], 512, CachePrecision::Full)?;
/// println!("perplexity {:.2} on {} tokens", ppl.perplexity, ppl.tokens);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn perplexity<M: CausalLm>(
    model: &M,
    ids: &[u32],
    window: usize,
    cache: CachePrecision,
) -> Result<Perplexity> {
    if window < 2 {
        return Err(HarnessError::Invalid(format!(
            "perplexity window {window}: use at least 2 tokens"
        )));
    }
    let chunks: Vec<&[u32]> = ids.chunks(window).filter(|c| c.len() >= 2).collect();
    if chunks.is_empty() {
        return Err(HarnessError::Invalid(format!(
            "perplexity of {} tokens: give at least 2",
            ids.len()
        )));
    }
    let bar = super::progress::bar(chunks.len() as u64, "perplexity windows");
    let mut sums = Vec::with_capacity(chunks.len());
    for c in &chunks {
        sums.push(window_nll(model, c, cache)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let tokens: usize = chunks.iter().map(|c| c.len() - 1).sum();
    let mean_nll = sums.iter().sum::<f64>() / tokens as f64;
    let means: Vec<f64> = sums
        .iter()
        .zip(&chunks)
        .map(|(s, c)| s / (c.len() - 1) as f64)
        .collect();
    Ok(Perplexity {
        perplexity: mean_nll.exp(),
        mean_nll,
        std_error_nll: std_error(&means),
        tokens,
        windows: chunks.len(),
    })
}

/// Summed negative log-likelihood of tokens `1..` of `ids` given those before.
fn window_nll<M: CausalLm>(model: &M, ids: &[u32], cache: CachePrecision) -> Result<f64> {
    let n = ids.len();
    let input = Tensor::new(&ids[..n - 1], model.device())?.unsqueeze(0)?;
    let target = Tensor::new(&ids[1..], model.device())?;
    let mut kv = model.new_cache(cache);
    let logits = model.forward_cached(&input, &mut kv)?.squeeze(0)?;
    let logp = candle_nn::ops::log_softmax(&logits.to_dtype(candle_core::DType::F32)?, D::Minus1)?;
    let picked = logp.gather(&target.unsqueeze(1)?, 1)?;
    let total: f32 = picked.sum_all()?.to_scalar()?;
    if !total.is_finite() {
        return Err(HarnessError::Numerical(format!(
            "log-likelihood {total} on a window of {n} tokens"
        )));
    }
    Ok(-(total as f64))
}

/// Standard error of the mean of `xs` (0 for fewer than two).
fn std_error(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    if xs.len() < 2 {
        return 0.0;
    }
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (var / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, Transformer};
    use candle_core::{DType, Device};
    use candle_nn::{VarBuilder, VarMap};

    fn tiny() -> Transformer {
        let vm = VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
        Transformer::load(vb, &ModelConfig::tiny(16)).unwrap()
    }

    #[test]
    fn matches_the_hand_computed_log_likelihood() {
        let m = tiny();
        let ids: Vec<u32> = vec![1, 5, 3, 9, 2, 7, 4];
        let p = perplexity(&m, &ids, 4, CachePrecision::Full).unwrap();
        // Windows [1 5 3 9] and [2 7 4]: 3 + 2 tokens scored.
        assert_eq!((p.tokens, p.windows), (5, 2));
        let mut nll = 0.0;
        for w in ids.chunks(4) {
            let x = Tensor::new(w, &Device::Cpu).unwrap().unsqueeze(0).unwrap();
            let logits = m
                .forward_cached(&x, &mut m.new_cache(CachePrecision::Full))
                .unwrap();
            let lp = candle_nn::ops::log_softmax(&logits.squeeze(0).unwrap(), D::Minus1).unwrap();
            let lp: Vec<Vec<f32>> = lp.to_vec2().unwrap();
            for k in 1..w.len() {
                nll -= lp[k - 1][w[k] as usize] as f64;
            }
        }
        assert!(
            (p.mean_nll - nll / 5.0).abs() < 1e-5,
            "{} vs {}",
            p.mean_nll,
            nll / 5.0
        );
        assert!((p.perplexity - (nll / 5.0).exp()).abs() < 1e-4);
        let (lo, hi) = p.interval();
        assert!(lo <= p.perplexity && p.perplexity <= hi);
    }

    #[test]
    fn a_uniform_model_has_the_vocabulary_as_perplexity() {
        // Zero weights give uniform logits: perplexity = vocabulary size.
        let cfg = ModelConfig::tiny(16);
        let zeros = VarBuilder::zeros(DType::F32, &Device::Cpu);
        let m = Transformer::load(zeros, &cfg).unwrap();
        let p = perplexity(&m, &[3, 1, 4, 1, 5, 9, 2, 6], 8, CachePrecision::Full).unwrap();
        assert!((p.perplexity - 16.0).abs() < 1e-3, "{}", p.perplexity);
        assert!(perplexity(&m, &[3], 8, CachePrecision::Full).is_err());
        assert!(perplexity(&m, &[3, 4], 1, CachePrecision::Full).is_err());
    }
}
