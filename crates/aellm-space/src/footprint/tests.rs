//! Hand counts for published models, and invariants over random shapes.

use super::*;
use crate::{
    Attention, FineTuning, Inference, KvCache, Moe, QuantMethod, WeightPrecision, presets,
};
use proptest::prelude::*;

fn count(model: &str, c: &Configuration) -> Footprint {
    Footprint::new(
        &presets::model(model).unwrap(),
        c,
        FootprintOptions::default(),
    )
    .unwrap()
}

fn with_inference(
    weights: WeightPrecision,
    method: Option<QuantMethod>,
    kv: KvCache,
) -> Configuration {
    Configuration {
        inference: Inference {
            weights,
            method,
            kv_cache: kv,
        },
        ..Default::default()
    }
}

#[test]
fn llama_3_8b_parameters_and_kv_cache_match_the_published_figures() {
    let f = count("llama-3-8b", &Configuration::default());
    // Model card: 8.03 B. Hand count: 32 x (2·4096² + 2·4096·1024 + 3·4096·14336
    // + 2·4096) + 2·128256·4096 + 4096 = 8,030,261,248.
    assert_eq!(f.parameters(), 8_030_261_248);
    assert_eq!(f.shape().other_parameters, 0);
    // 32 layers x (K and V) x 8 heads x 128 x 2 bytes = 131,072 bytes.
    assert_eq!(f.kv_bytes_per_token(), 131_072.0);
}

#[test]
fn mixtral_total_and_active_parameters_match_its_card() {
    let f = count("mixtral-8x7b", &Configuration::default());
    assert_eq!(f.parameters(), 46_702_792_704);
    // Two of eight experts: 32 x (attention 41,943,040 + 2 x 176,160,768
    // experts + 32,768 router + 8,192 norms) + 2·32000·4096 + 4096.
    assert_eq!(f.active_parameters(), 12_879_925_248);
}

#[test]
fn llama_2_7b_weight_bytes_per_precision_match_hand_counts() {
    let f = count("llama-2-7b", &Configuration::default());
    // FP16: 6,738,415,616 x 2 bytes.
    assert_eq!(f.weight_bytes_at(WeightPrecision::Fp16), 13_476_831_232.0);
    // GPTQ/AWQ 4-bit, group 128, FP16 scale + 4-bit zero: the linears of the
    // layers (6,476,005,376 weights) at 0.5 B + 2.5 B per 128, the embedding
    // and the FP16 LM head (2 x 131,072,000) and norms (266,240) at 2 B.
    let layers = 6_476_005_376.0;
    let by_hand = layers * 0.5 + layers / 128.0 * 2.5 + (2.0 * 131_072_000.0 + 266_240.0) * 2.0;
    let int4 = f.weight_bytes_at(WeightPrecision::Int4);
    assert!((int4 - by_hand).abs() < 1.0, "{int4} vs {by_hand}");
    // INT8: one byte plus a 2 B scale and a 1 B zero point per 128.
    let int8 = f.weight_bytes_at(WeightPrecision::Int8);
    let by_hand8 = layers * (1.0 + 3.0 / 128.0) + (2.0 * 131_072_000.0 + 266_240.0) * 2.0;
    assert!((int8 - by_hand8).abs() < 1.0, "{int8} vs {by_hand8}");
}

#[test]
fn phi_2_is_counted_with_a_plain_two_projection_mlp() {
    let f = count("phi-2", &Configuration::default());
    assert_eq!(f.shape().ffn.projections, 2);
    // The rest (biases, Phi-2's LM-head bias) is the published count minus the shapes.
    assert_eq!(f.parameters(), presets::PHI_2.parameters);
    assert!(f.shape().other_parameters < 2_000_000, "{:?}", f.shape());
}

