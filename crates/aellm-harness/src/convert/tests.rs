//! Conversions keep what they should: exactly, where the maths says so.

use super::*;
use crate::checkpoint::{trainable, weights_of};
use crate::model::tests::max_diff as diff;
use crate::model::{ModelConfig, seeded};

fn base() -> (ModelConfig, Weights) {
    let cfg = ModelConfig::tiny(20);
    let (vm, _) = seeded(cfg, 4, &Device::Cpu).unwrap();
    (cfg, weights_of(&vm).unwrap())
}

fn logits(cfg: ModelConfig, w: &Weights) -> Tensor {
    let (_vm, m) = trainable(cfg, w, &Device::Cpu).unwrap();
    let x = Tensor::new(&[[1u32, 5, 9, 2, 7, 3]], &Device::Cpu).unwrap();
    m.forward(&x, None, None).unwrap().logits
}

#[test]
fn gqa_pooling_with_one_head_per_group_is_the_mha_model_exactly() {
    let (cfg, w) = base();
    let (gcfg, gw) = to_gqa(&cfg, &w, cfg.heads).unwrap();
    assert_eq!(diff(&logits(cfg, &w), &logits(gcfg, &gw)), 0.0);
    // MQA pools to one head: its weights are the mean of the heads'.
    let (mcfg, mw) = to_gqa(&cfg, &w, 1).unwrap();
    assert_eq!(mcfg.kv_heads(), 1);
    let k = &w["layers.0.attn.k.weight"];
    let mean = k.reshape((4, 8, 32)).unwrap().mean(0).unwrap();
    assert!(diff(&mw["layers.0.attn.k.weight"], &mean) < 1e-7);
    assert!(to_gqa(&cfg, &w, 3).is_err());
}

#[test]
fn gqa_pooling_pools_key_and_value_biases_with_their_weights() {
    let cfg = ModelConfig {
        qkv_bias: true,
        ..ModelConfig::tiny(20)
    };
    let w = seeded_weights(cfg);
    let (mcfg, mw) = to_gqa(&cfg, &w, 2).unwrap();
    for p in ["k", "v"] {
        let b = &w[&format!("layers.0.attn.{p}.bias")];
        let mean = b
            .reshape((2, 2, 8))
            .unwrap()
            .mean(1)
            .unwrap()
            .flatten_all()
            .unwrap();
        assert!(diff(&mw[&format!("layers.0.attn.{p}.bias")], &mean) < 1e-7);
    }
    // The pooled model loads and runs with its pooled biases.
    assert_eq!(logits(mcfg, &mw).dims()[2], 20);
    assert!(to_mla(&cfg, &w, 8, 2).is_err());
}

#[test]
fn mla_factorisation_at_full_rank_reconstructs_keys_and_values() {
    let (cfg, w) = base();
    // Position-free keys (4 heads x 4) stacked with values (4 x 8) have rank <= hidden 32.
    let (mcfg, mw) = to_mla(&cfg, &w, 32, 4).unwrap();
    assert_eq!(
        mcfg.attention,
        AttentionConfig::Latent {
            latent: 32,
            rope_dim: 4
        }
    );
    let down = &mw["layers.0.attn.kv_down.weight"];
    let v = mw["layers.0.attn.v_up.weight"].matmul(down).unwrap();
    assert!(diff(&v, &w["layers.0.attn.v.weight"]) < 1e-4);
    // Head 0's position-free key rows are dims 2, 3, 6, 7 of an 8-wide head (RoPE kept on 0, 1, 4, 5).
    let k = mw["layers.0.attn.k_up.weight"].matmul(down).unwrap();
    let orig = &w["layers.0.attn.k.weight"];
    for (row, dim) in [2usize, 3, 6, 7].iter().enumerate() {
        assert!(diff(&k.get(row).unwrap(), &orig.get(*dim).unwrap()) < 1e-4);
    }
    // A narrower latent still runs.
    let (ncfg, nw) = to_mla(&cfg, &w, 8, 4).unwrap();
    assert_eq!(logits(ncfg, &nw).dims(), &[1, 6, 20]);
}

#[test]
fn moefication_with_every_expert_and_upcycling_start_as_the_dense_model() {
    let (cfg, w) = base();
    let dense = logits(cfg, &w);
    // Upcycled top-2 of identical experts: the renormalised weights sum to one.
    let (ucfg, uw) = to_moe(&cfg, &w, 4, 2, MoeConversion::Upcycling, 0).unwrap();
    assert!(diff(&dense, &logits(ucfg, &uw)) < 1e-5);
    // MoEfication routed to all 4 experts with a uniform router sums the 4 slices back.
    let (mcfg, mut mw) = to_moe(&cfg, &w, 4, 4, MoeConversion::Moefication, 0).unwrap();
    let r = mw["layers.0.ffn.router.weight"].zeros_like().unwrap();
    mw.insert("layers.0.ffn.router.weight".into(), r);
    assert!(diff(&dense, &logits(mcfg, &mw)) < 1e-5);
    // Top-1 of 8 runs an eighth of the dense FFN's neurons.
    let c8 = ModelConfig { ffn: 64, ..cfg };
    let (e8, _) = to_moe(
        &c8,
        &seeded_weights(c8),
        8,
        1,
        MoeConversion::Moefication,
        0,
    )
    .unwrap();
    let FfnConfig::Moe {
        top_k, expert_ffn, ..
    } = e8.ffn_kind
    else {
        panic!("to_moe gave a dense FFN: {:?}", e8.ffn_kind)
    };
    assert_eq!(top_k * expert_ffn * 8, c8.ffn);
    assert!(to_moe(&cfg, &w, 3, 1, MoeConversion::Moefication, 0).is_err());
}

fn seeded_weights(cfg: ModelConfig) -> Weights {
    let (vm, _) = seeded(cfg, 1, &Device::Cpu).unwrap();
    weights_of(&vm).unwrap()
}
