//! Turning examples into padded training batches.

use super::{Example, Tokenizer, Vocabulary};
use crate::error::Result;
use candle_core::{Device, Tensor};

/// Inputs, next-token targets and a loss mask covering the answer and its
/// end marker (the prompt is given, not learned).
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[b, t]` u32.
    pub input: Tensor,
    /// `[b, t]` u32.
    pub target: Tensor,
    /// `[b, t]` f32, 1 where the target is part of the answer.
    pub mask: Tensor,
}

/// A right-padded batch of `prompt + answer + "."` sequences in the
/// built-in character tokenizer.
pub fn batch(examples: &[&Example], device: &Device) -> Result<Batch> {
    batch_with(&Tokenizer, examples, device)
}

/// A right-padded batch of `prompt + answer + end` sequences in `tok`.
pub fn batch_with<V: Vocabulary>(tok: &V, examples: &[&Example], device: &Device) -> Result<Batch> {
    let mut seqs = Vec::with_capacity(examples.len());
    for e in examples {
        let p = tok.encode(&e.prompt)?;
        let mut s = p.clone();
        s.extend(tok.encode(&e.answer)?);
        s.push(tok.end());
        seqs.push((p.len(), s));
    }
    let pad = tok.pad();
    let t = seqs.iter().map(|(_, s)| s.len() - 1).max().unwrap_or(1);
    let (mut inp, mut tgt, mut mask) = (Vec::new(), Vec::new(), Vec::new());
    for (plen, s) in &seqs {
        for i in 0..t {
            inp.push(*s.get(i).unwrap_or(&pad));
            tgt.push(*s.get(i + 1).unwrap_or(&pad));
            mask.push(if i + 1 >= *plen && i + 1 < s.len() {
                1f32
            } else {
                0.0
            });
        }
    }
    let b = seqs.len();
    Ok(Batch {
        input: Tensor::from_vec(inp, (b, t), device)?,
        target: Tensor::from_vec(tgt, (b, t), device)?,
        mask: Tensor::from_vec(mask, (b, t), device)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_covers_answer_and_end_only() {
        let e = Example {
            prompt: "1+2=".into(),
            answer: "3".into(),
            choices: vec![],
        };
        let b = batch(&[&e], &Device::Cpu).unwrap();
        let m: Vec<f32> = b.mask.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(m, vec![0., 0., 0., 1., 1.]);
        let t: Vec<u32> = b.target.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(Tokenizer.decode(&t), "+2=3.");
    }
}
