//! Models from their published Hugging Face `config.json` figures.

use crate::ModelSpec;

#[allow(clippy::too_many_arguments)]
const fn m(
    name: &'static str,
    parameters: u64,
    layers: u32,
    hidden: u32,
    heads: u32,
    kv_heads: u32,
    ffn: u32,
    vocab: u32,
    experts: u32,
    experts_per_token: u32,
    max_context: u32,
) -> ModelPreset {
    ModelPreset {
        name,
        parameters,
        layers,
        hidden,
        heads,
        kv_heads,
        ffn,
        vocab,
        experts,
        experts_per_token,
        max_context,
    }
}

/// A model preset as a constant (converted to a [`ModelSpec`] on use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPreset {
    /// Name.
    pub name: &'static str,
    /// Total parameters.
    pub parameters: u64,
    /// Layers.
    pub layers: u32,
    /// Hidden width.
    pub hidden: u32,
    /// Query heads.
    pub heads: u32,
    /// Key/value heads.
    pub kv_heads: u32,
    /// Width of one FFN projection.
    pub ffn: u32,
    /// Vocabulary.
    pub vocab: u32,
    /// Experts per layer.
    pub experts: u32,
    /// Routed experts per token.
    pub experts_per_token: u32,
    /// Trained context length.
    pub max_context: u32,
}

impl ModelPreset {
    /// The preset as a [`ModelSpec`].
    pub fn spec(&self) -> ModelSpec {
        ModelSpec {
            name: self.name.into(),
            parameters: self.parameters,
            layers: self.layers,
            hidden: self.hidden,
            heads: self.heads,
            kv_heads: self.kv_heads,
            ffn: self.ffn,
            vocab: self.vocab,
            experts: self.experts,
            experts_per_token: self.experts_per_token,
            max_context: self.max_context,
            tied_embeddings: false,
            checkpoint: None,
        }
    }
}

// Sources: each model's config.json on its Hugging Face model card, and the
// parameter count its model card or paper states. Qwen-1's config counts the
// gate and up projections together in `intermediate_size`; `ffn` is one of them.
/// LLaMA-2-7B (Touvron et al. 2023).
pub const LLAMA_2_7B: ModelPreset = m(
    "llama-2-7b",
    6_738_415_616,
    32,
    4096,
    32,
    32,
    11008,
    32000,
    1,
    1,
    4096,
);
/// LLaMA-2-13B.
pub const LLAMA_2_13B: ModelPreset = m(
    "llama-2-13b",
    13_015_864_320,
    40,
    5120,
    40,
    40,
    13824,
    32000,
    1,
    1,
    4096,
);
/// LLaMA-2-70B (GQA with 8 key/value heads).
pub const LLAMA_2_70B: ModelPreset = m(
    "llama-2-70b",
    68_976_648_192,
    80,
    8192,
    64,
    8,
    28672,
    32000,
    1,
    1,
    4096,
);
/// LLaMA-3-8B.
pub const LLAMA_3_8B: ModelPreset = m(
    "llama-3-8b",
    8_030_261_248,
    32,
    4096,
    32,
    8,
    14336,
    128256,
    1,
    1,
    8192,
);
/// LLaMA-3-70B.
pub const LLAMA_3_70B: ModelPreset = m(
    "llama-3-70b",
    70_553_706_496,
    80,
    8192,
    64,
    8,
    28672,
    128256,
    1,
    1,
    8192,
);
/// Mistral-7B v0.1.
pub const MISTRAL_7B: ModelPreset = m(
    "mistral-7b",
    7_241_732_096,
    32,
    4096,
    32,
    8,
    14336,
    32000,
    1,
    1,
    32768,
);
/// Mixtral-8x7B: 8 experts, top-2 routing (12.9B active of 46.7B).
pub const MIXTRAL_8X7B: ModelPreset = m(
    "mixtral-8x7b",
    46_702_792_704,
    32,
    4096,
    32,
    8,
    14336,
    32000,
    8,
    2,
    32768,
);
/// Qwen-1.8B.
pub const QWEN_1_8B: ModelPreset = m(
    "qwen-1.8b",
    1_836_828_672,
    24,
    2048,
    16,
    16,
    5504,
    151936,
    1,
    1,
    8192,
);
/// Qwen-7B.
pub const QWEN_7B: ModelPreset = m(
    "qwen-7b",
    7_721_324_544,
    32,
    4096,
    32,
    32,
    11008,
    151936,
    1,
    1,
    8192,
);
/// Qwen-72B.
pub const QWEN_72B: ModelPreset = m(
    "qwen-72b",
    72_287_920_128,
    80,
    8192,
    64,
    64,
    24576,
    152064,
    1,
    1,
    32768,
);
/// Yi-6B.
pub const YI_6B: ModelPreset = m(
    "yi-6b",
    6_061_035_520,
    32,
    4096,
    32,
    4,
    11008,
    64000,
    1,
    1,
    4096,
);
/// Yi-34B.
pub const YI_34B: ModelPreset = m(
    "yi-34b",
    34_388_917_248,
    60,
    7168,
    56,
    8,
    20480,
    64000,
    1,
    1,
    4096,
);
/// Phi-2 (GELU MLP of width 10240).
pub const PHI_2: ModelPreset = m(
    "phi-2",
    2_779_683_840,
    32,
    2560,
    32,
    32,
    10240,
    51200,
    1,
    1,
    2048,
);
/// TinyLlama-1.1B.
pub const TINYLLAMA_1_1B: ModelPreset = m(
    "tinyllama-1.1b",
    1_100_048_384,
    22,
    2048,
    32,
    4,
    5632,
    32000,
    1,
    1,
    2048,
);

/// Every model preset.
pub const MODELS: &[ModelPreset] = &[
    LLAMA_2_7B,
    LLAMA_2_13B,
    LLAMA_2_70B,
    LLAMA_3_8B,
    LLAMA_3_70B,
    MISTRAL_7B,
    MIXTRAL_8X7B,
    QWEN_1_8B,
    QWEN_7B,
    QWEN_72B,
    YI_6B,
    YI_34B,
    PHI_2,
    TINYLLAMA_1_1B,
];
