//! Properties of the model that only a correct implementation has.

use super::*;
use candle_core::{DType, Device, Tensor};

const VOCAB: usize = 20;

fn tokens(b: usize, t: usize, seed: u32) -> Tensor {
    let v: Vec<u32> = (0..b * t)
        .map(|i| (i as u32 * 7 + seed * 13 + 3) % VOCAB as u32)
        .collect();
    Tensor::from_vec(v, (b, t), &Device::Cpu).unwrap()
}

/// Largest absolute elementwise difference.
pub(crate) fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

fn variants() -> Vec<ModelConfig> {
    let base = ModelConfig::tiny(VOCAB);
    let mut v = Vec::new();
    for kv_heads in [4, 2, 1] {
        v.push(ModelConfig {
            attention: AttentionConfig::Standard { kv_heads },
            ..base
        });
    }
    v.push(ModelConfig {
        attention: AttentionConfig::Latent {
            latent: 8,
            rope_dim: 4,
        },
        ..base
    });
    v.push(ModelConfig {
        ffn_kind: FfnConfig::Moe {
            experts: 4,
            top_k: 2,
            expert_ffn: 16,
        },
        ..base
    });
    v.push(ModelConfig {
        ffn_kind: FfnConfig::Moe {
            experts: 4,
            top_k: 1,
            expert_ffn: 16,
        },
        ..base
    });
    v
}

#[test]
fn gqa_with_as_many_groups_as_heads_is_mha_and_shared_heads_match_repeated_ones() {
    let dev = Device::Cpu;
    let q = Tensor::randn(0f32, 1., (2, 4, 5, 8), &dev).unwrap();
    let k = Tensor::randn(0f32, 1., (2, 2, 5, 8), &dev).unwrap();
    let v = Tensor::randn(0f32, 1., (2, 2, 5, 8), &dev).unwrap();
    // Repeating each key/value head for its two query heads is MHA.
    let rep = |x: &Tensor| {
        x.unsqueeze(2)
            .unwrap()
            .broadcast_as((2, 2, 2, 5, 8))
            .unwrap()
            .reshape((2, 4, 5, 8))
            .unwrap()
    };
    let mha = attend(&q, &rep(&k), &rep(&v), 0).unwrap();
    let gqa = attend(&q, &k, &v, 0).unwrap();
    assert!(max_diff(&mha, &gqa) < 1e-5);

    // A GQA model with groups == heads and an MHA model on the same weights agree exactly.
    let (vm, mha_model) = seeded(ModelConfig::tiny(VOCAB), 1, &dev).unwrap();
    let gqa_cfg = ModelConfig {
        attention: AttentionConfig::Standard { kv_heads: 4 },
        ..ModelConfig::tiny(VOCAB)
    };
    let vb = candle_nn::VarBuilder::from_varmap(&vm, DType::F32, &dev);
    let gqa_model = Transformer::load(vb, &gqa_cfg).unwrap();
    let x = tokens(2, 6, 0);
    let a = mha_model.forward(&x, None, None).unwrap().logits;
    let b = gqa_model.forward(&x, None, None).unwrap().logits;
    assert_eq!(max_diff(&a, &b), 0.0);
}

#[test]
fn cached_decoding_equals_recomputation_for_every_variant() {
    for (i, cfg) in variants().into_iter().enumerate() {
        let (_vm, m) = seeded(cfg, 10 + i as u64, &Device::Cpu).unwrap();
        let x = tokens(2, 7, i as u32);
        let full = m.forward(&x, None, None).unwrap().logits;
        for precision in [CachePrecision::Full, CachePrecision::Int8] {
            let mut cache = m.new_cache(precision);
            // A 4-token prefill, then one token at a time.
            let mut parts = vec![
                m.forward(&x.narrow(1, 0, 4).unwrap(), Some(&mut cache), None)
                    .unwrap()
                    .logits,
            ];
            for t in 4..7 {
                let step = x.narrow(1, t, 1).unwrap();
                parts.push(m.forward(&step, Some(&mut cache), None).unwrap().logits);
            }
            let inc = Tensor::cat(&parts, 1).unwrap();
            let tol = match precision {
                CachePrecision::Full => 1e-4,
                CachePrecision::Int8 => 5e-2,
            };
            let d = max_diff(&full, &inc);
            assert!(d < tol, "{cfg:?} {precision:?}: differs by {d}");
            assert_eq!(cache.len, 7);
            if precision == CachePrecision::Int8 {
                assert!(d > 0.0, "{cfg:?}: an 8-bit cache cannot be exact");
            }
        }
    }
}

