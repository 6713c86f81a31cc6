//! A real pretrained model in the harness: SmolLM2-135M-Instruct (or any
//! Llama-family checkpoint given as the argument) read into the harness's
//! own transformer, then its perplexity on held-out English, its accuracy on
//! the project's science questions, its weight and KV-cache bytes, and the
//! perplexity and weight bytes of every quantizer applied to its real
//! weights (calibrated on the train split of the text; the quantizers'
//! settings are their papers' defaults, not tuned here).
//!
//! ```text
//! scripts/fetch-model.sh smollm2-135m          # once, about 93 MB
//! cargo run --release --example real_model     # or: -- path/to/model
//! cargo run --release --example real_model -- --tokens 2048   # a quick look
//! ```
//! Each figure says how it was obtained: measured (the model run here),
//! counted (bytes of the tensors the model holds) or estimated (a formula of
//! `aellm_space::footprint`).

use aellm::harness::CausalLm;
use aellm::harness::checkpoint::trainable;
use aellm::harness::convert;
use aellm::harness::device::Device;
use aellm::harness::metrics::accuracy::score;
use aellm::harness::model::CachePrecision;
use aellm::harness::model::Transformer;
use aellm::harness::pretrained::cache_bytes::kv_bytes_per_token;
use aellm::harness::pretrained::data::{MC_CHANCE, Split, real_text, science_questions};
use aellm::harness::pretrained::perplexity::{Perplexity, perplexity};
use aellm::harness::pretrained::quantize::{Calibration, Scheme};
use aellm::harness::pretrained::{Pretrained, load};
use aellm::harness::quant::{QuantSpec, weight_only_reference};
use aellm::harness::tasks::TaskFamily;
use aellm::space::footprint::{Footprint, FootprintOptions, matrix_bytes};
use aellm::space::{Attention, Configuration, KvCache, WeightPrecision};
use anyhow::Result;
use std::time::Instant;

/// Tokens of held-out text the perplexity is measured on (the issue asks for at least 20k).
const PPL_TOKENS: usize = 20_480;
/// Tokens per perplexity window.
const WINDOW: usize = 512;

fn main() -> Result<()> {
    let (model, tokens) = args()?;
    let device = aellm::harness::device::best();
    let t0 = Instant::now();
    let p = load(&model, &device)?;
    let m = p.transformer(&device)?;
    println!(
        "{} ({:?}), read in {:.1} s; running on {device:?}",
        p.name,
        p.format,
        t0.elapsed().as_secs_f64()
    );
    println!(
        "  {} parameters (counted), stored as {} ({:.2} bits/weight, {:.1} MB in the file): the dense \
         weights below are this file dequantized",
        p.parameters(),
        p.precision.name,
        p.precision.bits_per_weight,
        p.precision.bytes as f64 / 1e6
    );
    weight_bytes(&p, m.weight_bytes());
    kv_bytes(&p, &m)?;
    let base = quality(&p, &m, tokens)?;
    attention_conversions(&p, &base, &device)?;
    quantized(&p, &m, &base)?;
    Ok(())
}

/// The model (first free argument, default `smollm2-135m`) and `--tokens N`
/// (held-out tokens for perplexity, default 20,480).
fn args() -> Result<(String, usize)> {
    let mut model = "smollm2-135m".to_string();
    let mut tokens = PPL_TOKENS;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--tokens" {
            let v = it.next().unwrap_or_default();
            tokens = v.parse().map_err(|_| {
                anyhow::anyhow!("--tokens {v:?}: give a number of tokens, e.g. 20480")
            })?;
        } else {
            model = a;
        }
    }
    Ok((model, tokens))
}

/// Weight bytes of the checkpoint's own matrices at each precision.
fn weight_bytes(p: &Pretrained, dense: usize) {
    println!("\nweight bytes");
    println!(
        "  dense f32 in memory: {:.1} MB (counted)",
        dense as f64 / 1e6
    );
    let o = FootprintOptions::default();
    for prec in WeightPrecision::ALL {
        // Matrices at `prec`, vectors (norms) at FP16; the tied embedding once.
        let bytes: f64 = p
            .weights
            .values()
            .map(|t| match t.dims() {
                [out, inp] => matrix_bytes(*inp as u64, *out as u64, prec, &o),
                d => 2.0 * d.iter().product::<usize>() as f64,
            })
            .sum();
        println!("  {prec:?}: {:.1} MB (estimated)", bytes / 1e6);
    }
}

