//! # aellm-harness
//!
//! Real measurements with candle: turns a [`aellm_space::Configuration`]
//! into a real model, runs it on a real task and measures accuracy,
//! latency, peak memory and energy.
#![deny(missing_docs)]

pub mod checkpoint;
pub mod convert;
mod error;
pub mod finetune;
pub mod model;
pub mod quant;
pub mod tasks;

pub use error::{HarnessError, Result};
