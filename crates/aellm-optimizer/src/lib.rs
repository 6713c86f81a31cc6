//! # aellm-optimizer
//!
//! The AE-LLM search over LLM efficiency configurations. It talks to
//! measurement only through [`aellm_space::Evaluator`], so any evaluator (the
//! candle harness, a cluster job, a recorded table) can be plugged in.
//!
//! Built so far: the [`study`] store that keeps every evaluation the moment it
//! exists (SQLite, resumable, shareable by workers with leases), the
//! [`scoring`] of configurations for a user (the paper's utility and
//! efficiency score), [`feasibility`] against a scenario's limits, the
//! [`OptimizationResult`] types and the [`report`] directory they are written
//! to. The search itself (surrogates, stage-aware NSGA-II, refinement) is not
//! written yet.
#![deny(missing_docs)]

mod algorithm;
pub mod baselines;
mod build;
mod error;
pub mod feasibility;
pub mod observer;
pub mod predictor;
pub mod refinement;
pub mod report;
mod result;
pub mod runner;
pub mod scoring;
pub mod search;
pub mod study;
pub mod surrogates;

pub use algorithm::{AeLlm, AeLlmParams};
pub use error::OptimizerError;
pub use report::write_report;
pub use result::{
    BaselineRow, FrontMember, NearMiss, OptimizationResult, Recommendation, SensitivityRow,
    non_dominated,
};