/// KV-cache bytes per token: the real cache, and each attention variant and layout.
fn kv_bytes<M: CausalLm>(p: &Pretrained, m: &M) -> Result<()> {
    println!("\nKV-cache bytes per token");
    let ids = p
        .tokenizer
        .encode("The sky over the sea was grey and the wind came from the north.")?;
    for prec in [CachePrecision::Full, CachePrecision::Int8] {
        let b = kv_bytes_per_token(m, &ids, prec)?;
        println!(
            "  this model ({} KV heads), {prec:?} cache: {b:.0} (counted)",
            p.arch.kv_heads
        );
    }
    let spec = p.model_spec();
    // MHA is left out: on a GQA checkpoint the footprint keeps the
    // checkpoint's key/value heads for it (it never caches more heads than
    // the checkpoint computes), so its row would repeat GQA-3's.
    let variants = [
        ("GQA-3 (the checkpoint)", Attention::Gqa { kv_groups: 3 }),
        ("MQA", Attention::Mqa),
    ];
    for (name, attention) in variants {
        for layout in KvCache::ALL {
            let mut c = Configuration::default();
            c.architecture.attention = attention;
            c.inference.kv_cache = layout;
            if !c.validate().is_empty() {
                continue;
            }
            let f = Footprint::new(&spec, &c, FootprintOptions::default())?;
            println!(
                "  {name}, {layout:?}: {:.0} (estimated, FP16 cache)",
                f.kv_bytes_per_token()
            );
        }
    }
    Ok(())
}

/// Perplexity on held-out text and multiple-choice accuracy (measured).
fn quality(p: &Pretrained, m: &Transformer, tokens: usize) -> Result<Held> {
    let ids = p.tokenizer.encode(&real_text(Split::Test)?)?;
    let n = ids.len().min(tokens);
    let t0 = Instant::now();
    let ppl = perplexity(m, &ids[..n], WINDOW, CachePrecision::Full)?;
    let seconds = t0.elapsed().as_secs_f64();
    let (lo, hi) = ppl.interval();
    println!(
        "\nperplexity on {} held-out tokens of Persuasion ({} windows of {WINDOW}): {:.2} \
         (±1 s.e. {lo:.2}..{hi:.2}; measured, {:.0} s)",
        ppl.tokens, ppl.windows, ppl.perplexity, seconds
    );
    let qs: Vec<_> = science_questions(Split::Test)?
        .iter()
        .map(|q| q.to_example())
        .collect();
    let t0 = Instant::now();
    let acc = score(
        m,
        &p.tokenizer,
        TaskFamily::Choice,
        &qs,
        CachePrecision::Full,
    )?;
    let se = (acc * (1.0 - acc) / qs.len() as f64).sqrt();
    println!(
        "science multiple choice, {} test questions: accuracy {:.1}% ± {:.1} (chance {:.0}%; measured, {:.0} s)",
        qs.len(),
        100.0 * acc,
        100.0 * se,
        100.0 * MC_CHANCE,
        t0.elapsed().as_secs_f64()
    );
    Ok(Held {
        ids,
        n,
        ppl,
        seconds,
    })
}

/// Tokens the attention conversions are compared on (each is a whole model run).
const CONVERSION_TOKENS: usize = 2048;

