//! Real tokenizers through the `tokenizers` crate: a folder's
//! `tokenizer.json`, or the byte-level BPE a GGUF file describes in its
//! metadata (`tokenizer.ggml.*`).

use super::error::{PretrainedError, Result};
use candle_core::quantized::gguf_file::Value;
use std::collections::HashMap;
use std::path::Path;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, Tokenizer};

/// GGUF token types (llama.cpp's `llama_token_type`) that are whole
/// special tokens, never split by the BPE: control and user-defined.
const SPECIAL_TOKEN_TYPES: [i32; 2] = [3, 4];

/// A tokenizer with the checkpoint's special token ids.
///
/// ```no_run
/// use aellm_harness::pretrained::TextTokenizer;
/// let t = TextTokenizer::from_file(std::path::Path::new("model/tokenizer.json"))?;
/// let ids = t.encode("Hello world")?;
/// assert_eq!(t.decode(&ids)?, "Hello world");
/// # Ok::<(), aellm_harness::pretrained::PretrainedError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
    source: String,
    /// Beginning-of-sequence token, when the checkpoint names one.
    pub bos: Option<u32>,
    /// End-of-sequence token, when the checkpoint names one.
    pub eos: Option<u32>,
}

impl TextTokenizer {
    /// Reads a Hugging Face `tokenizer.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let inner = Tokenizer::from_file(path).map_err(|e| PretrainedError::Tokenizer {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        let find = |names: &[&str]| names.iter().find_map(|n| inner.token_to_id(n));
        let bos = find(&["<|begin_of_text|>", "<s>", "<|endoftext|>"]);
        let eos = find(&["<|end_of_text|>", "</s>", "<|endoftext|>", "<|im_end|>"]);
        Ok(TextTokenizer {
            inner,
            source: path.display().to_string(),
            bos,
            eos,
        })
    }

    /// Builds the byte-level BPE described by a GGUF file's metadata
    /// (`tokenizer.ggml.model = "gpt2"`: tokens, merges, special ids, and the
    /// pre-tokenizer named by `tokenizer.ggml.pre`).
    pub fn from_gguf(md: &HashMap<String, Value>, path: &Path) -> Result<Self> {
        let field = |k: &str, why: String| PretrainedError::field(path, k, why);
        let string = |k: &str| -> Result<String> {
            let v = md.get(k).ok_or_else(|| field(k, "missing".into()))?;
            v.to_string().cloned().map_err(|e| field(k, e.to_string()))
        };
        let model = string("tokenizer.ggml.model")?;
        if model != "gpt2" {
            let why = format!(
                "tokenizer.ggml.model = `{model}`; only byte-level BPE (`gpt2`) is read from GGUF, use the model's tokenizer.json"
            );
            return Err(PretrainedError::unsupported(path, why));
        }
        let pre = md
            .get("tokenizer.ggml.pre")
            .map(|_| string("tokenizer.ggml.pre"))
            .transpose()?;
        let tokens = strings(md, "tokenizer.ggml.tokens", path)?;
        let merges = strings(md, "tokenizer.ggml.merges", path)?
            .into_iter()
            .map(|m| match m.split_once(' ') {
                Some((a, b)) => Ok((a.to_string(), b.to_string())),
                None => Err(field(
                    "tokenizer.ggml.merges",
                    format!("merge `{m}` is not `a b`"),
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| PretrainedError::Tokenizer {
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
        let mut inner = Tokenizer::new(bpe);
        inner.with_pre_tokenizer(Some(pre_tokenizer(pre.as_deref(), path)?));
        inner.with_decoder(Some(ByteLevel::default()));
        let special = special_tokens(md, &tokens);
        inner
            .add_special_tokens(special)
            .map_err(|e| PretrainedError::Tokenizer {
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
        let id = |k: &str| md.get(k).and_then(|v| v.to_u32().ok());
        Ok(TextTokenizer {
            inner,
            source: path.display().to_string(),
            bos: id("tokenizer.ggml.bos_token_id"),
            eos: id("tokenizer.ggml.eos_token_id"),
        })
    }

    /// Token ids of `text`, without added BOS/EOS (callers add them).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let e = self.inner.encode(text, false).map_err(|e| self.err(e))?;
        Ok(e.get_ids().to_vec())
    }

    /// The text of `ids` (special tokens kept).
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner.decode(ids, false).map_err(|e| self.err(e))
    }

    /// Vocabulary size, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The `tokenizers` crate's tokenizer, for anything else.
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    fn err(&self, e: tokenizers::Error) -> PretrainedError {
        PretrainedError::Tokenizer {
            path: self.source.clone(),
            why: e.to_string(),
        }
    }
}

/// llama.cpp's pre-tokenizer types that the `tokenizers` crate expresses
/// exactly: `gpt2`/`default` is GPT-2's regex; `smollm` (also StarCoder's)
/// splits every digit first (llama.cpp's `\p{N}` expression).
fn pre_tokenizer(pre: Option<&str>, path: &Path) -> Result<Sequence> {
    let byte_level = ByteLevel::new(false, true, true);
    match pre.unwrap_or("default") {
        "default" | "gpt2" => Ok(Sequence::new(vec![byte_level.into()])),
        "smollm" | "starcoder" | "refact" => Ok(Sequence::new(vec![
            Digits::new(true).into(),
            byte_level.into(),
        ])),
        other => Err(PretrainedError::unsupported(
            path,
            format!(
                "tokenizer.ggml.pre = `{other}`; known: default, gpt2, smollm, starcoder, refact; use the model's tokenizer.json"
            ),
        )),
    }
}

/// The special tokens (control and user-defined types) of the vocabulary.
fn special_tokens(md: &HashMap<String, Value>, tokens: &[String]) -> Vec<AddedToken> {
    let Some(Ok(types)) = md.get("tokenizer.ggml.token_type").map(|v| v.to_vec()) else {
        return Vec::new();
    };
    types
        .iter()
        .zip(tokens)
        .filter(|(t, _)| t.to_i32().is_ok_and(|t| SPECIAL_TOKEN_TYPES.contains(&t)))
        .map(|(_, tok)| AddedToken::from(tok.clone(), true))
        .collect()
}

/// A metadata array of strings.
fn strings(md: &HashMap<String, Value>, key: &str, path: &Path) -> Result<Vec<String>> {
    let bad = |why: String| PretrainedError::field(path, key, why);
    let v = md.get(key).ok_or_else(|| bad("missing".into()))?;
    v.to_vec()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(|s| s.to_string().cloned().map_err(|e| bad(e.to_string())))
        .collect()
}

/// The harness's tasks and metrics read text through this.
impl crate::tasks::Vocabulary for TextTokenizer {
    fn vocab(&self) -> usize {
        self.vocab_size()
    }

    fn encode(&self, text: &str) -> crate::Result<Vec<u32>> {
        Ok(TextTokenizer::encode(self, text)?)
    }

    fn decode(&self, ids: &[u32]) -> String {
        TextTokenizer::decode(self, ids).unwrap_or_default()
    }

    /// The end-of-sequence token (0 when the checkpoint names none).
    fn end(&self) -> u32 {
        self.eos.unwrap_or(0)
    }

    /// The end-of-sequence token: padded positions are never scored.
    fn pad(&self) -> u32 {
        self.end()
    }
}
