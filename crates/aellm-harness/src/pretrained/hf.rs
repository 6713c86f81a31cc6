//! Hugging Face folders: `config.json` (llama, mistral, qwen2), one or many
//! `*.safetensors` (with `model.safetensors.index.json`), `tokenizer.json`.

use super::arch::{Architecture, Family};
use super::checkpoint::{Format, Pretrained, StoredPrecision};
use super::error::{PretrainedError, Result};
use super::tokenizer::TextTokenizer;
use super::{memory, names};
use crate::model::RopeScaling;
use candle_core::{DType, Device, Tensor};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The fields of `config.json` the harness reads (Transformers' names).
#[derive(Debug, Clone, Deserialize)]
pub struct HfConfig {
    /// `llama`, `mistral` or `qwen2`.
    pub model_type: String,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// Blocks.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (MHA when absent).
    pub num_key_value_heads: Option<usize>,
    /// Head width, when not `hidden_size / num_attention_heads`.
    pub head_dim: Option<usize>,
    /// FFN width.
    pub intermediate_size: usize,
    /// RoPE base (Transformers' default 10 000).
    pub rope_theta: Option<f64>,
    /// RoPE scaling; only `llama3` is supported.
    pub rope_scaling: Option<serde_json::Value>,
    /// RMSNorm epsilon (Transformers' default 1e-6).
    pub rms_norm_eps: Option<f64>,
    /// Trained context length.
    pub max_position_embeddings: Option<usize>,
    /// Whether the LM head is the embedding.
    pub tie_word_embeddings: Option<bool>,
    /// Llama's biases on q/k/v/o (the harness has no o-projection bias).
    pub attention_bias: Option<bool>,
}

impl HfConfig {
    /// The architecture these fields describe; `path` names the file in errors.
    pub fn architecture(&self, path: &Path) -> Result<Architecture> {
        let family = match self.model_type.as_str() {
            "llama" => Family::Llama,
            "mistral" => Family::Mistral,
            "qwen2" => Family::Qwen2,
            other => {
                let why =
                    format!("model_type `{other}`; the harness reads llama, mistral and qwen2");
                return Err(PretrainedError::unsupported(path, why));
            }
        };
        if self.attention_bias == Some(true) {
            let why =
                "attention_bias = true (an output-projection bias the harness has no slot for)";
            return Err(PretrainedError::unsupported(path, why));
        }
        let heads = self.num_attention_heads;
        let arch = Architecture {
            family,
            vocab: self.vocab_size,
            hidden: self.hidden_size,
            layers: self.num_hidden_layers,
            heads,
            kv_heads: self.num_key_value_heads.unwrap_or(heads),
            head_dim: self.head_dim.unwrap_or(self.hidden_size / heads.max(1)),
            ffn: self.intermediate_size,
            rope_theta: self.rope_theta.unwrap_or(10_000.0),
            rope_scaling: rope_scaling(self.rope_scaling.as_ref(), path)?,
            rms_eps: self.rms_norm_eps.unwrap_or(1e-6),
            max_context: self.max_position_embeddings.unwrap_or(2048),
            tied_embeddings: self.tie_word_embeddings.unwrap_or(false),
            qkv_bias: family == Family::Qwen2,
        };
        arch.check(&path.display().to_string())?;
        Ok(arch)
    }
}

/// `rope_scaling`: absent, null, or Llama-3's; anything else is refused.
fn rope_scaling(v: Option<&serde_json::Value>, path: &Path) -> Result<Option<RopeScaling>> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let kind = v
        .get("rope_type")
        .or_else(|| v.get("type"))
        .and_then(|k| k.as_str());
    if kind != Some("llama3") {
        let why = format!("rope_scaling of type {kind:?}; only `llama3` is supported");
        return Err(PretrainedError::field(path, "rope_scaling", why));
    }
    let s: RopeScaling = serde_json::from_value(v.clone())
        .map_err(|e| PretrainedError::field(path, "rope_scaling", e.to_string()))?;
    s.check()
        .map_err(|why| PretrainedError::field(path, "rope_scaling", why))?;
    Ok(Some(s))
}

