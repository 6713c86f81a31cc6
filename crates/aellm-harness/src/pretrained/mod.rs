//! Real pretrained Llama-family checkpoints: Hugging Face folders and GGUF
//! files read into dense f32 weights under Hugging Face names, their real
//! tokenizers, and the project's real English text and multiple-choice
//! questions to measure them on.
//!
//! - [`gguf`]: llama/qwen2 GGUF through candle's `gguf_file`, dequantized,
//!   query/key rows returned to rotate-half RoPE order.
//! - [`hf`]: `config.json` + safetensors (sharded too) + `tokenizer.json`.
//! - [`names`]: the one table of tensor names (GGUF ↔ Hugging Face).
//! - [`resolve()`]/[`load`]: a path, a fetched model (`smollm2-135m`, see
//!   `scripts/fetch-model.sh`) or a Hugging Face cache entry; nothing downloads.
//! - [`memory`]: does it fit in this machine's memory?
//! - [`quantize`]: every quantizer on the real weights, calibrated on the
//!   train split of the real text.
//!
//! ```no_run
//! use aellm_harness::pretrained::load;
//! let p = load("smollm2-135m", &candle_core::Device::Cpu)?;
//! println!("{}: {} parameters, stored as {}", p.name, p.parameters(), p.precision.name);
//! println!("{:?}", p.model_spec());
//! # Ok::<(), aellm_harness::pretrained::PretrainedError>(())
//! ```

mod arch;
pub mod cache_bytes;
mod checkpoint;
pub mod data;
mod error;
pub mod gguf;
mod harness;
pub mod hf;
pub mod memory;
pub mod names;
pub mod perplexity;
mod progress;
pub mod quantize;
mod resolve;
mod tokenizer;

pub use arch::{Architecture, Family};
pub use checkpoint::{Format, Pretrained, StoredPrecision};
pub use error::{PretrainedError, Result};
pub use harness::harness_name;
pub use resolve::{FETCHABLE, aellm_cache, hf_hub_cache, hf_snapshot, load, resolve};
pub use tokenizer::TextTokenizer;
