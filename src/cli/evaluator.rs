//! The evaluators the command line can build by name: the one place that
//! turns `harness` (and, as they are added, other names) into an evaluator,
//! used by `optimize`, `measure` and `worker`, so a study's workers measure
//! with the evaluator the study names.

use aellm::harness::{HarnessEvaluator, HarnessOptions};
use aellm::space::Evaluator;

/// The evaluator used when none is named.
pub const DEFAULT: &str = "harness";

/// The names [`build`] accepts.
pub const NAMES: &[&str] = &["harness"];

/// The evaluator called `name`, or an error listing the names it knows.
pub fn build(name: &str) -> anyhow::Result<Box<dyn Evaluator>> {
    match name {
        "harness" => Ok(Box::new(HarnessEvaluator::new(HarnessOptions::default()))),
        other => anyhow::bail!(
            "unknown evaluator `{other}`; choose one of: {}",
            NAMES.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let e = super::build("nope").err().unwrap().to_string();
        assert!(e.contains("`nope`") && e.contains("harness"), "{e}");
    }
}
