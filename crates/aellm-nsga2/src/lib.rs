//! # aellm-nsga2
//!
//! A fast, general NSGA-II engine (Deb et al. 2002) that knows nothing of
//! LLMs: a [`Problem`] over any genome type, operators as traits
//! ([`operators::Sampling`], [`operators::Crossover`], [`operators::Mutation`]),
//! constrained domination, a Pareto archive, two ways to drive a run
//! ([`Driver`] / [`minimize`], and ask/tell with [`Nsga2Run`]), observers,
//! parallel evaluation with the same result as serial, and exact quality
//! indicators ([`indicators`]: hypervolume in any dimension, IGD, IGD+).
//!
//! The vocabulary is pymoo's; the split into problem, algorithm (one
//! generation at a time from a state) and driver is argmin's.
//!
//! ```
//! use aellm_nsga2::indicators::{hypervolume, igd_plus};
//! use aellm_nsga2::problems::Zdt;
//! use aellm_nsga2::{KnownFront, Nsga2, RealProblem, Termination, minimize};
//!
//! let zdt1 = Zdt::zdt1(30);
//! let algorithm = Nsga2::real(zdt1.bounds()).pop_size(100).build()?;
//! let result = minimize(&zdt1, &algorithm, Termination::generations(60), 7)?;
//! let front = result.front_objectives();
//! let hv = hypervolume(&front, &[1.1, 1.1])?;
//! let igdp = igd_plus(&front, &zdt1.pareto_front(500))?;
//! assert!(hv > 0.6 && igdp < 0.2, "hv {hv} igd+ {igdp}");
//! # Ok::<(), aellm_nsga2::Nsga2Error>(())
//! ```
#![deny(missing_docs)]

pub mod algorithm;
pub mod archive;
#[cfg(test)]
mod check;
pub mod crowding;
pub mod dominance;
pub mod driver;
pub mod error;
pub mod history;
pub mod indicators;
pub mod individual;
pub mod observer;
pub mod operators;
pub mod problem;
pub mod problems;
pub mod result;
pub mod sorting;
pub mod survival;
pub mod termination;

pub use algorithm::{Nsga2, Nsga2Builder, Nsga2State};
pub use archive::ParetoArchive;
pub use driver::{Driver, Nsga2Run, evaluate_batch, minimize};
pub use error::{Nsga2Error, Result};
pub use history::GenerationRecord;
pub use individual::Individual;
pub use observer::{Observer, TracingObserver};
pub use problem::{Bounds, Evaluation, KnownFront, Problem, RealProblem, constraint_violation};
pub use result::OptimizationResult;
pub use survival::{RankAndCrowding, Survival, SurvivalOutcome};
pub use termination::{HypervolumeStall, Termination, TerminationReason};
