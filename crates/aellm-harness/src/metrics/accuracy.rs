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
/// cache; the most likely option is the answer. Options are grouped by
/// length so each forward needs no padding.
fn choose<M: CausalLm, V: Vocabulary>(
    model: &M,
    tok: &V,
    chunk: &[(&Example, Vec<u32>)],
    cache: CachePrecision,
) -> Result<usize> {
    let dev = model.device();
    let mut best: Vec<(f64, usize)> = vec![(f64::NEG_INFINITY, usize::MAX); chunk.len()];
    // (example, option index, option tokens), grouped by option length.
    let mut by_len: BTreeMap<usize, Vec<(usize, usize, Vec<u32>)>> = BTreeMap::new();
    for (i, (e, _)) in chunk.iter().enumerate() {
        for (j, c) in e.choices.iter().enumerate() {
            let t = tok.encode(c)?;
            by_len.entry(t.len()).or_default().push((i, j, t));
        }
    }
    for (clen, opts) in by_len {
        if clen == 0 {
            continue;
        }
        let prompts: Vec<u32> = opts
            .iter()
            .flat_map(|(i, _, _)| chunk[*i].1.clone())
            .collect();
        let plen = chunk[0].1.len();
        let n = opts.len();
        let mut kv = model.new_cache(cache);
        let pre = model.forward_cached(&Tensor::from_vec(prompts, (n, plen), dev)?, &mut kv)?;
        let cont: Vec<u32> = opts.iter().flat_map(|(_, _, t)| t.clone()).collect();
        let cont_t = Tensor::from_vec(cont, (n, clen), dev)?;
        let post = model.forward_cached(&cont_t, &mut kv)?;
        // Logits predicting option token k: the last prompt position, then the option's own.
        let logits = Tensor::cat(
            &[pre.narrow(1, plen - 1, 1)?, post.narrow(1, 0, clen - 1)?],
            1,
        )?;
        let logp = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let ll: Vec<f32> = logp
            .gather(&cont_t.unsqueeze(D::Minus1)?, D::Minus1)?
            .squeeze(D::Minus1)?
            .sum(1)?
            .to_vec1()?;
        for ((i, j, _), l) in opts.iter().zip(ll) {
            if (l as f64) > best[*i].0 {
                best[*i] = (l as f64, *j);
            }
        }
    }
    Ok(chunk
        .iter()
        .zip(best)
        .filter(|((e, _), (_, j))| e.choices.get(*j) == Some(&e.answer))
        .count())
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
