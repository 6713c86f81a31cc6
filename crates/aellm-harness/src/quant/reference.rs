//! The quality reference of a weight-only quantized model: the same weights, dequantized once.
//!
//! Accuracy and perplexity depend on the values a layer multiplies by, not on the kernel. For
//! FP8 the kernel already decodes to f32 on every call, so decoding once gives the same numbers
//! faster. For INT4 (weight-only by definition: GPU kernels multiply 4-bit weights by FP16
//! activations) candle's CPU kernel also rounds activations to 8-bit blocks, an artefact of that
//! kernel; the reference multiplies f32 activations, as the format intends, and is 3-4x faster
//! on this CPU. For FP16 the reference holds the f16 weights widened to f32 and keeps the
//! activations in f32 (the kernel rounds them to f16, a relative 5e-4 per product); candle's f16
//! CPU matmul is about 1.6x slower than its f32 one. INT8 keeps its kernel (on CPU it is W8A8,
//! which SmoothQuant is about). Latency and memory are always measured on the served model,
//! never on this copy.

use super::WeightPrecision;
use crate::error::Result;
use crate::model::{Linear, Transformer};

/// A copy of `model` with every INT4, FP8 and FP16 layer replaced by its dequantized weight in f32
/// (a run-time input scale folded in: `(x / s)·Wᵀ = x·(W·diag(1/s))ᵀ`); `None` when the model has
/// no such layer, so the served model itself is the reference.
///
/// ```
/// use aellm_harness::model::{ModelConfig, seeded};
/// use aellm_harness::quant::weight_only_reference;
///
/// let (_vars, model) = seeded(ModelConfig::tiny(20), 0, &candle_core::Device::Cpu)?;
/// assert!(weight_only_reference(&model)?.is_none()); // nothing quantized: serve it as it is
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn weight_only_reference(model: &Transformer) -> Result<Option<Transformer>> {
    let mut copy = model.clone();
    let mut replaced = 0usize;
    for g in copy.groups() {
        for l in g.linears {
            let Linear::Quantized {
                linear,
                input_scale,
            } = &*l.linear
            else {
                continue;
            };
            if !matches!(
                linear.precision(),
                WeightPrecision::Int4 | WeightPrecision::Fp8 | WeightPrecision::Fp16
            ) {
                continue;
            }
            let w = linear.dequantized_weight()?;
            let w = match input_scale {
                Some(s) => w.broadcast_div(s)?,
                None => w,
            };
            *l.linear = Linear::dense(w);
            replaced += 1;
        }
    }
    Ok((replaced > 0).then_some(copy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, seeded};
    use crate::quant::tests::relative_error;
    use crate::quant::{QuantMethod, QuantSpec, quantize_model};
    use candle_core::{Device, Tensor};

    /// FP8's kernel decodes to f32 on every call: the reference is the same function. INT4's
    /// differs only by the 8-bit activation blocks of candle's CPU kernel, also where AWQ's
    /// scale is applied at run time; FP16's only by the kernel's f16 activations. INT8 (W8A8
    /// here) has no reference.
    #[test]
    fn the_reference_computes_what_the_weights_say() {
        let cfg = ModelConfig {
            hidden: 64,
            ffn: 128,
            ..ModelConfig::tiny(20)
        };
        let (_vm, m) = seeded(cfg, 4, &Device::Cpu).unwrap();
        let x = Tensor::new(&[[1u32, 5, 9, 2, 7, 3, 4, 8]], &Device::Cpu).unwrap();
        let rec = m.calibrate(std::slice::from_ref(&x)).unwrap();
        let logits = |m: &Transformer| m.forward(&x, None, None).unwrap().logits;
        // (format, method, most the reference may differ from the served model, least it must
        // differ from the f32 model)
        for (p, method, tol, quantized) in [
            (WeightPrecision::Fp8, None, 1e-5, 1e-4),
            (WeightPrecision::Int4, Some(QuantMethod::Awq), 2e-2, 1e-4),
            (WeightPrecision::Int4, Some(QuantMethod::Rtn), 2e-2, 1e-4),
            (WeightPrecision::Fp16, None, 2e-3, 1e-6),
        ] {
            let mut q = m.clone();
            quantize_model(&mut q, &rec, &QuantSpec::new(p, method)).unwrap();
            let mut r = weight_only_reference(&q)
                .unwrap()
                .expect("has weight-only layers");
            let e = relative_error(&logits(&r), &logits(&q));
            assert!(e < tol, "{p} {method:?}: {e}");
            // And the quantization is really there: the reference is not the f32 model.
            let from_f32 = relative_error(&logits(&r), &logits(&m));
            assert!(from_f32 > quantized, "{p}: {from_f32}");
            assert!(r.groups().iter().all(|g| {
                g.linears
                    .iter()
                    .all(|l| !matches!(l.linear, Linear::Quantized { .. }))
            }));
        }
        let mut q = m.clone();
        let spec = QuantSpec::new(WeightPrecision::Int8, Some(QuantMethod::SmoothQuant));
        quantize_model(&mut q, &rec, &spec).unwrap();
        assert!(weight_only_reference(&q).unwrap().is_none());
    }
}
