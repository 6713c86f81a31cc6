//! # aellm-harness
//!
//! Real measurements with candle: turns a [`aellm_space::Configuration`]
//! into a real model, runs it on a real task and measures accuracy,
//! latency, peak memory and energy, each marked measured or estimated.
//!
//! The pipeline of one evaluation ([`HarnessEvaluator`]):
//! [`base`] (a small MHA, dense LM pretrained once and cached) →
//! [`convert`] (GQA/MQA pooling, MLA factorisation, MoEfication or
//! upcycling) → [`finetune`] (a short fine-tune: full, LoRA, RSLoRA, DoRA or
//! QLoRA, adapters merged afterwards) → inference stage (the KV-cache
//! layout, [`convert::kv_layout`]; [`quant`]ization,
//! [`quant::quantize_model`]) → [`metrics`] (accuracy on the [`tasks`] test
//! split, latency, memory, energy), measured through one model interface,
//! [`CausalLm`]. Checkpoints and every tensor name: [`checkpoint`].
//!
//! ```no_run
//! use aellm_harness::{CountingAllocator, HarnessEvaluator, HarnessOptions};
//! use aellm_space::{Configuration, Evaluator};
//!
//! // Install the counting allocator to get measured (not estimated) peak memory.
//! #[global_allocator]
//! static ALLOC: CountingAllocator = CountingAllocator;
//!
//! let e = HarnessEvaluator::new(HarnessOptions::default());
//! let s = e.scenario(); // aellm-tiny, multiple choice, this machine
//! let m = e.evaluate(&Configuration::default(), &s).unwrap();
//! for (name, f) in aellm_space::Objectives::NAMES.iter().zip(m.figures()) {
//!     println!("{name}: {f} {}", f.how.as_deref().unwrap_or(""));
//! }
//! ```
//!
//! On this project's 2-core CPU, pre-training the default base takes about
//! 80 seconds once, and one evaluation about three seconds; run
//! `cargo run --release --example harness_tour` for a table of figures.
//! With the `cuda` feature, models run on GPU 0 and energy comes from NVML.
#![deny(missing_docs)]

pub mod base;
mod causal_lm;
pub mod checkpoint;
pub mod convert;
pub mod device;
mod error;
pub mod evaluator;
pub mod finetune;
pub mod metrics;
pub mod model;
pub mod pretrained;
pub mod quant;
pub mod tasks;

pub use causal_lm::CausalLm;
pub use error::{HarnessError, Result};
pub use evaluator::{HarnessEvaluator, HarnessOptions};
pub use metrics::CountingAllocator;
