//! Which scenarios choose the method's defaults and which report on them.
//!
//! A default picked on the scenarios it is then reported on flatters it.
//! So the method's settings (initial fraction, refinement, surrogates,
//! mutation rates) are chosen on [`TUNING`] only, and every figure the
//! README quotes for the method comes from [`HELD_OUT`] (the paper's
//! Table 2 scenarios) or from the narrowed space's replayed measurements,
//! neither of which any tuning run reads. The two sets share no model, so
//! nothing learnt about a reported model's figures can leak into a default.
//!
//! ```
//! use aellm_optimizer::experiment::scenarios::{HELD_OUT, TUNING};
//! let tuning = TUNING.iter().map(|t| t.scenario()).collect::<Result<Vec<_>, _>>().unwrap();
//! assert!(HELD_OUT.iter().all(|h| TUNING.iter().all(|t| t.model != h.model)));
//! # assert_eq!(tuning.len(), TUNING.len());
//! ```

use aellm_space::{Scenario, SpaceError, presets};
use serde::{Deserialize, Serialize};

/// A scenario named by its presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedScenario {
    /// Short name, as tables print it (the paper's row name where there is one).
    pub name: &'static str,
    /// Model preset.
    pub model: &'static str,
    /// Task preset.
    pub task: &'static str,
    /// Hardware preset.
    pub hardware: &'static str,
}

impl NamedScenario {
    /// The scenario these presets make (default lengths, batch and weights).
    pub fn scenario(&self) -> Result<Scenario, SpaceError> {
        Ok(Scenario::new(
            presets::model(self.model)?,
            presets::task(self.task)?,
            presets::hardware(self.hardware)?,
        ))
    }
}

const fn named(
    name: &'static str,
    model: &'static str,
    task: &'static str,
    hardware: &'static str,
) -> NamedScenario {
    NamedScenario {
        name,
        model,
        task,
        hardware,
    }
}

/// Scenarios that tuning may read: models outside the paper's Table 2, on
/// every hardware class and several tasks, so a default that suits only one
/// kind of bound does not win.
pub const TUNING: [NamedScenario; 6] = [
    named("qwen-1.8b", "qwen-1.8b", "hellaswag", "rtx-4090"),
    named("yi-6b", "yi-6b", "arc-easy", "rtx-4090"),
    named("qwen-7b", "qwen-7b", "gsm8k", "a100-80gb"),
    named("llama-2-13b", "llama-2-13b", "mmlu", "h100-sxm"),
    named("yi-34b", "yi-34b", "humaneval", "h200-sxm"),
    named("llama-3-70b", "llama-3-70b", "longbench", "8x-h200"),
];

/// The scenarios the method is reported on: the paper's Table 2, each model
/// on its hardware class, MMLU (the same as `examples/scenarios/paper/`).
/// No tuning run reads them.
pub const HELD_OUT: [NamedScenario; 8] = [
    named("llama-2-1b", "tinyllama-1.1b", "mmlu", "rtx-4090"),
    named("phi-2", "phi-2", "mmlu", "rtx-4090"),
    named("llama-2-7b", "llama-2-7b", "mmlu", "a100-80gb"),
    named("mistral-7b", "mistral-7b", "mmlu", "a100-80gb"),
    named("llama-3-8b", "llama-3-8b", "mmlu", "rtx-4090"),
    named("llama-2-70b", "llama-2-70b", "mmlu", "8x-h200"),
    named("mixtral-8x7b", "mixtral-8x7b", "mmlu", "8x-h200"),
    named("qwen-72b", "qwen-72b", "mmlu", "8x-h200"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sets_are_valid_and_share_no_model() {
        for n in TUNING.iter().chain(&HELD_OUT) {
            let s = n.scenario().unwrap();
            s.check().unwrap();
        }
        for t in &TUNING {
            assert!(
                HELD_OUT.iter().all(|h| h.model != t.model),
                "{} is both tuned on and reported",
                t.model
            );
        }
    }

    #[test]
    fn held_out_matches_the_paper_scenario_files() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/paper");
        for h in &HELD_OUT {
            let from_file = Scenario::from_path(dir.join(format!("{}.toml", h.name))).unwrap();
            assert_eq!(from_file, h.scenario().unwrap(), "{}", h.name);
        }
    }
}
