//! Two ways to drive an algorithm: ask/tell, and a run loop with observers.

pub mod ask_tell;
pub mod run;

pub use ask_tell::Nsga2Run;
pub use run::{Driver, evaluate_batch, minimize};
