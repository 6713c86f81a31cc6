//! Configurations, models and tasks as fixed-length feature vectors.
//!
//! The layout is stable and named ([`feature_names`]): one-hot blocks for
//! categories, log2 for sizes that double (groups, latents, experts, ranks),
//! so tree surrogates split on meaningful thresholds. The same encoding is
//! the real-valued genome of a search: [`decode`] snaps any vector back to a
//! configuration (arg-max of each one-hot block, nearest power of two).

use crate::config::{
    Attention, Configuration, FineTuneMethod, FineTuning, Inference, KvCache, Moe, QuantMethod,
    WeightPrecision,
};
use crate::{Architecture, ModelSpec, SpaceError, TaskKind, TaskSpec};

/// Names of the configuration features, in order.
pub const FEATURE_NAMES: [&str; 29] = [
    "attn_mha",
    "attn_mqa",
    "attn_gqa",
    "attn_mla",
    "attn_log2_kv_groups",
    "attn_log2_latent_dim",
    "moe_sparse",
    "moe_log2_experts",
    "moe_top_k",
    "ft_full",
    "ft_lora",
    "ft_qlora",
    "ft_dora",
    "ft_rslora",
    "ft_log2_rank",
    "ft_log2_alpha_over_rank",
    "w_fp16",
    "w_fp8",
    "w_int8",
    "w_int4",
    "w_bits",
    "q_rtn",
    "q_gptq",
    "q_awq",
    "q_smoothquant",
    "kv_full",
    "kv_mqa_style",
    "kv_gqa_style",
    "kv_int8",
];

/// Number of configuration features.
pub const N_FEATURES: usize = FEATURE_NAMES.len();

/// Names of the configuration features, in order.
pub fn feature_names() -> &'static [&'static str] {
    &FEATURE_NAMES
}

fn one_hot<T: PartialEq>(all: &[T], v: &T) -> impl Iterator<Item = f64> {
    all.iter()
        .map(move |x| if x == v { 1.0 } else { 0.0 })
        .collect::<Vec<_>>()
        .into_iter()
}

/// A configuration as a feature vector of length [`N_FEATURES`].
///
/// ```
/// use aellm_space::{encoding, Configuration};
/// let c = Configuration::default();
/// let x = encoding::encode(&c);
/// assert_eq!(x.len(), encoding::feature_names().len());
/// assert_eq!(encoding::decode(&x).unwrap(), c);
/// ```
pub fn encode(c: &Configuration) -> Vec<f64> {
    let mut x = Vec::with_capacity(N_FEATURES);
    let a = c.architecture.attention;
    x.extend(
        ["mha", "mqa", "gqa", "mla"]
            .iter()
            .map(|k| if *k == a.kind_name() { 1.0 } else { 0.0 }),
    );
    x.push(if let Attention::Gqa { kv_groups } = a {
        (kv_groups as f64).log2()
    } else {
        0.0
    });
    x.push(if let Attention::Mla { latent_dim } = a {
        (latent_dim as f64).log2()
    } else {
        0.0
    });
    match c.architecture.moe {
        Moe::Dense => x.extend([0.0, 0.0, 0.0]),
        Moe::Sparse { experts, top_k } => x.extend([1.0, (experts as f64).log2(), top_k as f64]),
    }
    let ft = &c.fine_tuning;
    x.extend(one_hot(&FineTuneMethod::ALL, &ft.method));
    match (ft.rank, ft.alpha) {
        (Some(r), Some(al)) if ft.method.is_low_rank() && r > 0 && al > 0.0 => {
            x.extend([(r as f64).log2(), (al / r as f64).log2()])
        }
        _ => x.extend([0.0, 0.0]),
    }
    let inf = &c.inference;
    x.extend(one_hot(&WeightPrecision::ALL, &inf.weights));
    x.push(inf.weights.bits() as f64);
    match inf.method {
        Some(m) => x.extend(one_hot(&QuantMethod::ALL, &m)),
        None => x.extend([0.0; 4]),
    }
    x.extend(one_hot(&KvCache::ALL, &inf.kv_cache));
    debug_assert_eq!(x.len(), N_FEATURES);
    x
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len())
        .max_by(|&i, &j| v[i].total_cmp(&v[j]).then(j.cmp(&i)))
        .unwrap_or(0)
}

fn pow2(x: f64) -> u32 {
    2f64.powf(x.round()).clamp(1.0, u32::MAX as f64) as u32
}