#[test]
fn cache_holds_only_what_each_variant_needs() {
    let dev = Device::Cpu;
    let bytes = |cfg: ModelConfig, p: CachePrecision| {
        let (_vm, m) = seeded(cfg, 3, &dev).unwrap();
        let mut c = m.new_cache(p);
        m.forward(&tokens(1, 10, 0), Some(&mut c), None).unwrap();
        c.bytes()
    };
    let base = ModelConfig::tiny(VOCAB);
    let mha = bytes(base, CachePrecision::Full);
    // 1 layer x (k + v) x 4 heads x 8 wide x 10 tokens x 4 bytes.
    assert_eq!(mha, 2 * 4 * 8 * 10 * 4);
    let mqa = bytes(
        ModelConfig {
            attention: AttentionConfig::Standard { kv_heads: 1 },
            ..base
        },
        CachePrecision::Full,
    );
    assert_eq!(mqa * 4, mha);
    let mla = bytes(
        ModelConfig {
            attention: AttentionConfig::Latent {
                latent: 8,
                rope_dim: 4,
            },
            ..base
        },
        CachePrecision::Full,
    );
    // Only the latent (8) and the shared RoPE key (4) per token.
    assert_eq!(mla, (8 + 4) * 10 * 4);
    assert_eq!(bytes(base, CachePrecision::Int8), 2 * 4 * 10 * (8 + 4));
}

#[test]
fn every_trainable_variable_gets_a_nonzero_gradient() {
    for (i, cfg) in variants().into_iter().enumerate() {
        let (vm, m) = seeded(cfg, 20 + i as u64, &Device::Cpu).unwrap();
        let x = tokens(4, 8, i as u32);
        let out = m.forward(&x, None, None).unwrap();
        let logits = out.logits.reshape(((), VOCAB)).unwrap();
        let target = tokens(4, 8, i as u32 + 1).flatten_all().unwrap();
        let mut loss = candle_nn::loss::cross_entropy(&logits, &target).unwrap();
        if let Some(b) = out.balance_loss {
            loss = (loss + (b * 0.01).unwrap()).unwrap();
        }
        let grads = loss.backward().unwrap();
        let data = vm.data().lock().unwrap();
        assert!(!data.is_empty());
        for (name, var) in data.iter() {
            let g = grads
                .get(var.as_tensor())
                .unwrap_or_else(|| panic!("{cfg:?}: no gradient for {name}"));
            let n = g
                .abs()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(
                n > 0.0 && n.is_finite(),
                "{cfg:?}: zero gradient for {name}"
            );
        }
    }
}

#[test]
fn moe_routes_top_k_and_balance_loss_is_one_when_uniform() {
    let cfg = ModelConfig {
        ffn_kind: FfnConfig::Moe {
            experts: 4,
            top_k: 2,
            expert_ffn: 16,
        },
        ..ModelConfig::tiny(VOCAB)
    };
    let (vm, m) = seeded(cfg, 5, &Device::Cpu).unwrap();
    m.forward(&tokens(2, 5, 1), None, None).unwrap();
    assert_eq!(m.measured_experts_per_token(), Some(2.0));
    // A zero router gives uniform probabilities: f·P sums to 1/E, times E is 1.
    let data = vm.data().lock().unwrap();
    let r = &data["layers.0.ffn.router.weight"];
    r.set(&r.zeros_like().unwrap()).unwrap();
    drop(data);
    let out = m.forward(&tokens(2, 5, 1), None, None).unwrap();
    let b = out.balance_loss.unwrap().to_scalar::<f32>().unwrap();
    assert!((b - 1.0).abs() < 1e-5, "{b}");
}

#[test]
fn recorder_sees_every_group_input() {
    let (_vm, m) = seeded(variants()[3], 2, &Device::Cpu).unwrap();
    let mut rec = Recorder::default();
    m.forward(&tokens(2, 5, 0), None, Some(&mut rec)).unwrap();
    for g in [
        "layers.0.attn.in",
        "layers.0.attn.up",
        "layers.0.attn.o",
        "layers.0.ffn.gate_up",
        "layers.0.ffn.down",
    ] {
        let r = rec.rows(g).unwrap().unwrap();
        assert_eq!(r.dim(0).unwrap(), 10, "{g}");
    }
}

/// Elements of every tensor a checkpoint of `cfg` holds.
fn elements(cfg: ModelConfig) -> usize {
    let (vm, _) = seeded(cfg, 0, &Device::Cpu).unwrap();
    let w = crate::checkpoint::weights_of(&vm).unwrap();
    w.values().map(|t| t.elem_count()).sum()
}

