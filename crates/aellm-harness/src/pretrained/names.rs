//! Tensor names of pretrained checkpoints: the Hugging Face names (the
//! harness's names of record for a loaded checkpoint) and their GGUF
//! spellings, in one table.

/// A tensor of a Llama-family checkpoint, by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HfTensor {
    /// The token embedding.
    Embedding,
    /// The final RMSNorm.
    FinalNorm,
    /// The LM head (absent when embeddings are tied).
    LmHead,
    /// A tensor of block `.0`.
    Block(usize, Slot),
}

/// A tensor's place inside one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// RMSNorm before attention.
    AttnNorm,
    /// Query projection weight.
    Q,
    /// Key projection weight.
    K,
    /// Value projection weight.
    V,
    /// Query bias (Qwen2).
    QBias,
    /// Key bias (Qwen2).
    KBias,
    /// Value bias (Qwen2).
    VBias,
    /// Output projection weight.
    O,
    /// RMSNorm before the FFN.
    FfnNorm,
    /// SwiGLU gate projection.
    Gate,
    /// SwiGLU up projection.
    Up,
    /// SwiGLU down projection.
    Down,
}

/// Whole-model tensors: (GGUF name, Hugging Face name, meaning).
const GLOBAL: [(&str, &str, HfTensor); 3] = [
    (
        "token_embd.weight",
        "model.embed_tokens.weight",
        HfTensor::Embedding,
    ),
    (
        "output_norm.weight",
        "model.norm.weight",
        HfTensor::FinalNorm,
    ),
    ("output.weight", "lm_head.weight", HfTensor::LmHead),
];

/// Per-block tensors: (GGUF suffix after `blk.{i}.`, Hugging Face suffix
/// after `model.layers.{i}.`, place).
const BLOCK: [(&str, &str, Slot); 12] = [
    ("attn_norm.weight", "input_layernorm.weight", Slot::AttnNorm),
    ("attn_q.weight", "self_attn.q_proj.weight", Slot::Q),
    ("attn_k.weight", "self_attn.k_proj.weight", Slot::K),
    ("attn_v.weight", "self_attn.v_proj.weight", Slot::V),
    ("attn_q.bias", "self_attn.q_proj.bias", Slot::QBias),
    ("attn_k.bias", "self_attn.k_proj.bias", Slot::KBias),
    ("attn_v.bias", "self_attn.v_proj.bias", Slot::VBias),
    ("attn_output.weight", "self_attn.o_proj.weight", Slot::O),
    (
        "ffn_norm.weight",
        "post_attention_layernorm.weight",
        Slot::FfnNorm,
    ),
    ("ffn_gate.weight", "mlp.gate_proj.weight", Slot::Gate),
    ("ffn_up.weight", "mlp.up_proj.weight", Slot::Up),
    ("ffn_down.weight", "mlp.down_proj.weight", Slot::Down),
];

const GGUF_BLOCK: &str = "blk.";
const HF_BLOCK: &str = "model.layers.";

/// The Hugging Face name of the LM head (absent when embeddings are tied).
pub const LM_HEAD: &str = GLOBAL[2].1;

/// Which projection a tensor belongs to, for layout conversions that
/// concern only some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Query projection weight or bias.
    Query,
    /// Key projection weight or bias.
    Key,
    /// Anything else.
    Other,
}

/// Splits `blk.{i}.{rest}` / `model.layers.{i}.{rest}` into `(i, rest)`.
fn block_of<'a>(name: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let rest = name.strip_prefix(prefix)?;
    let (i, suffix) = rest.split_once('.')?;
    Some((i.parse().ok()?, suffix))
}

/// The meaning of Hugging Face tensor `hf`, or `None` outside the table.
pub fn parse_hf(hf: &str) -> Option<HfTensor> {
    if let Some((_, _, t)) = GLOBAL.iter().find(|(_, h, _)| *h == hf) {
        return Some(*t);
    }
    let (i, suffix) = block_of(hf, HF_BLOCK)?;
    let (_, _, slot) = BLOCK.iter().find(|(_, h, _)| *h == suffix)?;
    Some(HfTensor::Block(i, *slot))
}

/// The Hugging Face name of GGUF tensor `gguf`, or `None` if the table has no such tensor.
///
/// ```
/// use aellm_harness::pretrained::names::{gguf_name, hf_name};
/// assert_eq!(hf_name("blk.3.attn_k.weight").unwrap(), "model.layers.3.self_attn.k_proj.weight");
/// assert_eq!(gguf_name("model.norm.weight").unwrap(), "output_norm.weight");
/// ```
pub fn hf_name(gguf: &str) -> Option<String> {
    if let Some((_, hf, _)) = GLOBAL.iter().find(|(g, _, _)| *g == gguf) {
        return Some(hf.to_string());
    }
    let (i, suffix) = block_of(gguf, GGUF_BLOCK)?;
    let (_, hf, _) = BLOCK.iter().find(|(g, _, _)| *g == suffix)?;
    Some(format!("{HF_BLOCK}{i}.{hf}"))
}