#[test]
fn kv_layouts_and_attention_variants_by_hand() {
    // Llama-2-7B: MHA, 32 layers, 32 heads of 128.
    let mha = count("llama-2-7b", &Configuration::default());
    assert_eq!(mha.kv_bytes_per_token(), 32.0 * 2.0 * 32.0 * 128.0 * 2.0);
    let mqa_style = count(
        "llama-2-7b",
        &with_inference(WeightPrecision::Fp16, None, KvCache::MqaStyle),
    );
    assert_eq!(mqa_style.kv_bytes_per_token(), 32.0 * 2.0 * 128.0 * 2.0);
    let gqa_style = count(
        "llama-2-7b",
        &with_inference(WeightPrecision::Fp16, None, KvCache::GqaStyle),
    );
    assert_eq!(
        gqa_style.kv_bytes_per_token(),
        32.0 * 2.0 * 8.0 * 128.0 * 2.0
    );
    // INT8: a byte an element plus an FP16 scale per head vector.
    let int8 = count(
        "llama-2-7b",
        &with_inference(WeightPrecision::Fp16, None, KvCache::Int8),
    );
    assert_eq!(int8.kv_bytes_per_token(), 32.0 * 2.0 * 32.0 * (128.0 + 2.0));
    // MLA-512: the latent plus a 64-wide RoPE key (half the head) per layer.
    let mut mla = Configuration::default();
    mla.architecture.attention = Attention::Mla { latent_dim: 512 };
    let f = count("llama-2-7b", &mla);
    assert_eq!(f.kv_bytes_per_token(), 32.0 * (512.0 + 64.0) * 2.0);
}

#[test]
fn decode_macs_of_llama_2_7b_by_hand() {
    let m = count("llama-2-7b", &Configuration::default()).macs();
    // Per layer 4·4096² + 3·4096·11008; LM head 4096·32000.
    assert_eq!(
        m.layers(),
        32.0 * (4.0 * 4096.0 * 4096.0 + 3.0 * 4096.0 * 11008.0)
    );
    assert_eq!(m.lm_head, 4096.0 * 32000.0);
    // A step at position 512: + 2 x 32 heads x 128 x 512 positions x 32 layers.
    let step = m.decode_step(512);
    assert_eq!(step, m.layers() + m.lm_head + 2.0 * 4096.0 * 512.0 * 32.0);
    // Prefill and decode add up to a step-by-step sum.
    let by_steps: f64 = (1..=4).map(|i| m.decode_step(10 + i)).sum();
    assert!((m.decode(10, 5) - by_steps).abs() < 1e-3);
    let prefill_by_steps: f64 = (1..=10)
        .map(|t| m.layers() + m.attention_at(t))
        .sum::<f64>()
        + m.lm_head;
    assert!((m.prefill(10) - prefill_by_steps).abs() < 1e-3);
}

#[test]
fn mixtral_routes_two_experts_and_moe_conversion_splits_neurons() {
    let m = count("mixtral-8x7b", &Configuration::default()).macs();
    assert_eq!(m.ffn, 32.0 * 2.0 * 3.0 * 4096.0 * 14336.0);
    assert_eq!(m.router, 32.0 * 4096.0 * 8.0);
    // Llama-2-7B to MoE-8 top-2 by splitting: total FFN parameters stay, a
    // token passes through a quarter of them.
    let mut c = Configuration::default();
    c.architecture.moe = Moe::Sparse {
        experts: 8,
        top_k: 2,
    };
    let dense = count("llama-2-7b", &Configuration::default()).macs();
    let moe = count("llama-2-7b", &c).macs();
    assert_eq!(moe.ffn * 4.0, dense.ffn);
    assert_eq!(moe.router, 32.0 * 4096.0 * 8.0);
}

