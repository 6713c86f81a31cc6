//! Quantizing a whole model: every calibration group a layer lists, with
//! the inputs recorded on calibration data.

use super::nf4::{Constants, Nf4Linear};
use super::{QuantError, QuantSpec, QuantizedGroup, quantize_group};
use crate::error::{HarnessError, Result};
use crate::finetune::Frozen;
use crate::model::Linear;
use crate::model::{LinearGroup, LinearRole, Recorder, Transformer};
use candle_core::{DType, Tensor};

/// Quantizes every linear of `model` except MoE routers (kept in f32, as
/// is common), using the inputs `calib` recorded on calibration data (see
/// [`Transformer::calibrate`]), and stores the embedding in f16.
/// AWQ/SmoothQuant scales are folded into the preceding RMSNorm where one
/// alone feeds the group, and applied at run time otherwise.
pub fn quantize_model(model: &mut Transformer, calib: &Recorder, spec: &QuantSpec) -> Result<()> {
    model.embed = model.embed.to_dtype(DType::F16)?;
    for g in model.groups() {
        if g.linears.iter().all(|l| l.role == LinearRole::Router) {
            continue;
        }
        let rows = calib
            .rows(&g.name)
            .ok_or_else(|| {
                HarnessError::Invalid(format!(
                    "no calibration inputs recorded for {}: run Transformer::calibrate first",
                    g.name
                ))
            })?
            .map_err(HarnessError::from)?;
        quantize_one(g, &rows, spec)?;
    }
    Ok(())
}

/// Puts every linear of `model` except MoE routers in QLoRA's 4-bit
/// NormalFloat (blocks of 64, double-quantized constants), held packed and
/// multiplied by [`Nf4Linear`], and stores the embedding in f16, as
/// [`quantize_model`] does. NF4 needs no calibration.
pub fn quantize_model_nf4(model: &mut Transformer) -> Result<()> {
    model.embed = model.embed.to_dtype(DType::F16)?;
    for g in model.groups() {
        for l in g.linears {
            if l.role == LinearRole::Router {
                continue;
            }
            let w = dense_weight(l.linear, &l.name)?;
            let q = Nf4Linear::from_tensor(&w, Constants::DoubleQuantized)
                .map_err(|e| quant_err(&l.name, e))?;
            *l.linear = Linear::Frozen(Frozen::Nf4(q));
        }
    }
    Ok(())
}

/// The layer's full-precision weight in f32, or an error naming it when it
/// has none (already quantized or adapted).
fn dense_weight(linear: &Linear, name: &str) -> Result<Tensor> {
    Ok(linear
        .weight()
        .ok_or_else(|| HarnessError::Invalid(format!("{name} is already quantized")))?
        .to_dtype(DType::F32)?)
}

fn quant_err(group: &str, e: QuantError) -> HarnessError {
    match e {
        QuantError::InDimNotMultiple { .. } => {
            HarnessError::Unsupported(format!("quantizing {group}: {e}"))
        }
        source => HarnessError::Quant {
            group: group.to_string(),
            source,
        },
    }
}

/// Quantizes one group. With a norm gain, the activation scale is folded
/// into it (`gain / s`); otherwise each linear divides its input at run time.
fn quantize_one(g: LinearGroup<'_>, rows: &Tensor, spec: &QuantSpec) -> Result<()> {
    let ws = g
        .linears
        .iter()
        .map(|l| dense_weight(l.linear, &l.name))
        .collect::<Result<Vec<Tensor>>>()?;
    let wr: Vec<&Tensor> = ws.iter().collect();
    let QuantizedGroup {
        linears,
        input_scale,
    } = quantize_group(&wr, rows, spec).map_err(|e| quant_err(&g.name, e))?;
    let runtime = match (input_scale, g.norm_gain) {
        (Some(s), Some(gain)) => {
            *gain = gain.broadcast_div(&s.to_dtype(gain.dtype())?)?;
            None
        }
        (s, _) => s,
    };
    for (l, q) in g.linears.into_iter().zip(linears) {
        *l.linear = Linear::Quantized {
            linear: q,
            input_scale: runtime.clone(),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FfnConfig, ModelConfig, seeded};
    use crate::quant::tests::relative_error;
    use crate::quant::{QuantMethod, WeightPrecision};
    use candle_core::Device;

    fn cfg() -> ModelConfig {
        ModelConfig {
            hidden: 64,
            ffn: 128,
            ..ModelConfig::tiny(20)
        }
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
            let rec = m.calibrate(std::slice::from_ref(&x)).unwrap();
            let reference = m.forward(&x, None, None).unwrap().logits;
            let fp16_bytes = {
                let mut q = m.clone();
                quantize_model(&mut q, &rec, &QuantSpec::new(WeightPrecision::Fp16, None)).unwrap();
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
                quantize_model(&mut q, &rec, &QuantSpec::new(p, method)).unwrap();
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
    fn nf4_model_tracks_the_full_precision_one_in_a_seventh_of_the_bytes() {
        let (_vm, m) = seeded(cfg(), 3, &Device::Cpu).unwrap();
        let x = Tensor::new(&[[1u32, 5, 9, 2, 7, 3, 4, 8]], &Device::Cpu).unwrap();
        let reference = m.forward(&x, None, None).unwrap().logits;
        let mut q = m.clone();
        quantize_model_nf4(&mut q).unwrap();
        let e = relative_error(&q.forward(&x, None, None).unwrap().logits, &reference);
        assert!(e > 0.0 && e < 0.3, "NF4 relative error {e}");
        let r = q.weight_bytes() as f64 / m.weight_bytes() as f64;
        assert!(r < 0.3, "NF4 / f32 weight bytes {r}");
        // A second pass finds no dense weight left to quantize.
        assert!(quantize_model_nf4(&mut q).is_err());
    }
}
