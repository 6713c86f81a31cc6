//! The quantizers on SmolLM2-135M-Instruct's real weights, calibrated on the
//! train split of the real text, when `scripts/fetch-model.sh` has fetched
//! the model (CI does); skipped with a message otherwise. Small sizes, so the
//! test stays quick on 2 cores: each fails if its algorithm is broken.

use aellm_harness::model::{CachePrecision, Transformer};
use aellm_harness::pretrained::data::{Split, real_text};
use aellm_harness::pretrained::perplexity::perplexity;
use aellm_harness::pretrained::quantize::{Calibration, Scheme};
use aellm_harness::pretrained::{Pretrained, load, resolve};
use aellm_harness::quant::{QuantMethod, QuantSpec, WeightPrecision, quantize_group};
use candle_core::{DType, Device, Tensor};
use std::sync::OnceLock;

/// The model and its harness transformer, once for every test of this
/// file; `None` (with a message) when absent.
fn smollm2() -> Option<&'static (Pretrained, Transformer)> {
    static MODEL: OnceLock<Option<(Pretrained, Transformer)>> = OnceLock::new();
    MODEL
        .get_or_init(|| match resolve("smollm2-135m") {
            Ok(_) => {
                let p = load("smollm2-135m", &Device::Cpu).unwrap();
                let m = p.transformer(&Device::Cpu).unwrap();
                Some((p, m))
            }
            Err(e) => {
                eprintln!("skipped: {e}");
                None
            }
        })
        .as_ref()
}

fn tokens(p: &Pretrained, split: Split) -> Vec<u32> {
    p.tokenizer.encode(&real_text(split).unwrap()).unwrap()
}

/// INT8 round-to-nearest of every linear (and the LM head) moves perplexity
/// on 1,024 held-out tokens by under 3%; a wrong scale, block layout or
/// group walk would move it by far more.
#[test]
fn int8_rtn_stays_within_three_percent_of_the_base_perplexity() {
    let Some((p, base)) = smollm2() else { return };
    let test = tokens(p, Split::Test);
    let ids = &test[..1024];
    let before = perplexity(base, ids, 512, CachePrecision::Full).unwrap();
    // RTN reads no activations; the record only names the groups.
    let cal = Calibration {
        sequences: 1,
        seq_len: 16,
    };
    let rec = cal.record(base, &tokens(p, Split::Train)).unwrap();
    let mut q = base.clone();
    let spec = QuantSpec::new(WeightPrecision::Int8, Some(QuantMethod::Rtn));
    Scheme::Quant(spec).apply(&mut q, &rec).unwrap();
    let after = perplexity(&q, ids, 512, CachePrecision::Full).unwrap();
    let ratio = after.perplexity / before.perplexity;
    eprintln!(
        "perplexity on {} tokens: base {:.3}, INT8 RTN {:.3}",
        before.tokens, before.perplexity, after.perplexity
    );
    assert!(before.perplexity < 80.0, "base {}", before.perplexity);
    assert!(
        (0.97..1.03).contains(&ratio),
        "INT8 / base perplexity {ratio}"
    );
    // Not a quarter of f32: the embedding table stays f16 (49,152 × 576 × 2
    // bytes = 56.6 MB) and the tied LM head is quantized beside it. Measured
    // 199.6 of 538.1 MB (37%).
    assert!(
        q.weight_bytes() * 5 < base.weight_bytes() * 2,
        "INT8 {} vs f32 {} bytes",
        q.weight_bytes(),
        base.weight_bytes()
    );
}

/// `‖X·Wᵀ − X·Q(W)ᵀ‖² / ‖X·Wᵀ‖²` over held-out rows `x`, summed over the group.
fn output_error(ws: &[Tensor], qs: &[Tensor], x: &Tensor) -> f32 {
    let mut num = 0f32;
    let mut den = 0f32;
    for (w, q) in ws.iter().zip(qs) {
        let y = x.matmul(&w.t().unwrap()).unwrap();
        let d = (x.matmul(&q.t().unwrap()).unwrap() - &y).unwrap();
        num += sum_sq(&d);
        den += sum_sq(&y);
    }
    num / den
}

fn sum_sq(t: &Tensor) -> f32 {
    t.sqr().unwrap().sum_all().unwrap().to_scalar().unwrap()
}

/// On a real layer (block 3's q, k, v, which read one normed input),
/// calibrated on 512 train tokens and judged on 256 validation tokens'
/// activations: INT4 GPTQ and INT4 AWQ reconstruct the layer's output with
/// clearly less error than INT4 round-to-nearest. GPTQ without its error
/// compensation, or AWQ with a wrongly applied scale, would not.
#[test]
fn gptq_and_awq_reconstruct_a_real_layer_better_than_rtn() {
    let Some((p, base)) = smollm2() else { return };
    let group = "layers.3.attn.qkv";
    let rows = |split, sequences, seq_len| {
        let cal = Calibration { sequences, seq_len };
        let rec = cal.record(base, &tokens(p, split)).unwrap();
        rec.rows(group).unwrap().unwrap()
    };
    let (train, held_out) = (rows(Split::Train, 2, 256), rows(Split::Validation, 1, 256));
    let mut m = base.clone();
    let ws: Vec<Tensor> = m
        .groups()
        .into_iter()
        .find(|g| g.name == group)
        .unwrap()
        .linears
        .iter()
        .map(|l| l.linear.weight().unwrap().to_dtype(DType::F32).unwrap())
        .collect();
    assert_eq!(ws.len(), 3);
    let wr: Vec<&Tensor> = ws.iter().collect();
    let error = |method| {
        let spec = QuantSpec::new(WeightPrecision::Int4, Some(method));
        let g = quantize_group(&wr, &train, &spec).unwrap();
        // AWQ's weights hold W·diag(s): the layer sees x / s.
        let x = g.scale_input(&held_out).unwrap();
        let qs: Vec<Tensor> = g
            .linears
            .iter()
            .map(|l| l.dequantized_weight().unwrap())
            .collect();
        let shown: Vec<Tensor> = match &g.input_scale {
            None => ws.clone(),
            Some(s) => ws.iter().map(|w| w.broadcast_mul(s).unwrap()).collect(),
        };
        output_error(&shown, &qs, &x)
    };
    let (rtn, gptq, awq) = (
        error(QuantMethod::Rtn),
        error(QuantMethod::Gptq),
        error(QuantMethod::Awq),
    );
    eprintln!("{group} relative output error: RTN {rtn:.5}, GPTQ {gptq:.5}, AWQ {awq:.5}");
    assert!(rtn > 0.0 && rtn < 0.1, "RTN {rtn}");
    assert!(gptq < 0.9 * rtn, "GPTQ {gptq} vs RTN {rtn}");
    assert!(awq < 0.97 * rtn, "AWQ {awq} vs RTN {rtn}");
}
