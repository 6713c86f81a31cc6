//! Turns evaluations (and a surrogate's view) into an [`AeLlmResult`]:
//! fronts, recommendation with reasons, sensitivity, near misses.

use crate::feasibility::{is_feasible, total_violation, violations};
use crate::predictor::{Prediction, Predictor};
use crate::result::*;
use crate::scoring::{Normaliser, efficiency_score, utility};
use aellm_space::{
    Configuration, Evaluation, Measurement, Objectives, Provenance, Scenario, Space,
};

/// The successful evaluations, in order.
pub(crate) fn successes(evaluations: &[Evaluation]) -> Vec<(Configuration, &Measurement)> {
    evaluations
        .iter()
        .filter_map(|e| e.measurement().map(|m| (e.configuration, m)))
        .collect()
}

/// The feasible non-dominated measured configurations.
pub(crate) fn measured_front(
    evaluations: &[Evaluation],
    s: &Scenario,
) -> Vec<(Configuration, Measurement)> {
    let feasible: Vec<(Configuration, &Measurement)> = successes(evaluations)
        .into_iter()
        .filter(|(_, m)| is_feasible(&m.objectives(), s))
        .collect();
    let mut seen = std::collections::HashSet::new();
    crate::non_dominated(&feasible, |x| x.1.objectives())
        .into_iter()
        .map(|i| (feasible[i].0, feasible[i].1.clone()))
        .filter(|(c, _)| seen.insert(*c))
        .collect()
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// Assembles the result of a run.
pub(crate) fn result(
    scenario: &Scenario,
    space: &Space,
    evaluations: Vec<Evaluation>,
    predicted: &[(Configuration, Prediction)],
    predictor: Option<&dyn Predictor>,
    stopped: TerminationReason,
) -> AeLlmResult {
    let front = measured_front(&evaluations, scenario);
    let default = Configuration::default();
    let default_obj = evaluations
        .iter()
        .find(|e| e.configuration == default)
        .and_then(|e| e.measurement())
        .map(|m| m.objectives());
    let mut basis: Vec<Objectives> = front.iter().map(|(_, m)| m.objectives()).collect();
    basis.extend(default_obj);
    let norm = Normaliser::fit(&basis);
    let u = |o: &Objectives| {
        norm.as_ref()
            .map_or(0.0, |n| utility(o, &scenario.preferences, n))
    };

    let measured_front: Vec<FrontMember> = front
        .iter()
        .map(|(c, m)| FrontMember {
            configuration: *c,
            objectives: m.objectives(),
            provenance: m.provenance(),
            std: None,
            utility: u(&m.objectives()),
        })
        .collect();
    let predicted_front = predicted_members(predicted, &evaluations, &u);

    let best = measured_front
        .iter()
        .max_by(|a, b| a.utility.total_cmp(&b.utility))
        .cloned();
    let sensitivity = best
        .as_ref()
        .map_or_else(Vec::new, |b| sensitivity(space, b, &evaluations, predictor));
    let recommended = best.map(|member| {
        let eff = default_obj.map(|d| efficiency_score(&member.objectives, &d));
        let why = reasons(
            scenario,
            &member,
            measured_front.len(),
            default_obj,
            &sensitivity,
            u,
        );
        Recommendation {
            member,
            efficiency_score: eff,
            why,
        }
    });

    let near_misses = if measured_front.is_empty() {
        near_misses(&evaluations, scenario)
    } else {
        Vec::new()
    };

    AeLlmResult {
        scenario: scenario.clone(),
        measured_front,
        predicted_front,
        recommended,
        sensitivity,
        baselines: Vec::new(),
        near_misses,
        evaluations,
        baseline_runs: Vec::new(),
        stopped,
        notes: Vec::new(),
    }
}

/// The surrogate's front members not measured, with their predictions.
fn predicted_members(
    predicted: &[(Configuration, Prediction)],
    evaluations: &[Evaluation],
    u: &impl Fn(&Objectives) -> f64,
) -> Vec<FrontMember> {
    let measured: std::collections::HashSet<Configuration> =
        evaluations.iter().map(|e| e.configuration).collect();
    predicted
        .iter()
        .filter(|(c, _)| !measured.contains(c))
        .map(|(c, p)| FrontMember {
            configuration: *c,
            objectives: p.mean,
            provenance: Provenance::Predicted,
            std: Some(p.std),
            utility: u(&p.mean),
        })
        .collect()
}

/// When nothing is feasible: the five closest configurations and what each breaks.
fn near_misses(evaluations: &[Evaluation], scenario: &Scenario) -> Vec<NearMiss> {
    let mut all: Vec<(Configuration, Objectives, Provenance)> = successes(evaluations)
        .into_iter()
        .map(|(c, m)| (c, m.objectives(), m.provenance()))
        .collect();
    all.sort_by(|a, b| total_violation(&a.1, scenario).total_cmp(&total_violation(&b.1, scenario)));
    all.into_iter()
        .take(5)
        .map(|(c, o, provenance)| NearMiss {
            configuration: c,
            objectives: o,
            provenance,
            violations: violations(&o, scenario),
        })
        .collect()
}

fn sensitivity(
    space: &Space,
    best: &FrontMember,
    evaluations: &[Evaluation],
    predictor: Option<&dyn Predictor>,
) -> Vec<SensitivityRow> {
    let neighbours = space.neighbours(&best.configuration);
    let unmeasured: Vec<Configuration> = neighbours
        .iter()
        .filter(|n| {
            !evaluations
                .iter()
                .any(|e| e.configuration == **n && e.outcome.is_ok())
        })
        .copied()
        .collect();
    let predictions: Vec<Prediction> = predictor.map_or_else(Vec::new, |p| p.predict(&unmeasured));
    let b = best.objectives;
    neighbours
        .iter()
        .filter_map(|n| {
            let (objectives, provenance) = match evaluations
                .iter()
                .find(|e| e.configuration == *n)
                .and_then(|e| e.measurement())
            {
                Some(m) => (m.objectives(), m.provenance()),
                None => {
                    let i = unmeasured.iter().position(|u| u == n)?;
                    (predictions.get(i)?.mean, Provenance::Predicted)
                }
            };
            let dimension = *space.differing_dimensions(&best.configuration, n).first()?;
            let delta = Objectives {
                accuracy: objectives.accuracy - b.accuracy,
                latency_ms: objectives.latency_ms - b.latency_ms,
                memory_gb: objectives.memory_gb - b.memory_gb,
                energy_j: objectives.energy_j - b.energy_j,
            };
            Some(SensitivityRow {
                dimension,
                configuration: *n,
                objectives,
                provenance,
                delta,
            })
        })
        .collect()
}

/// What the evaluated front is, in the recommendation's words: a front
/// whose figures the evaluator predicted (a cost model) is not "measured".
fn front_words(p: Provenance) -> &'static str {
    match p {
        Provenance::Measured | Provenance::Estimated => "measured Pareto-optimal configurations",
        Provenance::Predicted => {
            "Pareto-optimal configurations evaluated (figures predicted, not measured: see each figure's label)"
        }
    }
}

