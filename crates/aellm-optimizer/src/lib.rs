//! # aellm-optimizer
//!
//! The AE-LLM search over LLM efficiency configurations. It talks to
//! measurement only through [`aellm_space::Evaluator`], so any evaluator (the
//! candle harness, a cluster job, a recorded table) can be plugged in.
//!
//! [`AeLlm`] runs the method: an initial sample measured through a
//! [`runner::Runner`], [`surrogates`] fitted on it, the stage-aware NSGA-II
//! [`search`] over their predictions, and [`refinement`] rounds that measure
//! the most promising front members ([`fidelity`] measures how well the
//! surrogates predict what they were not fitted on). Around it: the
//! [`study`] store that keeps every evaluation the moment it exists (SQLite,
//! resumable, shareable by workers with leases), the [`scoring`] of
//! configurations for a user (the paper's utility and efficiency score),
//! [`feasibility`] against a scenario's limits, [`baselines`] at the same
//! budget, the [`AeLlmResult`] and the [`report`] directory it is written to.
#![deny(missing_docs)]

mod algorithm;
pub mod baselines;
mod build;
mod error;
pub mod experiment;
pub mod feasibility;
pub mod fidelity;
pub mod observer;
mod params;
pub mod predictor;
pub mod refinement;
pub mod report;
mod result;
pub mod runner;
pub mod scoring;
pub mod search;
pub mod study;
pub mod surrogates;
pub mod transfer;
pub mod worker;

pub use algorithm::AeLlm;
pub use error::OptimizerError;
pub use params::{AeLlmParams, ValidAeLlmParams};
pub use report::write_report;
pub use result::{
    AeLlmResult, BaselineRow, FrontMember, NearMiss, Recommendation, SensitivityRow,
    TerminationReason, non_dominated,
};
