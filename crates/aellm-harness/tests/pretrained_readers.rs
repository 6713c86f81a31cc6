//! The checkpoint readers on small random checkpoints the tests write
//! themselves, checked tensor by tensor and against candle-transformers'
//! own forwards (`llama`, `qwen2` on Hugging Face names; `quantized_llama`,
//! `quantized_qwen2` on the GGUF file as llama.cpp lays it out).

mod pretrained_fixtures;

use aellm_harness::CausalLm;
use aellm_harness::model::CachePrecision;
use aellm_harness::pretrained::gguf::read_gguf;
use aellm_harness::pretrained::hf::read_hf;
use aellm_harness::pretrained::{Architecture, Family, Format, Pretrained, PretrainedError, load};
use candle_core::quantized::GgmlDType;
use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{llama, quantized_llama, quantized_qwen2, qwen2};
use pretrained_fixtures::*;
use std::collections::HashMap;
use std::path::Path;

const TOKENS: [u32; 7] = [5, 70, 260, 3, 120, 264, 9];

fn input() -> Tensor {
    Tensor::new(&TOKENS, &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap()
}

/// candle-transformers' Hugging Face-layout forward on `w`: last-position logits.
fn reference_hf(a: &Architecture, w: &HashMap<String, Tensor>) -> Tensor {
    let dev = Device::Cpu;
    let vb = VarBuilder::from_tensors(w.clone(), DType::F32, &dev);
    let json = config_json(a).to_string();
    match a.family {
        Family::Qwen2 => {
            let cfg: qwen2::Config = serde_json::from_str(&json).unwrap();
            let mut m = qwen2::ModelForCausalLM::new(&cfg, vb).unwrap();
            m.forward(&input(), 0).unwrap().flatten_all().unwrap()
        }
        _ => {
            let cfg: llama::LlamaConfig = serde_json::from_str(&json).unwrap();
            let cfg = cfg.into_config(false);
            let m = llama::Llama::load(vb, &cfg).unwrap();
            let mut cache = llama::Cache::new(false, DType::F32, &cfg, &dev).unwrap();
            m.forward(&input(), 0, &mut cache)
                .unwrap()
                .flatten_all()
                .unwrap()
        }
    }
}

/// The harness's own transformer built from `p`: last-position logits.
fn harness(p: &Pretrained) -> Tensor {
    let m = p.transformer(&Device::Cpu).unwrap();
    let logits = m
        .forward_cached(&input(), &mut m.new_cache(CachePrecision::Full))
        .unwrap();
    logits
        .narrow(1, TOKENS.len() - 1, 1)
        .unwrap()
        .flatten_all()
        .unwrap()
}

/// candle-transformers' GGUF forward on the file: last-position logits.
fn reference_gguf(path: &Path, family: Family) -> Tensor {
    let dev = Device::Cpu;
    let mut f = std::fs::File::open(path).unwrap();
    let ct = gguf_file::Content::read(&mut f).unwrap();
    let logits = match family {
        Family::Qwen2 => quantized_qwen2::ModelWeights::from_gguf(ct, &mut f, &dev)
            .unwrap()
            .forward(&input(), 0),
        _ => quantized_llama::ModelWeights::from_gguf(ct, &mut f, &dev)
            .unwrap()
            .forward(&input(), 0),
    };
    logits.unwrap().flatten_all().unwrap()
}

#[test]
fn llama_gguf_reads_back_the_checkpoint_and_matches_quantized_llama() {
    let dir = tempfile::tempdir().unwrap();
    let a = arch(Family::Llama, false);
    let w = random_weights(&a);
    let path = dir.path().join("tiny-llama.gguf");
    write_gguf(&path, &a, &w, GgmlDType::F32);
    let p = read_gguf(&path, &Device::Cpu).unwrap();
    assert_eq!(p.format, Format::Gguf);
    assert_eq!(p.arch, a);
    assert_eq!(p.weights.len(), w.len());
    // The permutation is undone exactly: the reader gives back the checkpoint.
    for (k, t) in &w {
        assert_eq!(max_diff(&p.weights[k], t), 0.0, "{k}");
    }
    assert_eq!(p.precision.name, "F32");
    assert_eq!(
        p.parameters(),
        w.values().map(|t| t.elem_count() as u64).sum::<u64>()
    );
    // Our weights in candle-transformers' rotate-half Llama give the logits
    // its interleaved quantized_llama gives on the file.
    let ours = reference_hf(&p.arch, &p.weights);
    let theirs = reference_gguf(&path, Family::Llama);
    assert_close(&ours, &theirs, 1e-4);
    // The harness's own transformer built from the file agrees too.
    assert_close(&harness(&p), &theirs, 1e-4);
}

#[test]
fn qwen2_gguf_is_not_permuted_and_matches_quantized_qwen2() {
    let dir = tempfile::tempdir().unwrap();
    let a = arch(Family::Qwen2, true);
    let w = random_weights(&a);
    let path = dir.path().join("tiny-qwen2.gguf");
    write_gguf(&path, &a, &w, GgmlDType::F32);
    let p = read_gguf(&path, &Device::Cpu).unwrap();
    assert!(p.arch.qkv_bias && p.arch.tied_embeddings);
    assert!(!p.weights.contains_key("lm_head.weight"));
    for (k, t) in &w {
        assert_eq!(max_diff(&p.weights[k], t), 0.0, "{k}");
    }
    let ours = reference_hf(&p.arch, &p.weights);
    let theirs = reference_gguf(&path, Family::Qwen2);
    assert_close(&ours, &theirs, 1e-4);
    // The harness's own transformer built from the file agrees too.
    assert_close(&harness(&p), &theirs, 1e-4);
}

#[test]
fn quantized_gguf_is_dequantized_with_its_precision_of_record() {
    let dir = tempfile::tempdir().unwrap();
    let a = arch(Family::Llama, true);
    let w = random_weights(&a);
    let path = dir.path().join("tiny-q8.gguf");
    write_gguf(&path, &a, &w, GgmlDType::Q8_0);
    let p = read_gguf(&path, &Device::Cpu).unwrap();
    assert_eq!(p.precision.name, "Q8_0");
    // Q8_0: 34 bytes per 32 weights; the F32 norms pull the mean up a little.
    assert!(p.precision.bits_per_weight > 8.5 && p.precision.bits_per_weight < 9.0);
    assert_eq!(
        p.precision.elements_by_dtype["F32"],
        (2 * a.layers + 1) as u64 * a.hidden as u64
    );
    for (k, t) in &w {
        let scale = max_abs(t);
        // Q8_0 rounds each weight to a step of 1/127 of its block's largest
        // magnitude, the step itself stored in f16.
        assert!(max_diff(&p.weights[k], t) <= scale / 127.0 * 0.6, "{k}");
    }
}

#[test]
fn hf_folder_sharded_bf16_llama() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = arch(Family::Llama, false);
    a.rope_theta = 500_000.0;
    let w = random_weights(&a);
    write_hf(dir.path(), &a, &w, DType::BF16, 3);
    let p = read_hf(dir.path(), &Device::Cpu).unwrap();
    assert_eq!((p.format, p.arch.clone()), (Format::HfFolder, a.clone()));
    assert_eq!(
        (p.precision.name.as_str(), p.precision.bits_per_weight),
        ("BF16", 16.0)
    );
    for (k, t) in &w {
        let rounded = t
            .to_dtype(DType::BF16)
            .unwrap()
            .to_dtype(DType::F32)
            .unwrap();
        assert_eq!(max_diff(&p.weights[k], &rounded), 0.0, "{k}");
    }
    assert_close(&harness(&p), &reference_hf(&a, &p.weights), 1e-4);
    let spec = p.model_spec();
    assert_eq!(
        (spec.layers, spec.heads, spec.kv_heads, spec.vocab),
        (2, 4, 2, a.vocab as u32)
    );
    assert_eq!(spec.parameters, p.parameters());
}

