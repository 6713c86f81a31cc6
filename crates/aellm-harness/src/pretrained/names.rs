//! Tensor names of pretrained checkpoints: the Hugging Face names (the
//! harness's names of record for a loaded checkpoint) and their GGUF
//! spellings, in one table.

/// Whole-model tensors: (GGUF name, Hugging Face name).
const GLOBAL: [(&str, &str); 3] = [
    ("token_embd.weight", "model.embed_tokens.weight"),
    ("output_norm.weight", "model.norm.weight"),
    ("output.weight", "lm_head.weight"),
];

/// Per-block tensors: (GGUF suffix after `blk.{i}.`, Hugging Face suffix
/// after `model.layers.{i}.`).
const BLOCK: [(&str, &str); 12] = [
    ("attn_norm.weight", "input_layernorm.weight"),
    ("attn_q.weight", "self_attn.q_proj.weight"),
    ("attn_k.weight", "self_attn.k_proj.weight"),
    ("attn_v.weight", "self_attn.v_proj.weight"),
    ("attn_q.bias", "self_attn.q_proj.bias"),
    ("attn_k.bias", "self_attn.k_proj.bias"),
    ("attn_v.bias", "self_attn.v_proj.bias"),
    ("attn_output.weight", "self_attn.o_proj.weight"),
    ("ffn_norm.weight", "post_attention_layernorm.weight"),
    ("ffn_gate.weight", "mlp.gate_proj.weight"),
    ("ffn_up.weight", "mlp.up_proj.weight"),
    ("ffn_down.weight", "mlp.down_proj.weight"),
];

const GGUF_BLOCK: &str = "blk.";
const HF_BLOCK: &str = "model.layers.";

/// The Hugging Face name of the LM head (absent when embeddings are tied).
pub const LM_HEAD: &str = "lm_head.weight";
/// The Hugging Face name of the token embedding.
pub const EMBEDDING: &str = "model.embed_tokens.weight";

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

/// The Hugging Face name of GGUF tensor `gguf`, or `None` if the table has no such tensor.
///
/// ```
/// use aellm_harness::pretrained::names::{gguf_name, hf_name};
/// assert_eq!(hf_name("blk.3.attn_k.weight").unwrap(), "model.layers.3.self_attn.k_proj.weight");
/// assert_eq!(gguf_name("model.norm.weight").unwrap(), "output_norm.weight");
/// ```
pub fn hf_name(gguf: &str) -> Option<String> {
    if let Some((_, hf)) = GLOBAL.iter().find(|(g, _)| *g == gguf) {
        return Some(hf.to_string());
    }
    let (i, suffix) = block_of(gguf, GGUF_BLOCK)?;
    let (_, hf) = BLOCK.iter().find(|(g, _)| *g == suffix)?;
    Some(format!("{HF_BLOCK}{i}.{hf}"))
}

/// The GGUF name of Hugging Face tensor `hf`, or `None` if the table has no such tensor.
pub fn gguf_name(hf: &str) -> Option<String> {
    if let Some((g, _)) = GLOBAL.iter().find(|(_, h)| *h == hf) {
        return Some(g.to_string());
    }
    let (i, suffix) = block_of(hf, HF_BLOCK)?;
    let (g, _) = BLOCK.iter().find(|(_, h)| *h == suffix)?;
    Some(format!("{GGUF_BLOCK}{i}.{g}"))
}

/// The role of a Hugging Face tensor name.
pub fn role(hf: &str) -> Role {
    match block_of(hf, HF_BLOCK).map(|(_, s)| s) {
        Some(s) if s.starts_with("self_attn.q_proj.") => Role::Query,
        Some(s) if s.starts_with("self_attn.k_proj.") => Role::Key,
        _ => Role::Other,
    }
}

/// Every Hugging Face tensor a Llama-family checkpoint of `layers` blocks
/// must hold; `qkv_bias` adds Qwen2's biases, `tied` drops the LM head.
pub fn required(layers: usize, qkv_bias: bool, tied: bool) -> Vec<String> {
    let mut out: Vec<String> = GLOBAL
        .iter()
        .map(|(_, h)| h.to_string())
        .filter(|h| !(tied && h == LM_HEAD))
        .collect();
    for i in 0..layers {
        for (_, h) in BLOCK {
            if qkv_bias || !h.ends_with(".bias") {
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
    let global = match hf {
        EMBEDDING | LM_HEAD => Some(vec![arch.vocab, h]),
        "model.norm.weight" => Some(vec![h]),
        _ => None,
    };
    if global.is_some() {
        return global;
    }
    let (_, suffix) = block_of(hf, HF_BLOCK)?;
    let shape = match suffix {
        "input_layernorm.weight" | "post_attention_layernorm.weight" => vec![h],
        "self_attn.q_proj.weight" => vec![q, h],
        "self_attn.k_proj.weight" | "self_attn.v_proj.weight" => vec![kv, h],
        "self_attn.q_proj.bias" => vec![q],
        "self_attn.k_proj.bias" | "self_attn.v_proj.bias" => vec![kv],
        "self_attn.o_proj.weight" => vec![h, q],
        "mlp.gate_proj.weight" | "mlp.up_proj.weight" => vec![arch.ffn, h],
        "mlp.down_proj.weight" => vec![h, arch.ffn],
        _ => return None,
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
