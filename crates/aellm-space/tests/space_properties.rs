//! Invariants of the space, checked on many sampled configurations.

use aellm_space::{Configuration, Space, encoding, presets};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

fn sampled(seed: u64) -> Configuration {
    Space::paper()
        .sample(&mut ChaCha8Rng::seed_from_u64(seed))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_then_decode_is_the_identity(seed in any::<u64>()) {
        let c = sampled(seed);
        prop_assert_eq!(encoding::decode(&encoding::encode(&c)).unwrap(), c);
    }

    #[test]
    fn sampled_configurations_are_valid_and_in_the_space(seed in any::<u64>()) {
        let c = sampled(seed);
        prop_assert!(c.is_valid(), "{c}: {:?}", c.validate());
        prop_assert!(Space::paper().contains(&c));
    }

    #[test]
    fn genome_round_trips(seed in any::<u64>()) {
        let s = Space::paper();
        let c = sampled(seed);
        let g = s.genome(&c).unwrap();
        prop_assert_eq!(s.configuration(&g).unwrap(), c);
    }

    #[test]
    fn every_neighbour_differs_in_exactly_one_dimension(seed in any::<u64>()) {
        let s = Space::paper();
        let c = sampled(seed);
        let ns = s.neighbours(&c);
        prop_assert!(!ns.is_empty());
        for n in &ns {
            prop_assert!(n.is_valid());
            prop_assert_eq!(s.differing_dimensions(&c, n).len(), 1, "{} vs {}", c, n);
        }
        // Each neighbour is listed once.
        let unique: HashSet<String> = ns.iter().map(|n| n.key()).collect();
        prop_assert_eq!(unique.len(), ns.len());
    }

    #[test]
    fn json_round_trips(seed in any::<u64>()) {
        let c = sampled(seed);
        let back: Configuration = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        prop_assert_eq!(back, c);
    }
}

#[test]
fn enumeration_is_valid_unique_and_as_large_as_size() {
    let s = Space::paper();
    let all = s.enumerate();
    assert_eq!(all.len() as u64, s.size());
    assert!(all.iter().all(|c| c.is_valid()));
    let keys: HashSet<String> = all.iter().map(|c| c.key()).collect();
    assert_eq!(keys.len(), all.len());
}

#[test]
fn size_is_the_product_of_what_each_stage_allows() {
    // Counted by hand from the rules, independently of the enumeration code.
    // Architecture x KV cache: MHA takes all 4 layouts; MQA takes full/INT8;
    // GQA (3 sizes) takes full/MQA-style/INT8; MLA (2 sizes) takes full/INT8.
    let attn_kv = 4 + 2 + 3 * 3 + 2 * 2;
    let moe = 7;
    // Fine-tuning x weights: low-rank methods have 6 ranks x 3 alphas.
    // Weights with methods: FP16 1, FP8 1, INT8 3 (RTN, GPTQ, SmoothQuant), INT4 3 (RTN, GPTQ, AWQ).
    let all_weights = 1 + 1 + 3 + 3;
    let ft_w = all_weights /* Full */ + 3 * 18 * all_weights /* LoRA, DoRA, RSLoRA */ + 18 * 3 /* QLoRA: INT4 only */;
    assert_eq!(Space::paper().size(), (attn_kv * moe * ft_w) as u64);
}

#[test]
fn sampling_is_roughly_uniform() {
    // With a 2-value space the two valid configurations must each come up about half the time.
    let mut s = Space::paper();
    s.attention.truncate(1);
    s.moe.truncate(1);
    s.methods.truncate(1);
    s.weights.truncate(1);
    s.kv_caches = vec![aellm_space::KvCache::Full, aellm_space::KvCache::Int8];
    assert_eq!(s.size(), 2);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let full = (0..4000)
        .filter(|_| s.sample(&mut rng).unwrap().inference.kv_cache == aellm_space::KvCache::Full)
        .count();
    assert!((1800..2200).contains(&full), "{full}");
}

#[test]
fn same_seed_same_sample() {
    let s = Space::paper();
    let a = s.sample_n(20, &mut ChaCha8Rng::seed_from_u64(9)).unwrap();
    let b = s.sample_n(20, &mut ChaCha8Rng::seed_from_u64(9)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn narrowing_to_a_model_drops_what_it_cannot_take() {
    let yi = presets::model("yi-6b").unwrap(); // 4 kv heads of 128: key/value width 512
    let s = Space::paper().for_model(&yi);
    assert!(
        !s.attention
            .contains(&aellm_space::Attention::Mla { latent_dim: 512 })
    );
    assert!(
        s.attention
            .contains(&aellm_space::Attention::Mla { latent_dim: 256 })
    );
    for c in s.enumerate().iter().step_by(997) {
        assert!(c.validate_for(&yi).is_empty(), "{c}");
    }
}

#[test]
fn an_empty_dimension_is_a_clear_error() {
    let mut s = Space::paper();
    s.kv_caches.clear();
    let e = s
        .sample(&mut ChaCha8Rng::seed_from_u64(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("kv_cache"), "{e}");
}
