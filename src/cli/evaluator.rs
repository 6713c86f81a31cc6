//! The evaluators the command line can build by name: the one place that
//! turns `harness`, `costmodel` or `auto` into an evaluator, used by
//! `optimize`, `measure` and `worker`, so a study's workers measure with the
//! evaluator the study names.

use crate::exit::BadInput;
use aellm::costmodel::{Calibration, CostModel};
use aellm::harness::evaluator::this_machine;
use aellm::harness::{HarnessEvaluator, HarnessOptions};
use aellm::optimizer::report::read_measured;
use aellm::optimizer::transfer::{TransferParams, TransferredAccuracy};
use aellm::space::{Evaluator, Scenario};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The evaluator used when none is named.
pub const DEFAULT: &str = "harness";

/// The names [`build`] accepts.
pub const NAMES: &[&str] = &["harness", "costmodel"];

/// The cost model, with the factors of a calibration file if one is given.
fn costmodel(calibration: Option<&Path>) -> anyhow::Result<CostModel> {
    Ok(match calibration {
        Some(p) => CostModel::calibrated(
            &Calibration::from_path(p).with_context(|| format!("calibration {}", p.display()))?,
        ),
        None => CostModel::default(),
    })
}

/// Picks the evaluator for `scenario`: `harness`, `costmodel`, or `auto`
/// (the harness when the scenario's hardware is this machine and the harness
/// can build the model, else the cost model). Returns it with one line saying
/// which produces the figures and why, for the report's first lines.
///
/// With `accuracy_from` (report directories of earlier runs on other
/// models), the cost model's accuracy is replaced by the transfer
/// surrogate's prediction; the harness measures accuracy itself, so the two
/// do not combine.
pub fn choose(
    name: &str,
    scenario: &Scenario,
    calibration: Option<&Path>,
    accuracy_from: &[PathBuf],
) -> anyhow::Result<(Box<dyn Evaluator>, String)> {
    let harness = HarnessEvaluator::new(HarnessOptions::default());
    let here = this_machine(harness.options().watts_per_core).name;
    let on_this_machine = scenario.hardware.name == here;
    let harness_can = harness.can_measure(&scenario.model);
    let use_harness = match name {
        "harness" => true,
        "costmodel" => false,
        "auto" => on_this_machine && harness_can.is_ok(),
        other => {
            return Err(BadInput(format!(
                "unknown evaluator `{other}`; choose one of: auto, {}",
                NAMES.join(", ")
            ))
            .into());
        }
    };
    if use_harness {
        if !on_this_machine {
            return Err(BadInput(format!(
                "the harness measures on this machine ({here}), not on the scenario's `{}`: use --evaluator costmodel (or auto) for hardware this machine is not",
                scenario.hardware.name
            ))
            .into());
        }
        if !accuracy_from.is_empty() {
            return Err(BadInput(
                "--accuracy-from predicts accuracy for the cost model, but the harness measures it on this machine: drop the flag, or add --evaluator costmodel".into(),
            )
            .into());
        }
        let why = format!(
            "figures measured (or estimated where marked) by the harness on this machine ({here})"
        );
        return Ok((Box::new(harness), why));
    }
    let cm = costmodel(calibration)?;
    let reason = if !on_this_machine {
        format!(
            "the scenario's hardware `{}` is not this machine",
            scenario.hardware.name
        )
    } else if let Err(e) = harness_can {
        format!("the harness cannot build the model: {e}")
    } else {
        "asked for".to_string()
    };
    let why = format!(
        "every figure predicted by the cost model {} ({reason})",
        cm.name()
    );
    if accuracy_from.is_empty() {
        return Ok((Box::new(cm), why));
    }
    let reports = accuracy_from
        .iter()
        .map(|d| read_measured(d).map_err(|e| BadInput(format!("--accuracy-from: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let e = TransferredAccuracy::from_reports(cm, &reports, &TransferParams::default())
        .map_err(|e| BadInput(format!("--accuracy-from: {e}")))?;
    let why = format!(
        "{why}, except accuracy: a fraction of the unmodified model's, predicted by boosted \
         trees trained on {} (transfer across models)",
        e.provenance()
    );
    Ok((Box::new(e), why))
}

/// `e` with a per-evaluation time limit, when one is given
/// ([`aellm::space::TimeLimited`]: an evaluation past it is recorded as a
/// timeout and abandoned).
pub fn time_limited(
    e: Box<dyn Evaluator>,
    limit: Option<std::time::Duration>,
) -> anyhow::Result<Box<dyn Evaluator>> {
    Ok(match limit {
        Some(t) => Box::new(aellm::space::TimeLimited::new(std::sync::Arc::from(e), t)?),
        None => e,
    })
}

/// The name [`build`] knows for `e` (what a worker builds to measure like it),
/// if any.
pub fn kind_of(e: &dyn Evaluator) -> Option<&'static str> {
    let name = e.name();
    NAMES
        .iter()
        .copied()
        .find(|n| build(n).is_ok_and(|b| b.name() == name))
}

/// The evaluator called `name`, or an error listing the names it knows.
pub fn build(name: &str) -> anyhow::Result<Box<dyn Evaluator>> {
    match name {
        "harness" => Ok(Box::new(HarnessEvaluator::new(HarnessOptions::default()))),
        "costmodel" => Ok(Box::new(costmodel(None)?)),
        other => Err(BadInput(format!(
            "unknown evaluator `{other}`; choose one of: {}",
            NAMES.join(", ")
        ))
        .into()),
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
