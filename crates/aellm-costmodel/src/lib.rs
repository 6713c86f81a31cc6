//! # aellm-costmodel
//!
//! Predictions for hardware you don't have: per-operator roofline latency
//! of prefill and decode (tensor parallelism across a node's devices
//! included), peak memory with the reason when a configuration does not
//! fit, energy from a power model, fine-tuning cost per step for every
//! method, and accuracy from published per-technique changes. The
//! [`CostModel`] evaluator's objectives (and every figure a fitted factor
//! or a published change enters) are `predicted`; the counts among its
//! extra figures (weight and KV bytes, trainable parameters, optimizer
//! state) are `estimated`. Efficiency factors are [`calibration`] fits to
//! measurements (the harness's, or a user's CSV).
//!
//! The counts it starts from (parameters, weight bytes, KV bytes, MACs) are
//! `aellm_space::footprint`'s: nothing here counts them again.
//!
//! ```
//! use aellm_costmodel::CostModel;
//! use aellm_space::{presets, Configuration, Scenario};
//!
//! let s = Scenario::new(presets::model("llama-2-70b").unwrap(), presets::task("gsm8k").unwrap(),
//!                       presets::hardware("8x-h200").unwrap());
//! let p = CostModel::default().predict(&Configuration::default(), &s).unwrap();
//! println!("{:.0} ms, {:.1} GB per device", p.latency_ms, p.memory.per_device_gb);
//! assert!(p.memory.does_not_fit.is_none());
//! ```
#![deny(missing_docs)]

pub mod accuracy;
pub mod calibration;
mod efficiency;
pub mod energy;
mod error;
mod evaluator;
pub mod finetune;
pub mod kernel;
pub mod local;
pub mod memory;
pub mod observation;
mod predict;
pub mod roofline;

pub use accuracy::{AccuracyModel, AccuracyPrediction};
pub use calibration::Calibration;
pub use efficiency::{Efficiency, PrecisionFactors};
pub use error::CostModelError;
pub use evaluator::{COSTMODEL_VERSION, CostModel};
pub use kernel::Runtime;
pub use local::{LocalRun, fit_local};
pub use observation::{Format, Metric, Observation};
pub use predict::{PredictOptions, Prediction, predict};

#[cfg(test)]
mod tests;