/// The configuration a feature vector stands for. Exact for vectors made by
/// [`encode`]; for others (a search's offspring) each one-hot block is read
/// by its largest entry and each log2 size rounded to a power of two. The
/// result may break validity rules; check it with
/// [`Configuration::validate`].
pub fn decode(x: &[f64]) -> Result<Configuration, SpaceError> {
    if x.len() != N_FEATURES {
        return Err(SpaceError::Decode(format!(
            "expected {N_FEATURES} features, got {}",
            x.len()
        )));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(SpaceError::Decode(format!(
            "feature `{}` is {}",
            FEATURE_NAMES[i], x[i]
        )));
    }
    let attention = match argmax(&x[0..4]) {
        0 => Attention::Mha,
        1 => Attention::Mqa,
        2 => Attention::Gqa {
            kv_groups: pow2(x[4]),
        },
        _ => Attention::Mla {
            latent_dim: pow2(x[5]),
        },
    };
    let moe = if x[6] >= 0.5 {
        Moe::Sparse {
            experts: pow2(x[7]),
            top_k: x[8].round().clamp(1.0, 2.0) as u32,
        }
    } else {
        Moe::Dense
    };
    let method = FineTuneMethod::ALL[argmax(&x[9..14])];
    let fine_tuning = if method.is_low_rank() {
        let r = pow2(x[14]);
        FineTuning {
            method,
            rank: Some(r),
            alpha: Some(r as f64 * 2f64.powf(x[15])),
        }
    } else {
        FineTuning::full()
    };
    let weights = WeightPrecision::ALL[argmax(&x[16..20])];
    let method_q = if weights.needs_method() {
        Some(QuantMethod::ALL[argmax(&x[21..25])])
    } else {
        None
    };
    let kv_cache = KvCache::ALL[argmax(&x[25..29])];
    Ok(Configuration {
        architecture: Architecture { attention, moe },
        fine_tuning,
        inference: Inference {
            weights,
            method: method_q,
            kv_cache,
        },
    })
}

/// Names of the model features, in the order of [`model_features`].
pub const MODEL_FEATURE_NAMES: [&str; 9] = [
    "model_log10_parameters",
    "model_log10_active_parameters",
    "model_layers",
    "model_log2_hidden",
    "model_heads",
    "model_kv_heads",
    "model_log2_ffn",
    "model_log2_vocab",
    "model_experts",
];

/// A model as features, so surrogates can pool and transfer across models.
pub fn model_features(m: &ModelSpec) -> Vec<f64> {
    vec![
        (m.parameters as f64).log10(),
        (m.active_parameters() as f64).log10(),
        m.layers as f64,
        (m.hidden as f64).log2(),
        m.heads as f64,
        m.kv_heads as f64,
        (m.ffn as f64).log2(),
        (m.vocab as f64).log2(),
        m.experts as f64,
    ]
}

/// Names of the task features, in the order of [`task_features`].
pub const TASK_FEATURE_NAMES: [&str; 8] = [
    "task_understanding",
    "task_reasoning",
    "task_code",
    "task_generation",
    "task_long_context",
    "task_multi_turn",
    "task_log2_prompt_tokens",
    "task_log2_output_tokens",
];

/// A task as features.
pub fn task_features(t: &TaskSpec) -> Vec<f64> {
    let kinds = [
        TaskKind::Understanding,
        TaskKind::Reasoning,
        TaskKind::Code,
        TaskKind::Generation,
        TaskKind::LongContext,
        TaskKind::MultiTurn,
    ];
    let mut x: Vec<f64> = one_hot(&kinds, &t.kind).collect();
    x.push((t.prompt_tokens.max(1) as f64).log2());
    x.push((t.output_tokens.max(1) as f64).log2());
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_lengths() {
        let m = crate::presets::model("mixtral-8x7b").unwrap();
        assert_eq!(model_features(&m).len(), MODEL_FEATURE_NAMES.len());
        let t = crate::presets::task("gsm8k").unwrap();
        assert_eq!(task_features(&t).len(), TASK_FEATURE_NAMES.len());
        assert_eq!(encode(&Configuration::default()).len(), N_FEATURES);
    }

    #[test]
    fn wrong_lengths_and_nan_are_errors() {
        assert!(decode(&[0.0; 3]).is_err());
        let mut x = encode(&Configuration::default());
        x[7] = f64::NAN;
        assert!(
            decode(&x)
                .unwrap_err()
                .to_string()
                .contains("moe_log2_experts")
        );
    }
}
