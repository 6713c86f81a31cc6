//! The inference stage: the KV-cache layout and weight quantization of a
//! fine-tuned model.

use crate::convert::{Weights, pool_heads};
use crate::error::{HarnessError, Result};
use crate::model::{
    AttentionConfig, AttentionLayer, CachePrecision, FfnLayer, Linear, ModelConfig, Recorder,
    SwiGlu, Transformer,
};
use crate::quant::{QuantError, QuantSpec, QuantizedGroup, quantize_group};
use aellm_space::KvCache;
use candle_core::{DType, Module, Tensor};

/// Applies a KV-cache layout: MQA- and GQA-style mean-pool the key/value
/// projections (pooling the projection equals pooling the rotated keys and
/// values, both being linear), INT8 stores the cache in 8 bits.
pub fn kv_layout(
    cfg: &ModelConfig,
    w: &Weights,
    layout: KvCache,
) -> Result<(ModelConfig, Weights, CachePrecision)> {
    let pooled = |groups: usize| -> Result<(ModelConfig, Weights, CachePrecision)> {
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
        let mut out = w.clone();
        for i in 0..cfg.layers {
            for p in ["k", "v"] {
                let name = format!("layers.{i}.attn.{p}.weight");
                let t = w
                    .get(&name)
                    .ok_or_else(|| HarnessError::Invalid(format!("no weight `{name}`")))?;
                out.insert(name, pool_heads(t, kv_heads, groups)?);
            }
        }
        let c = ModelConfig {
            attention: AttentionConfig::Standard { kv_heads: groups },
            ..*cfg
        };
        Ok((c, out, CachePrecision::Full))
    };
    match layout {
        KvCache::Full => Ok((*cfg, w.clone(), CachePrecision::Full)),
        KvCache::Int8 => Ok((*cfg, w.clone(), CachePrecision::Int8)),
        KvCache::MqaStyle => pooled(1),
        KvCache::GqaStyle => {
            pooled((cfg.heads / KvCache::GQA_STYLE_HEADS_PER_GROUP as usize).max(1))
        }
    }
}

fn quant_err(group: &str, e: QuantError) -> HarnessError {
    match e {
        QuantError::InDimNotMultiple { .. } => {
            HarnessError::Unsupported(format!("quantizing {group}: {e}"))
        }
        e => HarnessError::Quant(format!("{group}: {e}")),
    }
}

fn dense_weights<'a>(ls: &[&'a Linear], group: &str) -> Result<Vec<&'a Tensor>> {
    ls.iter()
        .map(|l| {
            l.weight()
                .ok_or_else(|| HarnessError::Invalid(format!("{group} is already quantized")))
        })
        .collect()
}

/// Quantizes one group of linears reading the same input. With `fold`,
/// the activation scale is folded into that norm gain (`gain / s`);
/// otherwise each linear divides its input at run time.
fn group(
    ls: &mut [&mut Linear],
    rows: &Tensor,
    spec: &QuantSpec,
    name: &str,
    fold: Option<&mut Tensor>,
) -> Result<()> {
    let ws: Vec<Tensor> = {
        let refs: Vec<&Linear> = ls.iter().map(|l| &**l).collect();
        dense_weights(&refs, name)?
            .into_iter()
            .map(|t| t.to_dtype(DType::F32))
            .collect::<candle_core::Result<_>>()?
    };
    let wr: Vec<&Tensor> = ws.iter().collect();
    let QuantizedGroup {
        linears,
        input_scale,
    } = quantize_group(&wr, rows, spec).map_err(|e| quant_err(name, e))?;
    let runtime = match (input_scale, fold) {
        (Some(s), Some(gain)) => {
            *gain = gain.broadcast_div(&s.to_dtype(gain.dtype())?)?;
            None
        }
        (s, _) => s,
    };
    for (l, q) in ls.iter_mut().zip(linears) {
        **l = Linear::Quantized {
            linear: q,
            input_scale: runtime.clone(),
        };
    }
    Ok(())
}

fn rows(calib: &Recorder, name: &str) -> Result<Tensor> {
    calib
        .rows(name)
        .ok_or_else(|| HarnessError::Invalid(format!("no calibration inputs recorded for {name}")))?
        .map_err(HarnessError::from)
}

fn expert(f: &mut SwiGlu, calib: &Recorder, fallback: &Tensor, spec: &QuantSpec) -> Result<()> {
    let name = f.name().to_string();
    // An expert no calibration token was routed to sees the layer's inputs instead.
    let (x, h) = match (
        calib.rows(&format!("{name}.gate_up")),
        calib.rows(&format!("{name}.down")),
    ) {
        (Some(x), Some(h)) => (x?, h?),
        _ => {
            let h =
                (candle_nn::ops::silu(&f.gate.forward(fallback)?)? * f.up.forward(fallback)?)?;
            (fallback.clone(), h)
        }
    };
    group(
        &mut [&mut f.gate, &mut f.up],
        &x,
        spec,
        &format!("{name}.gate_up"),
        None,
    )?;
    group(&mut [&mut f.down], &h, spec, &format!("{name}.down"), None)
}

