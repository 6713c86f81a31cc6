//! # aellm-optimizer
//!
//! The AE-LLM search over LLM efficiency configurations. It talks to
//! measurement only through [`aellm_space::Evaluator`], so any evaluator (the
//! candle harness, a cluster job, a recorded table) can be plugged in.
//!
//! Built so far: the [`study`] store that keeps every evaluation the moment it
//! exists (SQLite, resumable, shareable by workers with leases), and the
//! [`scoring`] of configurations for a user (the paper's utility and
//! efficiency score). The search itself (surrogates, stage-aware NSGA-II,
//! refinement) is not written yet.
#![deny(missing_docs)]

mod error;
pub mod scoring;
pub mod study;

pub use error::OptimizerError;
