//! GGUF files of the llama (and qwen2) architecture through candle's
//! `gguf_file`: shape from the metadata, tensors dequantized to dense f32
//! under Hugging Face names, the file's own dtype kept as precision of record.
//!
//! RoPE layout: llama.cpp's converter permutes the rows of each query and
//! key head so that its interleaved RoPE (pairs `2i, 2i+1`, candle's
//! `rope_i`) computes what the checkpoint's rotate-half RoPE (pairs
//! `i, i + d/2`, candle's `rope`, Hugging Face's `rotate_half`) computed.
//! The harness's [`crate::model::rope::Rope`] is rotate-half, so the rows
//! are permuted back here ([`unpermute_rope`]); candle-transformers'
//! `quantized_llama` instead keeps the file's rows and uses `rope_i`.
//! Qwen2 files are not permuted (llama.cpp uses rotate-half, "NEOX", for them).

use super::arch::{Architecture, Family};
use super::checkpoint::{Format, Pretrained, StoredPrecision};
use super::error::{PretrainedError, Result};
use super::memory;
use super::names::{self, Role};
use super::tokenizer::TextTokenizer;
use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// Reads a GGUF checkpoint into dense f32 weights on `device`.
pub fn read_gguf(path: &Path, device: &Device) -> Result<Pretrained> {
    let file = File::open(path).map_err(|e| PretrainedError::io(path, e))?;
    let mut reader = BufReader::new(file);
    let content = Content::read(&mut reader).map_err(|e| {
        PretrainedError::format(path, format!("not a readable GGUF file ({e}); re-fetch it"))
    })?;
    let arch = architecture(&content, path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "gguf".into());
    let elements = content
        .tensor_infos
        .values()
        .map(|t| t.shape.elem_count() as u64)
        .sum();
    memory::ensure_fits_here(&name, elements)?;
    let tokenizer = TextTokenizer::from_gguf(&content.metadata, path)?;
    let (weights, precision) = read_tensors(&content, &mut reader, &arch, path, device)?;
    tracing::info!(model = %name, precision = %precision.name, "read GGUF checkpoint");
    Ok(Pretrained {
        name,
        source: path.to_path_buf(),
        format: Format::Gguf,
        arch,
        weights,
        precision,
        tokenizer,
    })
}

/// Metadata access that names the file and key in its errors.
struct Meta<'a> {
    md: &'a HashMap<String, Value>,
    prefix: String,
    path: &'a Path,
}

impl Meta<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.md.get(&format!("{}.{key}", self.prefix))
    }

    fn usize(&self, key: &str) -> Result<Option<usize>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let n = v.to_u64().or_else(|_| v.to_u32().map(u64::from));
        n.map(|n| Some(n as usize)).map_err(|e| self.bad(key, e))
    }

    fn need(&self, key: &str) -> Result<usize> {
        self.usize(key)?.ok_or_else(|| self.bad(key, "missing"))
    }

    fn f64(&self, key: &str) -> Result<Option<f64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        // An f32 field means the decimal it was written from (1e-5, not 9.99999974e-6).
        let f = v
            .to_f32()
            .map(|x| x.to_string().parse().unwrap_or(f64::from(x)))
            .or_else(|_| v.to_f64());
        f.map(Some).map_err(|e| self.bad(key, e))
    }

    fn bad(&self, key: &str, e: impl std::fmt::Display) -> PretrainedError {
        let why = format!("{e}; the file's metadata is incomplete, re-convert it with llama.cpp");
        PretrainedError::field(self.path, &format!("{}.{key}", self.prefix), why)
    }
}

/// The shape of the model, from `general.architecture` and its keys.
fn architecture(content: &Content, path: &Path) -> Result<Architecture> {
    let arch_name = match content.metadata.get("general.architecture") {
        Some(v) => v
            .to_string()
            .map_err(|e| PretrainedError::format(path, e.to_string()))?,
        None => {
            return Err(PretrainedError::field(
                path,
                "general.architecture",
                "missing",
            ));
        }
    };
    let family = match arch_name.as_str() {
        "llama" => Family::Llama,
        "qwen2" => Family::Qwen2,
        other => {
            let why =
                format!("architecture `{other}`; the harness reads `llama` and `qwen2` GGUFs");
            return Err(PretrainedError::unsupported(path, why));
        }
    };
    if content.tensor_infos.contains_key("rope_freqs.weight") {
        let why =
            "RoPE frequency factors (Llama-3.1 scaling) in a GGUF; load its Hugging Face folder";
        return Err(PretrainedError::unsupported(path, why));
    }
    let m = Meta {
        md: &content.metadata,
        prefix: arch_name.clone(),
        path,
    };
    let embd = content.tensor_infos.get("token_embd.weight");
    let rows = embd.and_then(|t| t.shape.dims().first().copied());
    let (hidden, heads) = (m.need("embedding_length")?, m.need("attention.head_count")?);
    let arch = Architecture {
        family,
        vocab: m
            .usize("vocab_size")?
            .or(rows)
            .ok_or_else(|| m.bad("vocab_size", "missing"))?,
        hidden,
        layers: m.need("block_count")?,
        heads,
        kv_heads: m.usize("attention.head_count_kv")?.unwrap_or(heads),
        head_dim: m
            .usize("attention.key_length")?
            .unwrap_or(hidden / heads.max(1)),
        ffn: m.need("feed_forward_length")?,
        rope_theta: m.f64("rope.freq_base")?.unwrap_or(10_000.0),
        rope_scaling: None,
        rms_eps: m
            .f64("attention.layer_norm_rms_epsilon")?
            .ok_or_else(|| m.bad("attention.layer_norm_rms_epsilon", "missing"))?,
        max_context: m.need("context_length")?,
        tied_embeddings: !content.tensor_infos.contains_key("output.weight"),
        qkv_bias: content.tensor_infos.contains_key("blk.0.attn_q.bias"),
    };
    arch.check(&path.display().to_string())?;
    Ok(arch)
}

