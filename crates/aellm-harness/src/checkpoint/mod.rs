//! Checkpoints of the harness's model: the [`Weights`] map, its tensor
//! names ([`names`], the one table), safetensors files, and moving weights
//! in and out of a trainable `VarMap`.
//!
//! Readers of other formats (Hugging Face folders, GGUF) produce a
//! [`Weights`] under the names of [`names`] and a
//! [`ModelConfig`](crate::model::ModelConfig); see that module's notes.
//!
//! ```
//! use aellm_harness::checkpoint::{self, names::TensorName};
//! use aellm_harness::model::{ModelConfig, seeded};
//! use candle_core::Device;
//! let (vm, _) = seeded(ModelConfig::tiny(20), 0, &Device::Cpu).unwrap();
//! let w = checkpoint::weights_of(&vm).unwrap();
//! assert!(w.contains_key(&TensorName::Embed.to_string()));
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("tiny.safetensors");
//! checkpoint::save(&w, &path).unwrap();
//! assert_eq!(checkpoint::load(&path, &Device::Cpu).unwrap().len(), w.len());
//! ```

pub mod names;
mod safetensors;
mod varmap;

pub use safetensors::{load, save};
pub use varmap::{trainable, weights_of};

use candle_core::Tensor;
use std::collections::HashMap;

/// Named weights of a model, as in its safetensors file (names: [`names`]).
pub type Weights = HashMap<String, Tensor>;