#[test]
fn adapters_and_optimizer_state_by_hand() {
    let lora = Configuration {
        fine_tuning: FineTuning::low_rank(FineTuneMethod::Lora, 8, 16.0),
        ..Default::default()
    };
    let f = count("llama-2-7b", &lora);
    // q, k, v, o of 4096 x 4096 in 32 layers: 8 x (4096 + 4096) x 4 x 32.
    assert_eq!(f.trainable_parameters(), 8_388_608);
    assert_eq!(f.optimizer_state_bytes(), 8.0 * 8_388_608.0);
    let dora = Configuration {
        fine_tuning: FineTuning::low_rank(FineTuneMethod::Dora, 8, 16.0),
        ..Default::default()
    };
    // DoRA adds a magnitude per output row: 4 x 4096 x 32.
    assert_eq!(
        count("llama-2-7b", &dora).trainable_parameters(),
        8_388_608 + 524_288
    );
    let full = count("llama-2-7b", &Configuration::default());
    assert_eq!(full.trainable_parameters(), 6_738_415_616);
    // QLoRA's NF4 base is about a quarter of the FP16 one.
    let qlora = Configuration {
        fine_tuning: FineTuning::low_rank(FineTuneMethod::Qlora, 8, 16.0),
        inference: Inference {
            weights: WeightPrecision::Int4,
            method: Some(QuantMethod::Gptq),
            kv_cache: KvCache::Full,
        },
        ..Default::default()
    };
    let q = count("llama-2-7b", &qlora).finetune_weight_bytes();
    assert!(q > 3.6e9 && q < 4.0e9, "{q}");
}

#[test]
fn an_embedding_table_of_its_own_width_changes_only_the_table() {
    let m = presets::model("llama-2-7b").unwrap();
    let c = Configuration::default();
    let at = |embedding_bytes| {
        let o = FootprintOptions {
            embedding_bytes,
            ..Default::default()
        };
        Footprint::new(&m, &c, o).unwrap().weight_bytes()
    };
    // Llama-2-7B's table: 32,000 x 4,096 elements, 2 bytes each by default.
    assert_eq!(at(Some(4.0)) - at(None), 32_000.0 * 4_096.0 * 2.0);
    assert_eq!(at(Some(2.0)), at(None));
}

#[test]
fn invalid_configurations_are_errors_not_panics() {
    let mut c = Configuration::default();
    c.architecture.attention = Attention::Gqa { kv_groups: 0 };
    let e = Footprint::new(
        &presets::model("llama-2-7b").unwrap(),
        &c,
        FootprintOptions::default(),
    );
    assert!(matches!(e, Err(SpaceError::InvalidConfiguration { .. })));
}

fn model_strategy() -> impl Strategy<Value = ModelSpec> {
    (1u32..8, 1u32..5, 0u32..4, 1u32..5, 1u32..64, 8u32..512).prop_map(
        |(layers, kv_heads, heads_pow, head_mul, ffn_mul, vocab)| {
            let heads = kv_heads << heads_pow;
            let hidden = heads * 8 * head_mul;
            let mut m = presets::model("llama-2-7b").unwrap();
            m.name = "sampled".into();
            (m.layers, m.hidden, m.heads, m.kv_heads) = (layers, hidden, heads, kv_heads);
            (m.ffn, m.vocab) = (16 * ffn_mul, vocab);
            m.parameters = 1; // Shapes only: nothing unmodelled.
            m
        },
    )
}

