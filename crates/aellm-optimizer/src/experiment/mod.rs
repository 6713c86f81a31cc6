//! Comparing methods over repeated runs: the statistics an experiment's
//! tables report (a paired test of one method against another over seeds).

pub mod wilcoxon;

pub use wilcoxon::{SignedRankTest, wilcoxon_signed_rank};
