//! # aellm
//!
//! Chooses and combines efficiency techniques for large language models with
//! the AE-LLM method. This umbrella crate re-exports the member crates:
//!
//! - [`space`]: configurations, scenarios, presets and the `Evaluator` trait;
//! - [`nsga2`]: a general NSGA-II engine;
//! - [`surrogate`]: boosted regression trees with calibrated uncertainty;
//! - [`harness`]: real measurements with candle;
//! - [`optimizer`]: the AE-LLM search itself;
//! - [`costmodel`]: predictions for hardware this machine is not.
#![deny(missing_docs)]

pub use aellm_costmodel as costmodel;
pub use aellm_harness as harness;
pub use aellm_nsga2 as nsga2;
pub use aellm_optimizer as optimizer;
pub use aellm_space as space;
pub use aellm_surrogate as surrogate;