proptest! {
    #[test]
    fn fewer_bits_never_more_weight_bytes(m in model_strategy(), group_pow in 3u32..9, zeros: bool, lm_head: bool) {
        let o = FootprintOptions { group_size: 1 << group_pow, zero_points: zeros, quantize_lm_head: lm_head, ..Default::default() };
        let f = Footprint::new(&m, &Configuration::default(), o).unwrap();
        let b = WeightPrecision::ALL.map(|p| f.weight_bytes_at(p));
        // 16 bits >= 8 bits (FP8 or INT8) >= 4 bits.
        prop_assert!(b[0] >= b[1] && b[0] >= b[2] && b[1] >= b[3] && b[2] >= b[3], "{b:?}");
    }

    #[test]
    fn mqa_never_more_kv_than_gqa_than_mha(m in model_strategy(), groups in 2u32..64) {
        let kv = |a: Attention| {
            let mut c = Configuration::default();
            c.architecture.attention = a;
            Footprint::new(&m, &c, FootprintOptions::default()).map(|f| f.kv_bytes_per_token())
        };
        let mha = kv(Attention::Mha).unwrap();
        let mqa = kv(Attention::Mqa).unwrap();
        prop_assert!(mqa <= mha);
        if let Ok(gqa) = kv(Attention::Gqa { kv_groups: groups }) {
            prop_assert!(mqa <= gqa && gqa <= mha, "{mqa} {gqa} {mha}");
        }
    }

    #[test]
    fn active_never_exceeds_total(m in model_strategy(), experts in 2u32..9, top_k in 1u32..3) {
        let mut c = Configuration::default();
        c.architecture.moe = Moe::Sparse { experts, top_k: top_k.min(experts) };
        let f = Footprint::new(&m, &c, FootprintOptions::default()).unwrap();
        prop_assert!(f.active_parameters() <= f.parameters());
    }
}

#[test]
fn gguf_sizes_of_llama_2_7b_match_llama_bench() {
    // llama-bench prints the model size: F16 12.55 GiB, Q8_0 6.67 GiB, Q4_0
    // 3.56 GiB (llama.cpp pull request 3776; docs/sources/validation.md).
    let m = presets::model("llama-2-7b").unwrap();
    let f = Footprint::new(&m, &Configuration::default(), FootprintOptions::gguf()).unwrap();
    let gib = |p| f.weight_bytes_at(p) / (1u64 << 30) as f64;
    for (p, published) in [
        (WeightPrecision::Fp16, 12.55),
        (WeightPrecision::Int8, 6.67),
        (WeightPrecision::Int4, 3.56),
    ] {
        let err = (gib(p) / published - 1.0).abs();
        assert!(err < 0.01, "{p}: {:.3} GiB vs {published}", gib(p));
    }
}

/// SmolLM2-135M ties its LM head to the embedding table; its published
/// count (the checkpoint's tensors, the table once) fits a plain 2-projection
/// FFN better unless the tie is known. Hand count: 30 x (2·576² + 2·576·192
/// + 3·576·1536 + 2·576) + 49152·576 + 576 = 134,515,008.
#[test]
fn a_tied_table_is_counted_once_and_the_gated_ffn_is_found() {
    let smol = |tied_embeddings| ModelSpec {
        name: "smollm2-135m".into(),
        parameters: 134_515_008,
        layers: 30,
        hidden: 576,
        heads: 9,
        kv_heads: 3,
        ffn: 1536,
        vocab: 49152,
        experts: 1,
        experts_per_token: 1,
        max_context: 8192,
        tied_embeddings,
        checkpoint: None,
    };
    let at = |tied, o: FootprintOptions| {
        Footprint::new(&smol(tied), &Configuration::default(), o).unwrap()
    };
    let tied = at(true, FootprintOptions::default());
    assert_eq!(tied.shape().ffn.projections, 3);
    assert_eq!(tied.parameters(), 134_515_008);
    assert_eq!(tied.shape().other_parameters, 0);
    // FP16: every weight once, the head being the table.
    assert_eq!(
        tied.weight_bytes_at(WeightPrecision::Fp16),
        2.0 * 134_515_008.0
    );
    // Without the tie the same count reads as a plain MLP: the miscount this guards.
    assert_eq!(
        at(false, FootprintOptions::default())
            .shape()
            .ffn
            .projections,
        2
    );
    // A head quantized with the linears beside an f16 table is a second tensor.
    let apart = FootprintOptions {
        quantize_lm_head: true,
        ..Default::default()
    };
    let table = 49152.0 * 576.0 * 2.0;
    let two = at(true, apart).weight_bytes_at(WeightPrecision::Fp16);
    assert_eq!(two, 2.0 * 134_515_008.0 + table);
}
