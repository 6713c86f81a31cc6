//! Small random checkpoints written by the tests themselves: a Hugging
//! Face folder (config.json, safetensors, tokenizer.json) and a GGUF file
//! laid out the way llama.cpp's converter lays them out.
#![allow(dead_code)]

use aellm_harness::pretrained::names::{Role, expected_shape, gguf_name, required, role};
use aellm_harness::pretrained::{Architecture, Family, gguf::permute_rope};
use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, Tokenizer};

/// Merges of the test vocabulary (byte-level spellings).
pub const MERGES: [(&str, &str); 8] = [
    ("Ġ", "t"),
    ("h", "e"),
    ("Ġt", "he"),
    ("i", "n"),
    ("Ġ", "a"),
    ("e", "r"),
    ("o", "n"),
    ("a", "n"),
];
/// The special token appended after the byte alphabet and the merges.
pub const SPECIAL: &str = "<|endoftext|>";

/// The byte-level alphabet (sorted), the merged tokens, then the special token.
pub fn tokens() -> Vec<String> {
    let mut alphabet: Vec<char> = ByteLevel::alphabet().into_iter().collect();
    alphabet.sort();
    let mut out: Vec<String> = alphabet.into_iter().map(String::from).collect();
    out.extend(MERGES.iter().map(|(a, b)| format!("{a}{b}")));
    out.push(SPECIAL.to_string());
    out
}

/// A 2-layer GQA model of the test vocabulary.
pub fn arch(family: Family, tied: bool) -> Architecture {
    Architecture {
        family,
        vocab: tokens().len(),
        hidden: 32,
        layers: 2,
        heads: 4,
        kv_heads: 2,
        head_dim: 8,
        ffn: 64,
        rope_theta: 10_000.0,
        rope_scaling: None,
        rms_eps: 1e-5,
        max_context: 256,
        tied_embeddings: tied,
        qkv_bias: family == Family::Qwen2,
    }
}

/// Random weights under Hugging Face names (norms near 1, the rest small).
pub fn random_weights(a: &Architecture) -> HashMap<String, Tensor> {
    let dev = Device::Cpu;
    required(a.layers, a.qkv_bias, a.tied_embeddings)
        .into_iter()
        .map(|name| {
            let shape = expected_shape(&name, a).unwrap();
            let t = if name.ends_with("norm.weight") {
                (Tensor::randn(0f32, 0.1, shape, &dev).unwrap() + 1.0).unwrap()
            } else {
                Tensor::randn(0f32, 0.3, shape, &dev).unwrap()
            };
            (name, t)
        })
        .collect()
}

/// The Transformers config.json of `a` (also read by candle-transformers).
pub fn config_json(a: &Architecture) -> serde_json::Value {
    let model_type = match a.family {
        Family::Llama => "llama",
        Family::Mistral => "mistral",
        Family::Qwen2 => "qwen2",
    };
    serde_json::json!({
        "model_type": model_type,
        "vocab_size": a.vocab,
        "hidden_size": a.hidden,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads,
        "intermediate_size": a.ffn,
        "rope_theta": a.rope_theta,
        "rms_norm_eps": a.rms_eps,
        "max_position_embeddings": a.max_context,
        "tie_word_embeddings": a.tied_embeddings,
        "sliding_window": a.max_context,
        "max_window_layers": a.layers,
        "use_sliding_window": false,
        "hidden_act": "silu",
    })
}

/// The test tokenizer (SmolLM2's pre-tokenizer: digits split, then byte-level BPE).
pub fn tokenizer() -> Tokenizer {
    let toks = tokens();
    let vocab: Vocab = toks[..toks.len() - 1]
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let merges = MERGES
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .unwrap();
    let mut t = Tokenizer::new(bpe);
    t.with_pre_tokenizer(Some(Sequence::new(vec![
        Digits::new(true).into(),
        ByteLevel::new(false, true, true).into(),
    ])));
    t.with_decoder(Some(ByteLevel::default()));
    t.add_special_tokens([AddedToken::from(SPECIAL, true)])
        .unwrap();
    t
}

