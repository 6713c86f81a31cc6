//! What an optimisation returns: fronts, a recommendation, sensitivity,
//! baselines, and every evaluation.

use crate::feasibility::ConstraintViolation;
use aellm_space::{Configuration, Dimension, Evaluation, Objectives, Provenance, Scenario};
use serde::{Deserialize, Serialize};

/// A configuration on a front, with its objectives and where they came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontMember {
    /// The configuration.
    pub configuration: Configuration,
    /// Its objectives.
    pub objectives: Objectives,
    /// `Measured` (or `Estimated`, if the evaluator estimated a figure) for
    /// the measured front; `Predicted` for the surrogate's front.
    pub provenance: Provenance,
    /// One standard deviation per objective where known (predictions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<Objectives>,
    /// The user's utility (eq. 4), normalised over the measured front.
    pub utility: f64,
}

/// The configuration recommended for the user's weights, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The front member with the highest utility.
    pub member: FrontMember,
    /// Its efficiency score against the default configuration, if the default was measured.
    pub efficiency_score: Option<f64>,
    /// Sentences explaining the choice, for the report.
    pub why: Vec<String>,
}

/// What one single-dimension change to the recommendation does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityRow {
    /// The dimension changed.
    pub dimension: Dimension,
    /// The changed configuration.
    pub configuration: Configuration,
    /// Its objectives.
    pub objectives: Objectives,
    /// Measured if it was measured in the study, predicted otherwise.
    pub provenance: Provenance,
    /// Change against the recommendation, per objective (this − recommended).
    pub delta: Objectives,
}

/// One method of choosing, for the baselines table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRow {
    /// `default`, `best single-stage (…)`, `random search`, `AE-LLM`, or an ablation.
    pub method: String,
    /// The configuration it picks (best utility among what it measured).
    pub configuration: Option<Configuration>,
    /// That configuration's measured objectives.
    pub objectives: Option<Objectives>,
    /// Efficiency score against the default.
    pub efficiency_score: Option<f64>,
    /// Hypervolume of its measured front (normalised objectives, shared reference).
    pub hypervolume: Option<f64>,
    /// Real evaluations it spent.
    pub evaluations: usize,
}

/// A configuration that came close when nothing met every limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearMiss {
    /// The configuration.
    pub configuration: Configuration,
    /// Its objectives as the evaluator gave them.
    pub objectives: Objectives,
    /// How they were obtained (as weak as the weakest of the four figures).
    pub provenance: Provenance,
    /// Each limit it breaks and by how much.
    pub violations: Vec<ConstraintViolation>,
}

/// Why a run stopped, in the way `aellm_nsga2`'s driver says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum TerminationReason {
    /// Every phase ran to its end.
    Finished,
    /// The wall-clock budget was spent before the last phase.
    TimeBudgetSpent,
    /// Too few successful measurements to fit the surrogates, so the search
    /// could not run.
    TooFewMeasurements {
        /// Successful measurements there were.
        got: usize,
        /// Measurements the surrogates need.
        needed: usize,
    },
}

impl std::fmt::Display for TerminationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TerminationReason::Finished => f.write_str("finished"),
            TerminationReason::TimeBudgetSpent => f.write_str("time budget spent"),
            TerminationReason::TooFewMeasurements { got, needed } => write!(
                f,
                "only {got} successful measurements, {needed} needed for surrogates"
            ),
        }
    }
}

/// Everything an optimisation produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AeLlmResult {
    /// The scenario.
    pub scenario: Scenario,
    /// Non-dominated feasible configurations among those measured.
    pub measured_front: Vec<FrontMember>,
    /// The surrogate's front, predicted and not measured.
    pub predicted_front: Vec<FrontMember>,
    /// The recommended configuration, if any measured one is feasible.
    pub recommended: Option<Recommendation>,
    /// Single-dimension changes to the recommendation.
    pub sensitivity: Vec<SensitivityRow>,
    /// Methods side by side.
    pub baselines: Vec<BaselineRow>,
    /// When nothing is feasible: the closest configurations and what they break.
    pub near_misses: Vec<NearMiss>,
    /// Every evaluation of the run, failures included.
    pub evaluations: Vec<Evaluation>,
    /// Each baseline's evaluations, `(method, evaluations)` in table order,
    /// when baselines ran beside AE-LLM (they are measurements of the run
    /// too: `measurements.csv` lists them under their method).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline_runs: Vec<(String, Vec<Evaluation>)>,
    /// Why the run stopped.
    pub stopped: TerminationReason,
    /// Caveats the reader must see next to the figures (for example what an
    /// evaluator could not yet measure), shown at the top of the report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The non-dominated members of `items` by their objectives (accuracy
/// maximised, the rest minimised), in input order.
pub fn non_dominated<T>(items: &[T], objectives: impl Fn(&T) -> Objectives) -> Vec<usize> {
    let o: Vec<Objectives> = items.iter().map(&objectives).collect();
    (0..o.len())
        .filter(|&i| !(0..o.len()).any(|j| j != i && o[j].dominates(&o[i])))
        .collect()
}
