//! The stage-aware NSGA-II of AE-LLM, over predicted objectives.
//!
//! The genome is the space's index vector (one gene per
//! [`Dimension`](aellm_space::Dimension)); the operators know which genes make
//! up each stage, and every genome they return is repaired to a valid,
//! canonical configuration, so the engine never sees an impossible one.

mod operators;
mod round;

pub use operators::{
    ConstraintAwareSampling, GeneWiseCrossover, HierarchicalCrossover, Repair, StageMutation,
    ValidSampling,
};
pub use round::{SearchParams, SearchRound, predicted_front};
