//! The storage conventions a count assumes: element sizes, quantization
//! groups, and how a conversion shapes MLA and MoE.

use serde::{Deserialize, Serialize};

/// How a dense FFN becomes a mixture of experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpertWidth {
    /// The FFN's neurons are split evenly across the experts (MoEfication,
    /// Zhang et al. 2022): each expert is `ffn / experts` wide, so total
    /// parameters stay and active ones shrink.
    Split,
    /// Every expert is a copy of the whole FFN (sparse upcycling, Komatsuzaki
    /// et al. 2023): total parameters grow by the number of experts.
    Copies,
}

/// Which linear layers carry low-rank adapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AdapterTargets {
    /// Attention projections (q, k, v, o; MLA's projections).
    pub attention: bool,
    /// FFN projections (every expert's).
    pub ffn: bool,
}

impl Default for AdapterTargets {
    /// Attention projections only, as Hu et al. (2022) do.
    fn default() -> Self {
        AdapterTargets {
            attention: true,
            ffn: false,
        }
    }
}

/// Storage conventions of a count. The defaults describe FP16 serving on a
/// GPU with GPTQ/AWQ-style groups; the harness states its own (f32 tensors,
/// symmetric 32-weight blocks).
///
/// ```
/// use aellm_space::footprint::FootprintOptions;
/// let o = FootprintOptions { group_size: 64, ..Default::default() };
/// assert_eq!(o.float_bytes, 2.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FootprintOptions {
    /// Bytes of an element kept in floating point: embeddings, norms, the
    /// router, unquantized heads, activations (2 for FP16, 4 for f32).
    pub float_bytes: f64,
    /// Bytes of a cached key or value element at full precision.
    pub kv_bytes: f64,
    /// Weights sharing one scale in INT8/INT4 groups, along the input.
    pub group_size: u32,
    /// Bytes of each group's scale (2: an FP16 scale).
    pub group_scale_bytes: f64,
    /// Whether each group also stores a zero point of the weights' width
    /// (asymmetric, as GPTQ and AWQ checkpoints do).
    pub zero_points: bool,
    /// Bytes of FP8's per-output-channel scale.
    pub fp8_scale_bytes: f64,
    /// Whether the LM head is quantized with the other linears (GPTQ and
    /// AWQ keep it in FP16).
    pub quantize_lm_head: bool,
    /// Whether the token-embedding table is stored at the linears'
    /// precision too (GGUF files quantize it; GPTQ and AWQ do not).
    pub quantize_embeddings: bool,
    /// Bytes of an embedding-table element when the table is not quantized
    /// and is stored at another width than `float_bytes` (the harness serves
    /// an f16 table beside f32 norms); `None`: `float_bytes`.
    pub embedding_bytes: Option<f64>,
    /// Width of MLA's decoupled RoPE key as a fraction of the head width.
    pub mla_rope_fraction: f64,
    /// How a dense checkpoint's FFN becomes experts.
    pub expert_width: ExpertWidth,
    /// Layers that carry adapters.
    pub adapter_targets: AdapterTargets,
}

impl FootprintOptions {
    /// llama.cpp's GGUF formats Q8_0 and Q4_0: symmetric blocks of 32
    /// weights with one FP16 scale (8.5 and 4.5 bits a weight), every
    /// matrix including the embedding table and the output quantized
    /// (llama.cpp keeps the output of a Q4_0 file in Q6_K, which this
    /// counts as Q4_0: 0.4% of a 7B model's bytes).
    pub fn gguf() -> Self {
        FootprintOptions {
            group_size: 32,
            group_scale_bytes: 2.0,
            zero_points: false,
            quantize_lm_head: true,
            quantize_embeddings: true,
            ..Default::default()
        }
    }
}

impl Default for FootprintOptions {
    fn default() -> Self {
        FootprintOptions {
            float_bytes: 2.0,
            kv_bytes: 2.0,
            group_size: 128,
            group_scale_bytes: 2.0,
            zero_points: true,
            fp8_scale_bytes: 4.0,
            quantize_lm_head: false,
            quantize_embeddings: false,
            embedding_bytes: None,
            mla_rope_fraction: 0.5,
            expert_width: ExpertWidth::Split,
            adapter_targets: AdapterTargets::default(),
        }
    }
}