/// Every tensor dequantized to f32 and renamed; the summary of stored dtypes.
fn read_tensors(
    content: &Content,
    reader: &mut BufReader<File>,
    arch: &Architecture,
    path: &Path,
    device: &Device,
) -> Result<(HashMap<String, Tensor>, StoredPrecision)> {
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let bar = super::progress::bar(names.len() as u64, "reading GGUF tensors");
    let mut weights = HashMap::new();
    let mut stored = Vec::new();
    for gguf in names {
        let hf = names::hf_name(gguf).ok_or_else(|| {
            PretrainedError::unsupported(
                path,
                format!("tensor `{gguf}` has no Llama-family meaning"),
            )
        })?;
        let q = content.tensor(reader, gguf, device)?;
        let dtype = format!("{:?}", q.dtype());
        stored.push((
            dtype,
            q.shape().elem_count() as u64,
            q.storage_size_in_bytes() as u64,
        ));
        let mut w = q.dequantize(device)?;
        if family_is_interleaved(arch.family) {
            w = match names::role(&hf) {
                Role::Query => unpermute_rope(&w, arch.heads)?,
                Role::Key => unpermute_rope(&w, arch.kv_heads)?,
                Role::Other => w,
            };
        }
        weights.insert(hf, w);
        bar.inc(1);
    }
    bar.finish_and_clear();
    names::check_weights(&weights, arch, path)?;
    let precision =
        StoredPrecision::from_tensors(stored.iter().map(|(d, n, b)| (d.as_str(), *n, *b)));
    Ok((weights, precision))
}

/// llama.cpp stores this family's query/key rows for interleaved RoPE.
fn family_is_interleaved(f: Family) -> bool {
    matches!(f, Family::Llama | Family::Mistral)
}

/// Rows of a query or key projection (weight `[heads*d, in]` or bias
/// `[heads*d]`) from llama.cpp's interleaved order back to rotate-half:
/// within each head, row `2i + j` goes to `j*d/2 + i`.
pub fn unpermute_rope(w: &Tensor, heads: usize) -> Result<Tensor> {
    reorder_heads(w, heads, true)
}

/// The inverse of [`unpermute_rope`]: what llama.cpp's converter does.
pub fn permute_rope(w: &Tensor, heads: usize) -> Result<Tensor> {
    reorder_heads(w, heads, false)
}

fn reorder_heads(w: &Tensor, heads: usize, to_rotate_half: bool) -> Result<Tensor> {
    let dims = w.dims().to_vec();
    let rows = dims[0];
    let cols: usize = dims[1..].iter().product();
    let half = rows / heads.max(1) / 2;
    let (a, b) = if to_rotate_half { (half, 2) } else { (2, half) };
    let r = w
        .reshape((heads, a, b, cols))?
        .transpose(1, 2)?
        .contiguous()?
        .reshape(dims)?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_round_trips_and_moves_rows_as_llama_cpp_does() {
        let dev = Device::Cpu;
        // 2 heads of width 4, one input column: rows 0..8.
        let w = Tensor::arange(0f32, 8., &dev)
            .unwrap()
            .reshape((8, 1))
            .unwrap();
        let p = permute_rope(&w, 2).unwrap();
        // llama.cpp: head rows [0,1,2,3] (halves [0,1] and [2,3]) interleave to [0,2,1,3].
        let got: Vec<f32> = p.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(got, vec![0., 2., 1., 3., 4., 6., 5., 7.]);
        let back = unpermute_rope(&p, 2).unwrap();
        assert_eq!(
            back.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            (0..8).map(|x| x as f32).collect::<Vec<_>>()
        );
        let bias = Tensor::arange(0f32, 8., &dev).unwrap();
        assert_eq!(permute_rope(&bias, 2).unwrap().dims(), &[8]);
    }
}
