//! What each baseline measures, fixed before anything is measured (no
//! baseline's choice depends on another's results), so a run that hands
//! evaluations to workers can queue them all at once.

use super::{ManualRule, distinct_sample, efficientllm_recommended, single_stage_space};
use crate::OptimizerError;
use aellm_space::{Configuration, Scenario, Space};

/// The baselines' names, in table order; [`Step::methods`] indexes them.
pub(super) const METHODS: [&str; 5] = [
    "default",
    "best single-stage",
    "random search",
    "manual selection",
    "EfficientLLM rec.",
];

/// One measuring step of the baselines.
pub(super) struct Step {
    /// The methods (indices into [`METHODS`]) whose evaluations these are:
    /// the default's measurement is also best single-stage's first.
    pub methods: &'static [usize],
    /// The progress label.
    pub label: String,
    /// The phase recorded in the study.
    pub tag: String,
    /// What it measures, in order.
    pub configurations: Vec<Configuration>,
}

fn one_shot(methods: &'static [usize], method: &str, c: Configuration) -> Step {
    Step {
        methods,
        label: format!("baseline: {method}"),
        tag: format!("baseline-{}", method.replace(' ', "-")),
        configurations: vec![c],
    }
}

/// Every step, in the order measured: the default; best single-stage (the
/// budget less the default split over the three stages, each searched
/// uniformly with the other two at the default); random search (the
/// default, then distinct uniform samples, `budget` in all); then Manual
/// Selection and EfficientLLM-recommended, one evaluation each. `space` is
/// already narrowed to the scenario's model.
pub(super) fn steps(
    scenario: &Scenario,
    space: &Space,
    budget: usize,
    seed: u64,
) -> Result<Vec<Step>, OptimizerError> {
    let default = Configuration::default();
    let mut steps = vec![one_shot(&[0, 1], "default", default)];
    let rest = budget.saturating_sub(1);
    for (stage, name) in ["architecture", "fine-tuning", "inference"]
        .into_iter()
        .enumerate()
    {
        let share = rest / 3 + usize::from(stage < rest % 3);
        let sub = single_stage_space(space, stage);
        let configurations = distinct_sample(&sub, share + 1, seed.wrapping_add(stage as u64 + 1))?
            .into_iter()
            .filter(|c| *c != default)
            .take(share)
            .collect();
        steps.push(Step {
            methods: &[1],
            label: format!("baseline: {name} only"),
            tag: format!("baseline-{name}"),
            configurations,
        });
    }
    let mut random = vec![default];
    random.extend(
        distinct_sample(space, budget, seed.wrapping_add(17))?
            .into_iter()
            .filter(|c| *c != default),
    );
    random.truncate(budget.max(1));
    steps.push(Step {
        methods: &[2],
        label: "baseline: random search".into(),
        tag: "baseline-random".into(),
        configurations: random,
    });
    let (rule, manual) = ManualRule::select(scenario, space)?;
    tracing::info!(?rule, configuration = %manual, "manual selection");
    steps.push(one_shot(&[3], "manual selection", manual));
    let efficient = efficientllm_recommended(scenario, space)?;
    steps.push(one_shot(&[4], "EfficientLLM-recommended", efficient));
    Ok(steps)
}