/// The GGUF name of Hugging Face tensor `hf`, or `None` if the table has no such tensor.
pub fn gguf_name(hf: &str) -> Option<String> {
    if let Some((g, _, _)) = GLOBAL.iter().find(|(_, h, _)| *h == hf) {
        return Some(g.to_string());
    }
    let (i, suffix) = block_of(hf, HF_BLOCK)?;
    let (g, _, _) = BLOCK.iter().find(|(_, h, _)| *h == suffix)?;
    Some(format!("{GGUF_BLOCK}{i}.{g}"))
}

/// The role of a Hugging Face tensor name.
pub fn role(hf: &str) -> Role {
    match parse_hf(hf) {
        Some(HfTensor::Block(_, Slot::Q | Slot::QBias)) => Role::Query,
        Some(HfTensor::Block(_, Slot::K | Slot::KBias)) => Role::Key,
        _ => Role::Other,
    }
}

fn is_bias(slot: Slot) -> bool {
    matches!(slot, Slot::QBias | Slot::KBias | Slot::VBias)
}

/// Every Hugging Face tensor a Llama-family checkpoint of `layers` blocks
/// must hold; `qkv_bias` adds Qwen2's biases, `tied` drops the LM head.
pub fn required(layers: usize, qkv_bias: bool, tied: bool) -> Vec<String> {
    let mut out: Vec<String> = GLOBAL
        .iter()
        .filter(|(_, _, t)| !(tied && *t == HfTensor::LmHead))
        .map(|(_, h, _)| h.to_string())
        .collect();
    for i in 0..layers {
        for (_, h, slot) in BLOCK {
            if qkv_bias || !is_bias(slot) {
                out.push(format!("{HF_BLOCK}{i}.{h}"));
            }
        }
    }
    out
}

/// The shape a Hugging Face tensor must have in a checkpoint of shape
/// `arch`, or `None` for a name outside the table.
pub fn expected_shape(hf: &str, arch: &super::Architecture) -> Option<Vec<usize>> {
    let (h, q, kv) = (
        arch.hidden,
        arch.heads * arch.head_dim,
        arch.kv_heads * arch.head_dim,
    );
    let shape = match parse_hf(hf)? {
        HfTensor::Embedding | HfTensor::LmHead => vec![arch.vocab, h],
        HfTensor::FinalNorm => vec![h],
        HfTensor::Block(_, slot) => match slot {
            Slot::AttnNorm | Slot::FfnNorm => vec![h],
            Slot::Q => vec![q, h],
            Slot::K | Slot::V => vec![kv, h],
            Slot::QBias => vec![q],
            Slot::KBias | Slot::VBias => vec![kv],
            Slot::O => vec![h, q],
            Slot::Gate | Slot::Up => vec![arch.ffn, h],
            Slot::Down => vec![h, arch.ffn],
        },
    };
    Some(shape)
}

/// Checks every tensor of `weights` has its expected shape and every
/// required tensor is present; the error names the tensor, both shapes and `source`.
pub fn check_weights(
    weights: &std::collections::HashMap<String, candle_core::Tensor>,
    arch: &super::Architecture,
    source: &std::path::Path,
) -> super::Result<()> {
    use super::PretrainedError;
    for need in required(arch.layers, arch.qkv_bias, arch.tied_embeddings) {
        let Some(t) = weights.get(&need) else {
            let gguf = gguf_name(&need).unwrap_or_default();
            return Err(PretrainedError::format(
                source,
                format!("tensor `{need}` (GGUF `{gguf}`) is missing"),
            ));
        };
        let want = expected_shape(&need, arch).unwrap_or_default();
        if t.dims() != want.as_slice() {
            let why = format!(
                "tensor `{need}` has shape {:?}, the model's figures need {want:?}",
                t.dims()
            );
            return Err(PretrainedError::format(source, why));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_maps_both_ways() {
        for name in required(2, true, false) {
            let g = gguf_name(&name).unwrap();
            assert_eq!(hf_name(&g).unwrap(), name);
        }
        assert_eq!(hf_name("blk.x.attn_q.weight"), None);
        assert_eq!(hf_name("rope_freqs.weight"), None);
    }

    #[test]
    fn required_counts_biases_and_the_head() {
        assert_eq!(required(2, false, true).len(), 2 + 2 * 9);
        assert_eq!(required(2, true, false).len(), 3 + 2 * 12);
        assert_eq!(role("model.layers.0.self_attn.k_proj.bias"), Role::Key);
        assert_eq!(role("model.layers.0.self_attn.v_proj.weight"), Role::Other);
    }
}