/// GQA/MQA conversions of the real weights before any healing fine-tune:
/// perplexity on the first held-out tokens (measured), next to the base's.
fn attention_conversions(p: &Pretrained, base: &Held, device: &Device) -> Result<()> {
    let cfg = p.model_config()?;
    let w = p.harness_weights()?;
    let ids = &base.ids[..base.n.min(CONVERSION_TOKENS)];
    let kv = p.arch.kv_heads;
    println!(
        "\nattention conversions of the real weights, before any healing fine-tune: perplexity on \
         the first {} held-out tokens (measured)",
        ids.len()
    );
    let variants = [
        (format!("GQA-{kv} (the checkpoint)"), (cfg, w.clone())),
        (
            format!("MHA ({kv} KV heads repeated)"),
            convert::to_mha(&cfg, &w)?,
        ),
        (
            format!("MQA ({kv} KV heads mean-pooled)"),
            convert::to_gqa(&cfg, &w, 1)?,
        ),
    ];
    for (label, (c, w)) in variants {
        let (_vars, m) = trainable(c, &w, device)?;
        let ppl = perplexity(&m, ids, WINDOW, CachePrecision::Full)?;
        println!("  {label:<32} {:>10.2}", ppl.perplexity);
    }
    Ok(())
}

/// The held-out tokens and the base model's perplexity on the first `n`.
struct Held {
    ids: Vec<u32>,
    n: usize,
    ppl: Perplexity,
    /// Seconds the perplexity took.
    seconds: f64,
}

/// Every quantizer on the real weights: perplexity on the same held-out
/// tokens as the base (measured), with the time each step took, and the
/// weight bytes the quantized model holds (counted).
fn quantized(p: &Pretrained, m: &Transformer, base: &Held) -> Result<()> {
    let cal = Calibration::default();
    let train = p.tokenizer.encode(&real_text(Split::Train)?)?;
    let t0 = Instant::now();
    let rec = cal.record(m, &train)?;
    println!(
        "\nquantized, calibrated on {} windows of {} tokens ({} tokens) of the train split, \
         recorded in {:.0} s (measured; wall-clock on this machine, load average {})",
        cal.sequences,
        cal.seq_len,
        cal.tokens(),
        t0.elapsed().as_secs_f64(),
        aellm::harness::device::load_average()
    );
    let fp16 = {
        let mut q = m.clone();
        Scheme::Quant(QuantSpec::new(WeightPrecision::Fp16, None)).apply(&mut q, &rec)?;
        q.weight_bytes() as f64
    };
    println!(
        "  {:<18} {:>10} {:>8} {:>12} {:>10} {:>12} {:>8}",
        "weights", "perplexity", "vs base", "quantize s", "measure s", "MB (counted)", "vs FP16"
    );
    let row = |label: &str, ppl: f64, tq: f64, tm: f64, bytes: f64| {
        println!(
            "  {label:<18} {ppl:>10.2} {:>+7.2}% {tq:>12.1} {tm:>10.0} {:>12.1} {:>7.1}%",
            100.0 * (ppl / base.ppl.perplexity - 1.0),
            bytes / 1e6,
            100.0 * bytes / fp16
        )
    };
    row(
        "base (f32)",
        base.ppl.perplexity,
        0.0,
        base.seconds,
        m.weight_bytes() as f64,
    );
    for scheme in Scheme::compared() {
        let mut q = m.clone();
        let t0 = Instant::now();
        scheme.apply(&mut q, &rec)?;
        let tq = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let reference = weight_only_reference(&q)?;
        let scored = reference.as_ref().unwrap_or(&q);
        let ppl = perplexity(scored, &base.ids[..base.n], WINDOW, CachePrecision::Full)?;
        let star = if reference.is_some() { " *" } else { "" };
        row(
            &format!("{}{star}", scheme.label()),
            ppl.perplexity,
            tq,
            t0.elapsed().as_secs_f64(),
            q.weight_bytes() as f64,
        );
    }
    println!(
        "  perplexity measured on the {} held-out tokens above; FP16 (the 100% of the last column) \
         holds {:.1} MB (counted). Held bytes include the f16 embedding table and the norms.\n  \
         * weight-only formats: perplexity of the dequantized weights in f32 (what the evaluator \
         does; candle's CPU INT4 kernel would also round activations to 8 bits); INT8 runs its \
         W8A8 kernel.",
        base.ppl.tokens,
        fp16 / 1e6
    );
    Ok(())
}
