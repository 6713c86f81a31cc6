//! The inference stage: weight precision, quantization method and KV cache.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Storage precision of the weights at inference time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightPrecision {
    /// 16-bit floating point (the unquantized baseline).
    Fp16,
    /// 8-bit floating point, E4M3 with per-channel scales.
    Fp8,
    /// 8-bit integers.
    Int8,
    /// 4-bit integers.
    Int4,
}

impl WeightPrecision {
    /// Every precision, in the order of the encoding.
    pub const ALL: [WeightPrecision; 4] = [
        WeightPrecision::Fp16,
        WeightPrecision::Fp8,
        WeightPrecision::Int8,
        WeightPrecision::Int4,
    ];

    /// Bits per weight, before scales and other metadata.
    pub fn bits(self) -> u32 {
        match self {
            WeightPrecision::Fp16 => 16,
            WeightPrecision::Fp8 | WeightPrecision::Int8 => 8,
            WeightPrecision::Int4 => 4,
        }
    }

    /// Whether an integer quantization method must be chosen for it.
    pub fn needs_method(self) -> bool {
        matches!(self, WeightPrecision::Int8 | WeightPrecision::Int4)
    }
}

impl fmt::Display for WeightPrecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WeightPrecision::Fp16 => "FP16",
            WeightPrecision::Fp8 => "FP8",
            WeightPrecision::Int8 => "INT8",
            WeightPrecision::Int4 => "INT4",
        })
    }
}

/// How integer weights are obtained from the trained ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantMethod {
    /// Round to nearest with a per-group scale.
    Rtn,
    /// GPTQ: second-order, column-by-column error compensation (Frantar et al. 2023).
    Gptq,
    /// AWQ: activation-aware per-channel scaling, 4-bit weight-only (Lin et al. 2024).
    Awq,
    /// SmoothQuant: activation outliers migrated into weights, W8A8 (Xiao et al. 2023).
    SmoothQuant,
}

impl QuantMethod {
    /// Every method, in the order of the encoding.
    pub const ALL: [QuantMethod; 4] = [
        QuantMethod::Rtn,
        QuantMethod::Gptq,
        QuantMethod::Awq,
        QuantMethod::SmoothQuant,
    ];
}

impl fmt::Display for QuantMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuantMethod::Rtn => "RTN",
            QuantMethod::Gptq => "GPTQ",
            QuantMethod::Awq => "AWQ",
            QuantMethod::SmoothQuant => "SmoothQuant",
        })
    }
}

/// Layout of the key/value cache at inference time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvCache {
    /// Every key/value head the attention produces, at full precision.
    Full,
    /// Key/value heads mean-pooled to one shared head in the cache.
    MqaStyle,
    /// Key/value heads mean-pooled in groups of [`KvCache::GQA_STYLE_HEADS_PER_GROUP`].
    GqaStyle,
    /// Every head, stored as 8-bit integers with per-token scales.
    Int8,
}

impl KvCache {
    /// Query heads that share one cached key/value head under [`KvCache::GqaStyle`].
    pub const GQA_STYLE_HEADS_PER_GROUP: u32 = 4;

    /// Key/value heads a GQA-style cache keeps for an attention of `heads`
    /// query heads computing `kv_heads` key/value heads: one per
    /// [`Self::GQA_STYLE_HEADS_PER_GROUP`] query heads, rounded up to a
    /// divisor of `kv_heads` (the heads are mean-pooled in equal groups), and
    /// never more than `kv_heads`.
    ///
    /// ```
    /// use aellm_space::KvCache;
    /// assert_eq!(KvCache::gqa_style_heads(32, 32), 8);
    /// assert_eq!(KvCache::gqa_style_heads(9, 9), 3); // 9 / 4 rounded up to a divisor of 9
    /// assert_eq!(KvCache::gqa_style_heads(32, 4), 4); // nothing to pool
    /// ```
    pub fn gqa_style_heads(heads: u64, kv_heads: u64) -> u64 {
        let want = (heads / u64::from(Self::GQA_STYLE_HEADS_PER_GROUP)).max(1);
        (want..kv_heads)
            .find(|g| kv_heads.is_multiple_of(*g))
            .unwrap_or(kv_heads)
    }

    /// Every layout, in the order of the encoding.
    pub const ALL: [KvCache; 4] = [
        KvCache::Full,
        KvCache::MqaStyle,
        KvCache::GqaStyle,
        KvCache::Int8,
    ];
}

impl fmt::Display for KvCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KvCache::Full => "full KV",
            KvCache::MqaStyle => "MQA-style KV",
            KvCache::GqaStyle => "GQA-style KV",
            KvCache::Int8 => "INT8 KV",
        })
    }
}

/// The inference stage of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inference {
    /// Weight precision.
    pub weights: WeightPrecision,
    /// Quantization method; set for INT8 and INT4, absent for FP16 and FP8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<QuantMethod>,
    /// Key/value cache layout.
    pub kv_cache: KvCache,
}

impl Default for Inference {
    fn default() -> Self {
        Inference {
            weights: WeightPrecision::Fp16,
            method: None,
            kv_cache: KvCache::Full,
        }
    }
}

impl fmt::Display for Inference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.method {
            Some(m) => write!(f, "{} {m}, {}", self.weights, self.kv_cache),
            None => write!(f, "{}, {}", self.weights, self.kv_cache),
        }
    }
}