fn reasons(
    s: &Scenario,
    m: &FrontMember,
    front_size: usize,
    default: Option<Objectives>,
    sensitivity: &[SensitivityRow],
    u: impl Fn(&Objectives) -> f64,
) -> Vec<String> {
    let p = s.preferences.normalised();
    let mut why = vec![format!(
        "Highest utility ({:.3}) among the {front_size} {}, with weights accuracy {:.2}, latency {:.2}, memory {:.2}, energy {:.2}.",
        m.utility,
        front_words(m.provenance),
        p[0],
        p[1],
        p[2],
        p[3]
    )];
    if let Some(d) = default {
        let o = &m.objectives;
        why.push(format!(
            "Against the default (MHA, dense, full fine-tune, FP16): latency ×{:.2}, memory ×{:.2}, energy ×{:.2}, accuracy {:+} points.",
            o.latency_ms / d.latency_ms,
            o.memory_gb / d.memory_gb,
            o.energy_j / d.energy_j,
            pct(o.accuracy - d.accuracy)
        ));
    }
    why.push(format!(
        "Peak memory {:.3} GB of the {:.3} GB allowed; mean power {:.1} W of {:.1} W.",
        m.objectives.memory_gb,
        s.memory_limit_gb(),
        m.objectives.mean_power_w(),
        s.power_limit_w()
    ));
    // The single change that would cost the most utility: the choice that matters most.
    if let Some(worst) = sensitivity
        .iter()
        .min_by(|a, b| u(&a.objectives).total_cmp(&u(&b.objectives)))
    {
        why.push(format!(
            "The choice that matters most is {}: changing it to `{}` lowers the utility to {:.3} ({}).",
            worst.dimension,
            worst.configuration,
            u(&worst.objectives),
            worst.provenance
        ));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_predicted_front_is_not_called_measured() {
        let s = Scenario::new(
            aellm_space::presets::model("llama-2-7b").unwrap(),
            aellm_space::presets::task("mmlu").unwrap(),
            aellm_space::presets::hardware("a100-80gb").unwrap(),
        );
        let why = |provenance| {
            let m = FrontMember {
                configuration: Configuration::default(),
                objectives: Objectives {
                    accuracy: 0.5,
                    latency_ms: 10.0,
                    memory_gb: 1.0,
                    energy_j: 1.0,
                },
                provenance,
                std: None,
                utility: 0.7,
            };
            reasons(&s, &m, 3, None, &[], |_| 0.7).remove(0)
        };
        let measured = why(Provenance::Measured);
        assert!(measured.contains("3 measured Pareto-optimal"), "{measured}");
        let predicted = why(Provenance::Predicted);
        assert!(
            predicted.contains("predicted, not measured") && !predicted.contains("measured Pareto"),
            "{predicted}"
        );
    }
}