#[test]
fn hf_folder_qwen2_tied_through_load() {
    let dir = tempfile::tempdir().unwrap();
    let a = arch(Family::Qwen2, true);
    let w = random_weights(&a);
    write_hf(dir.path(), &a, &w, DType::F32, 1);
    let p = load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap();
    assert!(p.arch.qkv_bias && p.arch.tied_embeddings);
    assert_eq!(p.weights.len(), w.len());
    assert_close(&harness(&p), &reference_hf(&a, &w), 1e-4);
}

#[test]
fn gguf_and_folder_tokenizers_agree_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let a = arch(Family::Llama, true);
    let w = random_weights(&a);
    write_hf(&dir.path().join("hf"), &a, &w, DType::F32, 1);
    write_gguf(&dir.path().join("m.gguf"), &a, &w, GgmlDType::F32);
    let from_json = read_hf(&dir.path().join("hf"), &Device::Cpu)
        .unwrap()
        .tokenizer;
    let from_gguf = read_gguf(&dir.path().join("m.gguf"), &Device::Cpu)
        .unwrap()
        .tokenizer;
    for text in [
        "the tin ran on",
        "Then 1234 then.",
        "a<|endoftext|>b",
        " ünïcode ✓ ",
    ] {
        let ids = from_gguf.encode(text).unwrap();
        assert_eq!(ids, from_json.encode(text).unwrap(), "{text}");
        assert_eq!(from_gguf.decode(&ids).unwrap(), text);
    }
    // Merges apply, digits split one by one, the special token stays whole.
    let t = tokens();
    let id = |s: &str| t.iter().position(|x| x == s).unwrap() as u32;
    assert_eq!(from_gguf.encode(" the").unwrap(), vec![id("Ġthe")]);
    assert_eq!(from_gguf.encode("12").unwrap(), vec![id("1"), id("2")]);
    assert_eq!(from_gguf.encode(SPECIAL).unwrap(), vec![id(SPECIAL)]);
    assert_eq!(from_gguf.eos, Some(id(SPECIAL)));
}

