//! # aellm-harness
//!
//! Real measurements with candle: turns a [`aellm_space::Configuration`]
//! into a real model, runs it on a real task and measures accuracy,
//! latency, peak memory and energy, each marked measured or estimated.
//!
//! The pipeline of one evaluation ([`HarnessEvaluator`]):
//! [`base`] (a small MHA, dense LM pretrained once and cached) →
//! [`convert`] (GQA/MQA pooling, MLA factorisation, MoEfication or
//! upcycling) → [`finetune`] (a short fine-tune) → [`inference`] (KV-cache
//! layout, [`quant`]ization) → [`metrics`] (accuracy on the [`tasks`] test
//! split, latency, memory, energy).
#![deny(missing_docs)]

pub mod base;
pub mod checkpoint;
pub mod convert;
pub mod device;
mod error;
pub mod evaluator;
pub mod finetune;
pub mod inference;
pub mod metrics;
pub mod model;
pub mod quant;
pub mod tasks;

pub use error::{HarnessError, Result};
pub use evaluator::{HarnessEvaluator, HarnessOptions};
pub use metrics::CountingAllocator;