/// Quantizes every linear of `model` except MoE routers (kept in f32, as
/// is common), using the inputs `calib` recorded on calibration data, and
/// stores the embedding in f16. AWQ/SmoothQuant scales are folded into the
/// preceding RMSNorm where one feeds the group, and applied at run time otherwise.
pub fn quantize(model: &mut Transformer, calib: &Recorder, spec: &QuantSpec) -> Result<()> {
    model.embed = model.embed.to_dtype(DType::F16)?;
    for (i, b) in model.blocks.iter_mut().enumerate() {
        let p = format!("layers.{i}");
        let gain = &mut b.attn_norm.weight;
        match &mut b.attn {
            AttentionLayer::Standard(a) => {
                let n = format!("{p}.attn.qkv");
                group(
                    &mut [&mut a.q, &mut a.k, &mut a.v],
                    &rows(calib, &n)?,
                    spec,
                    &n,
                    Some(gain),
                )?;
                let n = format!("{p}.attn.o");
                group(&mut [&mut a.o], &rows(calib, &n)?, spec, &n, None)?;
            }
            AttentionLayer::Latent(a) => {
                let n = format!("{p}.attn.in");
                group(
                    &mut [&mut a.q, &mut a.q_rope, &mut a.kv_down, &mut a.k_rope],
                    &rows(calib, &n)?,
                    spec,
                    &n,
                    Some(gain),
                )?;
                let n = format!("{p}.attn.up");
                group(
                    &mut [&mut a.k_up, &mut a.v_up],
                    &rows(calib, &n)?,
                    spec,
                    &n,
                    None,
                )?;
                let n = format!("{p}.attn.o");
                group(&mut [&mut a.o], &rows(calib, &n)?, spec, &n, None)?;
            }
        }
        match &mut b.ffn {
            FfnLayer::Dense(f) => {
                let n = format!("{p}.ffn.gate_up");
                group(
                    &mut [&mut f.gate, &mut f.up],
                    &rows(calib, &n)?,
                    spec,
                    &n,
                    Some(&mut b.ffn_norm.weight),
                )?;
                let n = format!("{p}.ffn.down");
                group(&mut [&mut f.down], &rows(calib, &n)?, spec, &n, None)?;
            }
            FfnLayer::Moe(m) => {
                let all = rows(calib, &format!("{p}.ffn.router"))?;
                for f in m.experts.iter_mut() {
                    expert(f, calib, &all, spec)?;
                }
            }
        }
    }
    group(
        &mut [&mut model.lm_head],
        &rows(calib, "lm_head")?,
        spec,
        "lm_head",
        Some(&mut model.norm.weight),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::weights_of;
    use crate::model::{FfnConfig, seeded};
    use crate::quant::{QuantMethod, WeightPrecision};
    use candle_core::Device;

    fn cfg() -> ModelConfig {
        ModelConfig {
            hidden: 64,
            ffn: 128,
            ..ModelConfig::tiny(20)
        }
    }

    fn relative_error(a: &Tensor, b: &Tensor) -> f32 {
        let d = (a - b).unwrap().sqr().unwrap().sum_all().unwrap();
        let n = b.sqr().unwrap().sum_all().unwrap();
        (d.to_scalar::<f32>().unwrap() / n.to_scalar::<f32>().unwrap()).sqrt()
    }

    #[test]
    fn quantized_models_track_the_full_precision_one_and_int4_is_small() {
        for ffn_kind in [
            FfnConfig::Dense,
            FfnConfig::Moe {
                experts: 2,
                top_k: 1,
                expert_ffn: 64,
            },
        ] {
            let c = ModelConfig { ffn_kind, ..cfg() };
            let (_vm, m) = seeded(c, 9, &Device::Cpu).unwrap();
            let x = Tensor::new(
                &[[1u32, 5, 9, 2, 7, 3, 4, 8], [2, 2, 6, 1, 0, 9, 3, 5]],
                &Device::Cpu,
            )
            .unwrap();
            let mut rec = Recorder::default();
            let reference = m.forward(&x, None, Some(&mut rec)).unwrap().logits;
            let fp16_bytes = {
                let mut q = m.clone();
                quantize(&mut q, &rec, &QuantSpec::new(WeightPrecision::Fp16, None)).unwrap();
                let e = relative_error(&q.forward(&x, None, None).unwrap().logits, &reference);
                assert!(e < 1e-2, "{ffn_kind:?} FP16: {e}");
                q.weight_bytes()
            };
            for (p, method, tol) in [
                (WeightPrecision::Int8, Some(QuantMethod::SmoothQuant), 0.1),
                (WeightPrecision::Int4, Some(QuantMethod::Awq), 0.5),
                (WeightPrecision::Int4, Some(QuantMethod::Gptq), 0.5),
            ] {
                let mut q = m.clone();
                quantize(&mut q, &rec, &QuantSpec::new(p, method)).unwrap();
                // A wrongly applied activation scale would wreck the output.
                let e = relative_error(&q.forward(&x, None, None).unwrap().logits, &reference);
                assert!(e < tol, "{ffn_kind:?} {p} {method:?}: relative error {e}");
                if p == WeightPrecision::Int4 {
                    let r = q.weight_bytes() as f64 / fp16_bytes as f64;
                    assert!(r <= 0.35, "INT4 / FP16 weight bytes {r}");
                }
            }
        }
    }

    #[test]
    fn kv_layouts_pool_heads_or_refuse() {
        let c = ModelConfig {
            heads: 8,
            attention: AttentionConfig::Standard { kv_heads: 8 },
            ..cfg()
        };
        let (vm, _) = seeded(c, 1, &Device::Cpu).unwrap();
        let w = weights_of(&vm).unwrap();
        let (mq, _, p) = kv_layout(&c, &w, KvCache::MqaStyle).unwrap();
        assert_eq!((mq.kv_heads(), p), (1, CachePrecision::Full));
        let (gq, _, _) = kv_layout(&c, &w, KvCache::GqaStyle).unwrap();
        assert_eq!(gq.kv_heads(), 2);
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
