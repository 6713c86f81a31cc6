//! Comparing methods over repeated runs: the statistics an experiment's
//! tables report (medians and inter-quartile ranges over seeds, and a paired
//! test of one method against another on the same seeds), and which
//! scenarios may tune the method and which report on it.

pub mod ablations;
pub mod progress;
pub mod scenarios;
pub mod summary;
pub mod truth;
pub mod wilcoxon;

pub use summary::Quartiles;
pub use wilcoxon::{SignedRankTest, wilcoxon_signed_rank};
