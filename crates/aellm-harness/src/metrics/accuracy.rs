//! Accuracy: the task's metric on a split, decoding through the KV cache
//! the configuration uses (so an 8-bit cache shows in the score).

use crate::causal_lm::CausalLm;
use crate::error::Result;
use crate::model::CachePrecision;
use crate::tasks::{Example, TaskFamily, Vocabulary};
use candle_core::{D, Tensor};
use std::collections::BTreeMap;

/// Examples decoded together (same prompt length, so no padding is needed).
const CHUNK: usize = 32;

/// The task metric of `model` on `examples`, in [0, 1]: multiple-choice
/// accuracy by log-likelihood for [`TaskFamily::Choice`], exact match of the
/// greedy answer otherwise.
pub fn score<M: CausalLm, V: Vocabulary>(
    model: &M,
    tok: &V,
    family: TaskFamily,
    examples: &[Example],
    cache: CachePrecision,
) -> Result<f64> {
    if examples.is_empty() {
        return Ok(0.0);
    }
    let mut by_len: BTreeMap<usize, Vec<(&Example, Vec<u32>)>> = BTreeMap::new();
    for e in examples {
        let p = tok.encode(&e.prompt)?;
        by_len.entry(p.len()).or_default().push((e, p));
    }
    let mut right = 0usize;
    for group in by_len.values() {
        for chunk in group.chunks(CHUNK) {
            crate::error::stop_if_cancelled()?;
            right += match family {
                TaskFamily::Choice => choose(model, tok, chunk, cache)?,
                _ => generate(model, tok, chunk, cache)?,
            };
        }
    }
    Ok(right as f64 / examples.len() as f64)
}

/// Log-likelihood scoring: every option continues its prompt through the
/// cache; the most likely option is the answer. The prompts (one length in a
/// chunk) are prefilled once and their cache rows copied to each option;
/// options are grouped by length so each forward needs no padding.
fn choose<M: CausalLm, V: Vocabulary>(
    model: &M,
    tok: &V,
    chunk: &[(&Example, Vec<u32>)],
    cache: CachePrecision,
) -> Result<usize> {
    let mut best: Vec<(f64, usize)> = vec![(f64::NEG_INFINITY, usize::MAX); chunk.len()];
    for (i, j, l) in log_likelihoods(model, tok, chunk, cache)? {
        if (l as f64) > best[i].0 {
            best[i] = (l as f64, j);
        }
    }
    Ok(chunk
        .iter()
        .zip(best)
        .filter(|((e, _), (_, j))| e.choices.get(*j) == Some(&e.answer))
        .count())
}

/// (example, option, log-likelihood of the option given its prompt) for
/// every non-empty option of the chunk.
fn log_likelihoods<M: CausalLm, V: Vocabulary>(
    model: &M,
    tok: &V,
    chunk: &[(&Example, Vec<u32>)],
    cache: CachePrecision,
) -> Result<Vec<(usize, usize, f32)>> {
    let dev = model.device();
    let mut out = Vec::new();
    let plen = chunk[0].1.len();
    let prompts = |rows: &[usize]| -> Result<Tensor> {
        let ids: Vec<u32> = rows.iter().flat_map(|i| chunk[*i].1.clone()).collect();
        Ok(Tensor::from_vec(ids, (rows.len(), plen), dev)?)
    };
    let mut kv = model.new_cache(cache);
    let all: Vec<usize> = (0..chunk.len()).collect();
    // Logits predicting each prompt's first option token: its last position.
    let last = model
        .forward_cached(&prompts(&all)?, &mut kv)?
        .narrow(1, plen - 1, 1)?
        .contiguous()?;
    for (clen, opts) in options_by_len(tok, chunk)? {
        let rows: Vec<usize> = opts.iter().map(|(i, _, _)| *i).collect();
        let idx = Tensor::from_vec(
            rows.iter().map(|&i| i as u32).collect::<Vec<u32>>(),
            rows.len(),
            dev,
        )?;
        let (mut okv, first) = match model.select_cache_rows(&kv, &idx)? {
            Some(c) => (c, last.index_select(&idx, 0)?),
            None => {
                let mut c = model.new_cache(cache);
                let pre = model.forward_cached(&prompts(&rows)?, &mut c)?;
                (c, pre.narrow(1, plen - 1, 1)?)
            }
        };
        let cont: Vec<u32> = opts.iter().flat_map(|(_, _, t)| t.clone()).collect();
        let cont_t = Tensor::from_vec(cont, (rows.len(), clen), dev)?;
        let post = model.forward_cached(&cont_t, &mut okv)?;
        // Logits predicting option token k: the last prompt position, then the option's own.
        let logits = Tensor::cat(&[first, post.narrow(1, 0, clen - 1)?], 1)?;
        let logp = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let ll: Vec<f32> = logp
            .gather(&cont_t.unsqueeze(D::Minus1)?, D::Minus1)?
            .squeeze(D::Minus1)?
            .sum(1)?
            .to_vec1()?;
        out.extend(opts.iter().zip(ll).map(|((i, j, _), l)| (*i, *j, l)));
    }
    Ok(out)
}

