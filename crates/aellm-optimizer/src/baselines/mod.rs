//! Simpler ways of choosing, side by side with AE-LLM: the default
//! configuration, the best single-stage optimisation and random search at
//! the same evaluation budget, and two one-evaluation recommendations,
//! [`ManualRule`] (an expert's rules) and [`efficientllm_recommended`].

mod efficientllm;
mod manual;
mod plan;
mod snap;

pub use efficientllm::{efficientllm_recommended, efficientllm_wish};
pub use manual::ManualRule;
pub use snap::nearest_valid;

use crate::build::{measured_front, successes};
use crate::observer::PhaseObserver;
use crate::runner::Runner;
use crate::scoring::{Normaliser, efficiency_score, utility};
use crate::study::{Queue, Study};
use crate::{AeLlmResult, BaselineRow, OptimizerError};
use aellm_space::{Configuration, Evaluation, Evaluator, Objectives, Scenario, Space};
use rand::SeedableRng;
use std::collections::HashSet;

/// The evaluations each simpler method made, by method name.
#[derive(Debug, Clone, Default)]
pub struct BaselineRuns {
    /// (method, its evaluations) in table order.
    pub runs: Vec<(String, Vec<Evaluation>)>,
}

/// `n` distinct configurations drawn uniformly from `space`, in draw order.
fn distinct_sample(
    space: &Space,
    n: usize,
    seed: u64,
) -> Result<Vec<Configuration>, OptimizerError> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = n.min(space.size() as usize);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let c = space.sample(&mut rng)?;
        if seen.insert(c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// The sub-space in which only one stage varies, the others held at the default.
pub fn single_stage_space(space: &Space, stage: usize) -> Space {
    let d = Configuration::default();
    let mut s = space.clone();
    if stage != 0 {
        s.attention = vec![d.architecture.attention];
        s.moe = vec![d.architecture.moe];
    }
    if stage != 1 {
        s.methods = vec![d.fine_tuning.method];
    }
    if stage != 2 {
        s.weights = vec![d.inference.weights];
        s.kv_caches = vec![d.inference.kv_cache];
    }
    s
}

/// Measures the default, the best single-stage search (the budget split over
/// the three stages, each searched with the other two at the default; the
/// default's measurement is shared), random search with `budget`
/// evaluations, and the two recommendations (Manual Selection and
/// EfficientLLM-recommended, one evaluation each), through the same study:
/// a configuration two methods both pick is measured once and counts
/// against both budgets. (To hand them to workers, see
/// [`crate::AeLlm::run_baselines`].)
pub fn run_baselines(
    evaluator: &dyn Evaluator,
    scenario: &Scenario,
    space: &Space,
    study: &dyn Study,
    observer: &dyn PhaseObserver,
    budget: usize,
    seed: u64,
) -> Result<BaselineRuns, OptimizerError> {
    let runner = Runner::new(evaluator, study, scenario, observer, None);
    measure_baselines(&runner, space, budget, seed, None)
}

/// The baselines (see [`run_baselines`]) measured by `runner`. With `ahead`
/// (the queue `runner` hands evaluations to), every baseline's
/// configurations are queued before the first is awaited, so workers
/// measure them side by side.
pub(crate) fn measure_baselines(
    runner: &Runner,
    space: &Space,
    budget: usize,
    seed: u64,
    ahead: Option<&dyn Queue>,
) -> Result<BaselineRuns, OptimizerError> {
    let space = space.for_model(&runner.scenario.model);
    let steps = plan::steps(runner.scenario, &space, budget, seed)?;
    if let Some(q) = ahead {
        for s in &steps {
            q.enqueue(runner.key(), &s.configurations, &s.tag)?;
        }
    }
    let mut runs: Vec<(String, Vec<Evaluation>)> = plan::METHODS
        .iter()
        .map(|m| (m.to_string(), Vec::new()))
        .collect();
    for s in &steps {
        runner
            .observer
            .phase_started(&s.label, s.configurations.len() as u64);
        let got = runner.measure(&s.configurations, &s.tag)?.evaluations;
        runner.observer.phase_finished(&s.label);
        for &m in s.methods {
            runs[m].1.extend(got.iter().cloned());
        }
    }
    Ok(BaselineRuns { runs })
}

/// The baselines table: for each method, the configuration with the best
/// utility among its feasible measurements, its efficiency score against the
/// default, and the hypervolume of its measured front. All methods share one
/// normalisation (over everything any of them measured), and the hypervolume
/// is taken on the normalised objectives with reference point 1.1. AE-LLM's
/// row comes from `result`, which also receives the table.
pub fn compare(result: &mut AeLlmResult, baselines: &BaselineRuns) -> Result<(), OptimizerError> {
    result.baseline_runs = baselines.runs.clone();
    let s = result.scenario.clone();
    let mut methods: Vec<(String, Vec<Evaluation>)> = baselines.runs.clone();
    methods.push(("AE-LLM".into(), result.evaluations.clone()));
    let everything: Vec<Objectives> = methods
        .iter()
        .flat_map(|(_, ev)| {
            successes(ev)
                .into_iter()
                .map(|(_, m)| m.objectives())
                .collect::<Vec<_>>()
        })
        .collect();
    let Some(norm) = Normaliser::fit(&everything) else {
        return Ok(());
    };
    let default = methods
        .iter()
        .flat_map(|(_, ev)| ev.iter())
        .find(|e| e.configuration == Configuration::default())
        .and_then(|e| e.measurement())
        .map(|m| m.objectives());
    let mut rows: Vec<BaselineRow> = Vec::new();
    for (method, ev) in &methods {
        let front = measured_front(ev, &s);
        let best = front
            .iter()
            .map(|(c, m)| (*c, m.objectives()))
            .max_by(|a, b| {
                utility(&a.1, &s.preferences, &norm).total_cmp(&utility(
                    &b.1,
                    &s.preferences,
                    &norm,
                ))
            });
        let objectives: Vec<Objectives> = front.iter().map(|(_, m)| m.objectives()).collect();
        let hv = Some(norm.hypervolume(&objectives)).filter(|h| h.is_finite());
        rows.push(BaselineRow {
            method: method.clone(),
            configuration: best.map(|b| b.0),
            objectives: best.map(|b| b.1),
            efficiency_score: best.zip(default).map(|(b, d)| efficiency_score(&b.1, &d)),
            hypervolume: hv,
            evaluations: ev.len(),
        });
    }
    result.baselines = rows;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aellm_space::{Dimension, presets};

    /// A preset model on preset hardware, for the MMLU task.
    pub(crate) fn scenario(model: &str, hardware: &str) -> Scenario {
        Scenario::new(
            presets::model(model).unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware(hardware).unwrap(),
        )
    }

    #[test]
    fn single_stage_spaces_hold_the_other_stages_at_the_default() {
        let s = Space::paper();
        let d = Configuration::default();
        for stage in 0..3 {
            let sub = single_stage_space(&s, stage);
            let all = sub.enumerate();
            assert!(all.len() > 1);
            for c in all {
                for dim in Dimension::ALL.into_iter().filter(|x| x.stage() != stage) {
                    assert!(
                        s.differing_dimensions(&c, &d).iter().all(|x| *x != dim),
                        "{c} varies {dim}"
                    );
                }
            }
        }
    }
}
