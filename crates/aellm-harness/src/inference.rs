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