/// Every non-empty option of the chunk as (example, option index, tokens),
/// grouped by token length.
type Options = BTreeMap<usize, Vec<(usize, usize, Vec<u32>)>>;

fn options_by_len<V: Vocabulary>(tok: &V, chunk: &[(&Example, Vec<u32>)]) -> Result<Options> {
    let mut by_len: Options = BTreeMap::new();
    for (i, (e, _)) in chunk.iter().enumerate() {
        for (j, c) in e.choices.iter().enumerate() {
            let t = tok.encode(c)?;
            if !t.is_empty() {
                by_len.entry(t.len()).or_default().push((i, j, t));
            }
        }
    }
    Ok(by_len)
}

/// Greedy decoding through the cache until the end marker; exact match.
fn generate<M: CausalLm, V: Vocabulary>(
    model: &M,
    tok: &V,
    chunk: &[(&Example, Vec<u32>)],
    cache: CachePrecision,
) -> Result<usize> {
    let dev = model.device();
    let (n, plen) = (chunk.len(), chunk[0].1.len());
    let max_new = chunk.iter().map(|(e, _)| e.answer.len()).max().unwrap_or(1) + 1;
    let prompts: Vec<u32> = chunk.iter().flat_map(|(_, p)| p.clone()).collect();
    let mut kv = model.new_cache(cache);
    let mut logits = model.forward_cached(&Tensor::from_vec(prompts, (n, plen), dev)?, &mut kv)?;
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut done = vec![false; n];
    for _ in 0..max_new {
        let next: Vec<u32> = logits
            .narrow(1, logits.dim(1)? - 1, 1)?
            .argmax(D::Minus1)?
            .flatten_all()?
            .to_vec1()?;
        for (i, &t) in next.iter().enumerate() {
            if !done[i] {
                if t == tok.end() {
                    done[i] = true;
                } else {
                    out[i].push(t);
                }
            }
        }
        if done.iter().all(|d| *d) {
            break;
        }
        logits = model.forward_cached(&Tensor::from_vec(next, (n, 1), dev)?, &mut kv)?;
    }
    Ok(chunk
        .iter()
        .zip(&out)
        .zip(&done)
        .filter(|(((e, _), o), d)| **d && tok.decode(o) == e.answer)
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelCache, ModelConfig, Transformer, seeded};
    use crate::tasks::Tokenizer;
    use candle_core::Device;

    /// The same model without cache-row selection: every option's prompt is
    /// prefilled again (the trait's default path).
    struct Reprefill(Transformer);

    impl CausalLm for Reprefill {
        type Cache = ModelCache;
        fn new_cache(&self, p: CachePrecision) -> ModelCache {
            self.0.new_cache(p)
        }
        fn forward_cached(&self, t: &Tensor, c: &mut ModelCache) -> Result<Tensor> {
            CausalLm::forward_cached(&self.0, t, c)
        }
        fn cache_bytes(&self, c: &ModelCache) -> usize {
            c.bytes()
        }
        fn weight_bytes(&self) -> usize {
            CausalLm::weight_bytes(&self.0)
        }
        fn vocab(&self) -> usize {
            CausalLm::vocab(&self.0)
        }
        fn device(&self) -> &Device {
            CausalLm::device(&self.0)
        }
    }

    #[test]
    fn one_prefill_scores_every_option_as_a_fresh_prefill_does() {
        let tok = Tokenizer;
        let (_vm, m) = seeded(ModelConfig::tiny(tok.vocab()), 3, &Device::Cpu).unwrap();
        let ex = |prompt: &str, choices: &[&str]| Example {
            prompt: prompt.into(),
            answer: choices[0].into(),
            choices: choices.iter().map(|c| c.to_string()).collect(),
        };
        // Options of one, two and three tokens, so the groups differ in rows.
        let examples = [
            ex("12+30=", &["42", "7", "123", "9"]),
            ex("45+11=", &["56", "5", "99", "600"]),
            ex("70+20=", &["90", "1", "2", "900"]),
        ];
        let chunk: Vec<(&Example, Vec<u32>)> = examples
            .iter()
            .map(|e| (e, tok.encode(&e.prompt).unwrap()))
            .collect();
        for cache in [CachePrecision::Full, CachePrecision::Int8] {
            let fast = log_likelihoods(&m, &tok, &chunk, cache).unwrap();
            let slow = log_likelihoods(&Reprefill(m.clone()), &tok, &chunk, cache).unwrap();
            assert_eq!(fast.len(), 12);
            let mut fast_sorted = fast.clone();
            fast_sorted.sort_by_key(|(i, j, _)| (*i, *j));
            let mut slow_sorted = slow.clone();
            slow_sorted.sort_by_key(|(i, j, _)| (*i, *j));
            for (a, b) in fast_sorted.iter().zip(&slow_sorted) {
                assert_eq!((a.0, a.1), (b.0, b.1));
                assert!((a.2 - b.2).abs() < 1e-4, "{cache:?} {a:?} vs {b:?}");
            }
            // Not all alike: the scores depend on the option.
            assert!(fast.iter().any(|x| (x.2 - fast[0].2).abs() > 1e-3));
        }
    }
}
