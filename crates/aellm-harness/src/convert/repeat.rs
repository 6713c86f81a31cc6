//! MHA from a GQA checkpoint by repeating each key/value head for the
//! query heads it serves: the same function, more key/value heads. MLA's
//! conversion starts from MHA, so a GQA checkpoint (SmolLM2, Llama-3)
//! reaches MLA through this.

use crate::checkpoint::Weights;
use crate::checkpoint::names::{AttnProj, TensorName};
use crate::error::{HarnessError, Result};
use crate::model::{AttentionConfig, ModelConfig};
use candle_core::Tensor;

/// Repeats each of the `kv_heads` heads of `w [kv_heads * d, hidden]` (or
/// of a bias `[kv_heads * d]`) `heads / kv_heads` times, in the order the
/// attention groups query heads (contiguous).
pub fn repeat_heads(w: &Tensor, kv_heads: usize, heads: usize) -> Result<Tensor> {
    if kv_heads == 0 || !heads.is_multiple_of(kv_heads) {
        return Err(HarnessError::Unsupported(format!(
            "cannot repeat {kv_heads} key/value heads into {heads}: they must divide the heads"
        )));
    }
    if w.rank() == 1 {
        return Ok(repeat_heads(&w.unsqueeze(1)?, kv_heads, heads)?.squeeze(1)?);
    }
    let (rows, hidden) = w.dims2()?;
    let d = rows / kv_heads;
    let r = heads / kv_heads;
    Ok(w.reshape((kv_heads, 1, d, hidden))?
        .broadcast_as((kv_heads, r, d, hidden))?
        .contiguous()?
        .reshape((heads * d, hidden))?)
}

/// The MHA model computing what the GQA model `cfg, w` computes.
pub fn to_mha(cfg: &ModelConfig, w: &Weights) -> Result<(ModelConfig, Weights)> {
    let AttentionConfig::Standard { kv_heads } = cfg.attention else {
        return Err(HarnessError::Unsupported(
            "MHA by repetition needs a standard-attention checkpoint".into(),
        ));
    };
    let mut out = w.clone();
    for layer in 0..cfg.layers {
        for proj in [AttnProj::K, AttnProj::V] {
            for bias in [false, true] {
                if bias && !cfg.qkv_bias {
                    continue;
                }
                let name = TensorName::Attn { layer, proj, bias }.to_string();
                let t = w.get(&name).ok_or_else(|| {
                    HarnessError::Invalid(format!("checkpoint has no weight `{name}`"))
                })?;
                out.insert(name, repeat_heads(t, kv_heads, cfg.heads)?);
            }
        }
    }
    let c = ModelConfig {
        attention: AttentionConfig::Standard {
            kv_heads: cfg.heads,
        },
        ..*cfg
    };
    c.check()?;
    Ok((c, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::weights_of;
    use crate::model::{Transformer, seeded};
    use candle_core::{DType, Device};
    use candle_nn::VarBuilder;

    #[test]
    fn the_repeated_model_computes_the_same_logits() {
        let cfg = ModelConfig {
            hidden: 64,
            heads: 4,
            attention: AttentionConfig::Standard { kv_heads: 2 },
            ..ModelConfig::tiny(30)
        };
        let (vm, gqa) = seeded(cfg, 3, &Device::Cpu).unwrap();
        let (mcfg, w) = to_mha(&cfg, &weights_of(&vm).unwrap()).unwrap();
        assert_eq!(mcfg.kv_heads(), 4);
        let mha = Transformer::load(VarBuilder::from_tensors(w, DType::F32, &Device::Cpu), &mcfg)
            .unwrap();
        let x = Tensor::new(&[[1u32, 4, 9, 16, 25, 7]], &Device::Cpu).unwrap();
        let a = gqa.forward(&x, None, None).unwrap().logits;
        let b = mha.forward(&x, None, None).unwrap().logits;
        let diff: f32 = (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar()
            .unwrap();
        assert!(diff < 1e-4, "{diff}");
    }
}