/// Writes a Hugging Face folder: config.json, tokenizer.json and the
/// weights in `dtype`, in `shards` files with an index when more than one.
pub fn write_hf(
    dir: &Path,
    a: &Architecture,
    w: &HashMap<String, Tensor>,
    dtype: DType,
    shards: usize,
) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), config_json(a).to_string()).unwrap();
    tokenizer().save(dir.join("tokenizer.json"), false).unwrap();
    let mut names: Vec<&String> = w.keys().collect();
    names.sort();
    let mut index = serde_json::Map::new();
    for s in 0..shards {
        let file = if shards == 1 {
            "model.safetensors".to_string()
        } else {
            format!("model-{:05}-of-{shards:05}.safetensors", s + 1)
        };
        let part: HashMap<String, Tensor> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| i % shards == s)
            .map(|(_, n)| ((*n).clone(), w[*n].to_dtype(dtype).unwrap()))
            .collect();
        for n in part.keys() {
            index.insert(n.clone(), file.clone().into());
        }
        candle_core::safetensors::save(&part, dir.join(&file)).unwrap();
    }
    if shards > 1 {
        let idx = serde_json::json!({ "metadata": {}, "weight_map": index });
        std::fs::write(dir.join("model.safetensors.index.json"), idx.to_string()).unwrap();
    }
}

/// Writes a GGUF file as llama.cpp's converter would: GGUF names, query and
/// key rows permuted for interleaved RoPE (llama family only), matrices in
/// `dtype`, norms and biases in F32, tokenizer in the metadata.
pub fn write_gguf(path: &Path, a: &Architecture, w: &HashMap<String, Tensor>, dtype: GgmlDType) {
    let arch_name = if a.family == Family::Qwen2 {
        "qwen2"
    } else {
        "llama"
    };
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    for (hf, t) in w {
        let mut t = t.clone();
        if a.family != Family::Qwen2 {
            t = match role(hf) {
                Role::Query => permute_rope(&t, a.heads).unwrap(),
                Role::Key => permute_rope(&t, a.kv_heads).unwrap(),
                Role::Other => t,
            };
        }
        let dt = if t.rank() == 2 { dtype } else { GgmlDType::F32 };
        tensors.push((gguf_name(hf).unwrap(), QTensor::quantize(&t, dt).unwrap()));
    }
    tensors.sort_by(|x, y| x.0.cmp(&y.0));
    let u = |v: usize| Value::U32(v as u32);
    let key = |k: &str| format!("{arch_name}.{k}");
    let toks = tokens();
    let mut md: Vec<(String, Value)> = vec![
        (
            "general.architecture".into(),
            Value::String(arch_name.into()),
        ),
        (key("block_count"), u(a.layers)),
        (key("context_length"), u(a.max_context)),
        (key("embedding_length"), u(a.hidden)),
        (key("feed_forward_length"), u(a.ffn)),
        (key("attention.head_count"), u(a.heads)),
        (key("attention.head_count_kv"), u(a.kv_heads)),
        (
            key("attention.layer_norm_rms_epsilon"),
            Value::F32(a.rms_eps as f32),
        ),
        (key("rope.freq_base"), Value::F32(a.rope_theta as f32)),
        (key("rope.dimension_count"), u(a.head_dim)),
        ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String("smollm".into())),
        ("tokenizer.ggml.bos_token_id".into(), u(toks.len() - 1)),
        ("tokenizer.ggml.eos_token_id".into(), u(toks.len() - 1)),
    ];
    md.push((
        "tokenizer.ggml.tokens".into(),
        Value::Array(toks.iter().map(|t| Value::String(t.clone())).collect()),
    ));
    let types = (0..toks.len())
        .map(|i| Value::I32(if i + 1 == toks.len() { 3 } else { 1 }))
        .collect();
    md.push(("tokenizer.ggml.token_type".into(), Value::Array(types)));
    let merges = MERGES
        .iter()
        .map(|(x, y)| Value::String(format!("{x} {y}")))
        .collect();
    md.push(("tokenizer.ggml.merges".into(), Value::Array(merges)));
    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut f = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut f, &md_refs, &t_refs).unwrap();
}

/// Largest absolute element of a tensor.
pub fn max_abs(t: &Tensor) -> f32 {
    let m = t.abs().and_then(|t| t.flatten_all()).and_then(|t| t.max(0));
    m.and_then(|m| m.to_scalar()).unwrap()
}

/// Largest absolute difference of two tensors of one shape.
pub fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    max_abs(&(a - b).unwrap())
}

/// Panics unless `a` and `b` differ by less than `tol` everywhere.
pub fn assert_close(a: &Tensor, b: &Tensor, tol: f32) {
    let d = max_diff(a, b);
    assert!(d < tol, "largest difference {d} >= {tol}");
}
