//! Algorithms: one generation at a time, from a state.

pub mod nsga2;

pub use nsga2::{Nsga2, Nsga2Builder, Nsga2State};
