//! How the quantizers' settings for the real model were chosen: perplexity
//! on the *validation* split of the text (chapters 10-13 of Persuasion; the
//! figures `real_model` reports are on the test split) for each candidate
//! calibration size, GPTQ dampening and SmoothQuant migration strength.
//! The choices are the constants of `aellm_harness::pretrained::quantize`
//! and are written up in `docs/models.md`.
//!
//! ```text
//! cargo run --release --example real_quant_choices             # 4,096 validation tokens
//! cargo run --release --example real_quant_choices -- 2048     # fewer
//! ```

use aellm::harness::model::{CachePrecision, Recorder, Transformer};
use aellm::harness::pretrained::data::{Split, real_text};
use aellm::harness::pretrained::load;
use aellm::harness::pretrained::perplexity::perplexity;
use aellm::harness::pretrained::quantize::{Calibration, Scheme};
use aellm::harness::quant::{QuantMethod, QuantSpec, WeightPrecision};
use anyhow::Result;
use std::time::Instant;

fn main() -> Result<()> {
    let tokens: usize = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .map_err(|_| anyhow::anyhow!("{a:?}: give a number of validation tokens"))?,
        None => 4096,
    };
    let device = aellm::harness::device::best();
    let p = load("smollm2-135m", &device)?;
    let m = p.transformer(&device)?;
    let val = p.tokenizer.encode(&real_text(Split::Validation)?)?;
    let ids = &val[..tokens.min(val.len())];
    let train = p.tokenizer.encode(&real_text(Split::Train)?)?;
    let ppl = |q: &Transformer| perplexity(q, ids, 512, CachePrecision::Full);
    let base = ppl(&m)?;
    println!(
        "validation perplexity on {} tokens (measured): base {:.3}",
        base.tokens, base.perplexity
    );
    for sequences in [2, 8] {
        let cal = Calibration {
            sequences,
            seq_len: 256,
        };
        let rec = cal.record(&m, &train)?;
        println!("calibration: {} train tokens", cal.tokens());
        for spec in candidates(sequences == 2) {
            let t0 = Instant::now();
            let q = quantized(&m, &rec, spec)?;
            let v = ppl(&q)?;
            println!(
                "  {:<18} group {:>3} damp {:<5} alpha {:<4} perplexity {:.3} ({:+.2}%; {:.0} s)",
                Scheme::Quant(spec).label(),
                spec.group_size,
                spec.gptq_damp,
                spec.smoothquant_alpha,
                v.perplexity,
                100.0 * (v.perplexity / base.perplexity - 1.0),
                t0.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// The settings tried at one calibration size; RTN and SmoothQuant's α only
/// once (RTN reads no activations; SmoothQuant only their maxima).
fn candidates(first: bool) -> Vec<QuantSpec> {
    use QuantMethod::{Awq, Gptq, Rtn, SmoothQuant};
    use WeightPrecision::{Int4, Int8};
    let mut v = vec![
        QuantSpec::new(Int4, Some(Gptq)),
        QuantSpec {
            gptq_damp: 0.1,
            ..QuantSpec::new(Int4, Some(Gptq))
        },
        QuantSpec::new(Int4, Some(Awq)),
    ];
    if first {
        v.push(QuantSpec::new(Int4, Some(Rtn)));
        for alpha in [0.5, 0.8] {
            v.push(QuantSpec {
                smoothquant_alpha: alpha,
                ..QuantSpec::new(Int8, Some(SmoothQuant))
            });
        }
    }
    v
}

fn quantized(m: &Transformer, rec: &Recorder, spec: QuantSpec) -> Result<Transformer> {
    let mut q = m.clone();
    Scheme::Quant(spec).apply(&mut q, rec)?;
    Ok(q)
}