#[test]
fn broken_checkpoints_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = arch(Family::Llama, false);
    let mut w = random_weights(&a);
    w.remove("model.layers.1.mlp.up_proj.weight");
    write_hf(dir.path(), &a, &w, DType::F32, 1);
    let e = read_hf(dir.path(), &Device::Cpu).unwrap_err().to_string();
    assert!(
        e.contains("model.layers.1.mlp.up_proj.weight") && e.contains("blk.1.ffn_up.weight"),
        "{e}"
    );

    let mut w = random_weights(&a);
    w.insert(
        "model.norm.weight".into(),
        Tensor::ones(7, DType::F32, &Device::Cpu).unwrap(),
    );
    write_hf(dir.path(), &a, &w, DType::F32, 1);
    let e = read_hf(dir.path(), &Device::Cpu).unwrap_err().to_string();
    assert!(
        e.contains("model.norm.weight") && e.contains("[7]") && e.contains("[32]"),
        "{e}"
    );

    let mut cfg = config_json(&a);
    cfg["rope_scaling"] = serde_json::json!({"type": "yarn", "factor": 4.0});
    std::fs::write(dir.path().join("config.json"), cfg.to_string()).unwrap();
    let e = read_hf(dir.path(), &Device::Cpu).unwrap_err().to_string();
    assert!(e.contains("rope_scaling") && e.contains("yarn"), "{e}");

    cfg["model_type"] = "gpt_neox".into();
    std::fs::write(dir.path().join("config.json"), cfg.to_string()).unwrap();
    let e = read_hf(dir.path(), &Device::Cpu).unwrap_err();
    assert!(
        matches!(e, PretrainedError::Unsupported { .. }) && e.to_string().contains("gpt_neox"),
        "{e}"
    );

    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"not a gguf at all").unwrap();
    assert!(
        read_gguf(&junk, &Device::Cpu)
            .unwrap_err()
            .to_string()
            .contains("junk.gguf")
    );
}

#[test]
fn llama3_rope_scaling_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let a = arch(Family::Llama, true);
    let w = random_weights(&a);
    write_hf(dir.path(), &a, &w, DType::F32, 1);
    let mut cfg = config_json(&a);
    cfg["rope_scaling"] = serde_json::json!({
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
        "high_freq_factor": 4.0, "original_max_position_embeddings": 8192
    });
    std::fs::write(dir.path().join("config.json"), cfg.to_string()).unwrap();
    let p = read_hf(dir.path(), &Device::Cpu).unwrap();
    let s = p.arch.rope_scaling.unwrap();
    // The harness's scaled RoPE against candle-transformers' Llama 3.1 code.
    let dev = Device::Cpu;
    let lc: llama::LlamaConfig = serde_json::from_str(&cfg.to_string()).unwrap();
    let lc = lc.into_config(false);
    let m = llama::Llama::load(VarBuilder::from_tensors(w.clone(), DType::F32, &dev), &lc).unwrap();
    let mut cache = llama::Cache::new(false, DType::F32, &lc, &dev).unwrap();
    let theirs = m
        .forward(&input(), 0, &mut cache)
        .unwrap()
        .flatten_all()
        .unwrap();
    assert_close(&harness(&p), &theirs, 1e-4);
    assert!(
        max_diff(&theirs, &reference_hf(&a, &w)) > 1e-3,
        "the scaling changes the logits"
    );
    assert_eq!(
        (
            s.factor,
            s.high_freq_factor,
            s.original_max_position_embeddings
        ),
        (8.0, 4.0, 8192)
    );
}