#[test]
fn tied_embeddings_use_the_embedding_as_the_head_and_are_held_once() {
    let cfg = ModelConfig {
        tied_embeddings: true,
        ..ModelConfig::tiny(VOCAB)
    };
    let (vm, m) = seeded(cfg, 3, &Device::Cpu).unwrap();
    let w = crate::checkpoint::weights_of(&vm).unwrap();
    assert!(
        !w.keys().any(|k| k.starts_with("lm_head")),
        "{:?}",
        w.keys()
    );
    assert_eq!(elements(cfg), cfg.parameters());
    // The logits are the final hidden state against the embedding rows.
    let x = tokens(2, 5, 1);
    let hidden = {
        let untied = Transformer {
            lm_head: Linear::dense(Tensor::eye(32, DType::F32, &Device::Cpu).unwrap()),
            ..m.clone()
        };
        untied.forward(&x, None, None).unwrap().logits
    };
    let expect = hidden.broadcast_matmul(&m.embed.t().unwrap()).unwrap();
    assert!(max_diff(&m.forward(&x, None, None).unwrap().logits, &expect) < 1e-5);
    let untied = ModelConfig::tiny(VOCAB);
    let (_, mu) = seeded(untied, 3, &Device::Cpu).unwrap();
    assert_eq!(mu.weight_bytes() - m.weight_bytes(), 4 * VOCAB * 32);
}

#[test]
fn qkv_biases_are_loaded_added_and_counted() {
    let cfg = ModelConfig {
        qkv_bias: true,
        attention: AttentionConfig::Standard { kv_heads: 2 },
        ..ModelConfig::tiny(VOCAB)
    };
    let (vm, m) = seeded(cfg, 5, &Device::Cpu).unwrap();
    let mut w = crate::checkpoint::weights_of(&vm).unwrap();
    assert_eq!(w["layers.0.attn.q.bias"].dims(), &[32]);
    assert_eq!(w["layers.0.attn.k.bias"].dims(), &[16]);
    assert_eq!(elements(cfg), cfg.parameters());
    let x = tokens(1, 6, 2);
    let biased = m.forward(&x, None, None).unwrap().logits;
    // Zero biases give the bias-free model on the same weights.
    for p in ["q", "k", "v"] {
        let name = format!("layers.0.attn.{p}.bias");
        let z = w[&name].zeros_like().unwrap();
        w.insert(name, z);
    }
    let vb = |w| candle_nn::VarBuilder::from_tensors(w, DType::F32, &Device::Cpu);
    let zeroed = Transformer::load(vb(w.clone()), &cfg).unwrap();
    let plain = Transformer::load(
        vb(w),
        &ModelConfig {
            qkv_bias: false,
            ..cfg
        },
    )
    .unwrap();
    let z = zeroed.forward(&x, None, None).unwrap().logits;
    assert!(max_diff(&z, &plain.forward(&x, None, None).unwrap().logits) < 1e-6);
    assert!(max_diff(&z, &biased) > 1e-3, "the biases changed nothing");
    assert_eq!(m.weight_bytes() - plain.weight_bytes(), 4 * (32 + 16 + 16));
}

#[test]
fn norm_epsilon_reaches_every_norm() {
    let cfg = ModelConfig {
        norm_eps: 1e3,
        ..ModelConfig::tiny(VOCAB)
    };
    let (vm, m) = seeded(ModelConfig::tiny(VOCAB), 1, &Device::Cpu).unwrap();
    let w = crate::checkpoint::weights_of(&vm).unwrap();
    let big = Transformer::load(
        candle_nn::VarBuilder::from_tensors(w, DType::F32, &Device::Cpu),
        &cfg,
    )
    .unwrap();
    let x = tokens(1, 4, 0);
    let d = max_diff(
        &m.forward(&x, None, None).unwrap().logits,
        &big.forward(&x, None, None).unwrap().logits,
    );
    assert!(d > 1e-3, "epsilon 1e3 changed nothing ({d})");
}

/// The last-position logits of a prefill, and of each decode step after it,
/// are the full forward's last row: the LM head on one position changes nothing else.
#[test]
fn forward_last_is_the_last_row_of_forward() {
    let (_, m) = seeded(ModelConfig::tiny(VOCAB), 4, &Device::Cpu).unwrap();
    let x = tokens(2, 6, 3);
    let mut full_cache = m.new_cache(CachePrecision::Full);
    let mut last_cache = m.new_cache(CachePrecision::Full);
    for step in [x.clone(), x.narrow(1, 0, 1).unwrap()] {
        let full = m
            .forward(&step, Some(&mut full_cache), None)
            .unwrap()
            .logits;
        let t = full.dim(1).unwrap();
        let last = m.forward_last(&step, &mut last_cache).unwrap();
        assert_eq!(last.dims(), &[2, 1, VOCAB]);
        assert!(max_diff(&full.narrow(1, t - 1, 1).unwrap(), &last) < 1e-6);
        assert_eq!(full_cache.len, last_cache.len);
    }
}