/// Reads a Hugging Face folder into dense f32 weights on `device`.
pub fn read_hf(dir: &Path, device: &Device) -> Result<Pretrained> {
    let config_path = dir.join("config.json");
    let text =
        std::fs::read_to_string(&config_path).map_err(|e| PretrainedError::io(&config_path, e))?;
    let config: HfConfig = serde_json::from_str(&text).map_err(|e| {
        PretrainedError::format(&config_path, format!("not a Transformers config: {e}"))
    })?;
    let mut arch = config.architecture(&config_path)?;
    let name = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let files = safetensors_files(dir)?;
    let headers = files
        .iter()
        .map(|f| header(f))
        .collect::<Result<Vec<_>>>()?;
    let elements: u64 = headers
        .iter()
        .flat_map(|h| h.values())
        .map(|(_, n, _)| *n)
        .sum();
    memory::ensure_fits_here(&name, elements)?;
    let precision = StoredPrecision::from_tensors(
        headers
            .iter()
            .flat_map(|h| h.values())
            .map(|(d, n, bits)| (d.as_str(), *n, *n * bits / 8)),
    );
    let mut weights = HashMap::new();
    let bar = super::progress::bar(files.len() as u64, "reading safetensors");
    for f in &files {
        for (k, t) in candle_core::safetensors::load(f, device)? {
            weights.insert(k, t.to_dtype(DType::F32)?);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    finish_weights(&mut weights, &mut arch, dir)?;
    let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json"))?;
    Ok(Pretrained {
        name,
        source: dir.to_path_buf(),
        format: Format::HfFolder,
        arch,
        weights,
        precision,
        tokenizer,
    })
}

/// Drops a tied head, treats a missing head as tied, checks every tensor is there.
fn finish_weights(
    w: &mut HashMap<String, Tensor>,
    arch: &mut Architecture,
    dir: &Path,
) -> Result<()> {
    if arch.tied_embeddings {
        w.remove(names::LM_HEAD);
    } else if !w.contains_key(names::LM_HEAD) {
        arch.tied_embeddings = true;
    }
    names::check_weights(w, arch, dir)
}

/// The weight files: those the index names, else `model.safetensors`, else every `*.safetensors`.
fn safetensors_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let index = dir.join("model.safetensors.index.json");
    if index.is_file() {
        #[derive(Deserialize)]
        struct Index {
            weight_map: HashMap<String, String>,
        }
        let text = std::fs::read_to_string(&index).map_err(|e| PretrainedError::io(&index, e))?;
        let idx: Index = serde_json::from_str(&text)
            .map_err(|e| PretrainedError::format(&index, e.to_string()))?;
        let files: BTreeSet<&String> = idx.weight_map.values().collect();
        return Ok(files.into_iter().map(|f| dir.join(f)).collect());
    }
    let single = dir.join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| PretrainedError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    all.sort();
    if all.is_empty() {
        return Err(PretrainedError::format(
            dir,
            "no *.safetensors file; the folder holds no weights",
        ));
    }
    Ok(all)
}

/// Name -> (dtype, elements, bits per element) from a safetensors header,
/// without reading the data.
fn header(path: &Path) -> Result<HashMap<String, (String, u64, u64)>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| PretrainedError::io(path, e))?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len)
        .map_err(|e| PretrainedError::io(path, e))?;
    let n = u64::from_le_bytes(len);
    if n > 100 << 20 {
        return Err(PretrainedError::format(
            path,
            format!("header of {n} bytes; not a safetensors file"),
        ));
    }
    let mut buf = vec![0u8; n as usize];
    f.read_exact(&mut buf)
        .map_err(|e| PretrainedError::io(path, e))?;
    let meta: safetensors::tensor::Metadata =
        serde_json::from_slice(&buf).map_err(|e| PretrainedError::format(path, e.to_string()))?;
    Ok(meta
        .tensors()
        .into_iter()
        .map(|(k, info)| {
            let n = info.shape.iter().product::<usize>() as u64;
            (
                k,
                (format!("{:?}", info.dtype), n, info.dtype.bitsize() as u64),
            )
        })
        .collect())
}
