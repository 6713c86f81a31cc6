//! `report.md`: the recommendation, the front, the baselines and the sensitivity.

use crate::AeLlmResult;
use aellm_space::Objectives;
use std::fmt::Write;

/// Four significant digits, whatever the scale (memory of a small model is
/// a few MB, of a large one tens of GB).
pub(crate) fn num(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{v:.digits$}")
}

fn fmt_objectives(o: &Objectives) -> String {
    format!(
        "{} | {} | {} | {}",
        num(o.accuracy),
        num(o.latency_ms),
        num(o.memory_gb),
        num(o.energy_j)
    )
}

/// The column names of [`fmt_objectives`]'s four cells, between `before`
/// and `after`.
fn with_objectives(before: &[&'static str], after: &[&'static str]) -> Vec<&'static str> {
    let objectives = ["accuracy", "latency ms", "memory GB", "energy J"];
    [before, &objectives, after].concat()
}

/// A configuration in a table cell: `|` separates its stages but would end
/// the cell, so it is escaped.
fn cell(c: &aellm_space::Configuration) -> String {
    format!("`{}`", c.to_string().replace('|', "\\|"))
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |x| format!("{x:.digits$}"))
}

/// What fine-tuning each measured front member cost, next to its serving
/// figures: the evaluator's extra figures named `finetune_*` (the harness
/// reports trainable parameters, optimizer state, peak memory, time per step).
fn fine_tuning_cost(s: &mut String, r: &AeLlmResult) {
    let extras: Vec<(
        &aellm_space::Configuration,
        &std::collections::BTreeMap<String, aellm_space::Figure>,
    )> = r
        .measured_front
        .iter()
        .filter_map(|m| {
            r.evaluations
                .iter()
                .find(|e| e.configuration == m.configuration)
                .and_then(|e| e.measurement())
                .map(|x| (&m.configuration, &x.extra))
        })
        .collect();
    let keys: std::collections::BTreeSet<&str> = extras
        .iter()
        .flat_map(|(_, x)| x.keys())
        .map(String::as_str)
        .filter(|k| k.starts_with("finetune_"))
        .collect();
    if keys.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Fine-tuning cost of the measured front\n");
    let columns: Vec<&str> = std::iter::once("configuration")
        .chain(keys.iter().map(|k| k.trim_start_matches("finetune_")))
        .collect();
    table_head(s, &columns);
    for (c, x) in extras {
        let cells: Vec<String> = keys
            .iter()
            .map(|k| x.get(*k).map_or("–".into(), |f| num(f.value)))
            .collect();
        let _ = writeln!(s, "| {} | {} |", cell(c), cells.join(" | "));
    }
    s.push('\n');
}

/// The Markdown report: one section after another, each omitted when it
/// has nothing to show.
pub fn report(r: &AeLlmResult) -> String {
    let mut s = String::new();
    header(&mut s, r);
    recommendation(&mut s, r);
    near_misses(&mut s, r);
    fronts(&mut s, r);
    fine_tuning_cost(&mut s, r);
    baselines(&mut s, r);
    sensitivity(&mut s, r);
    s
}

/// A table's header row and the separator under it.
fn table_head(s: &mut String, columns: &[&str]) {
    let _ = writeln!(s, "| {} |", columns.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(columns.len()));
}

/// Title, scenario and preferences, why the search stopped, the notes, and
/// how many evaluations succeeded.
fn header(s: &mut String, r: &AeLlmResult) {
    let sc = &r.scenario;
    let p = &sc.preferences;
    let _ = writeln!(s, "# aellm report\n");
    let _ = writeln!(
        s,
        "Model **{}**, task **{}**, hardware **{}**; weights accuracy {:.2}, latency {:.2}, memory {:.2}, energy {:.2}. Stopped: {}.\n",
        sc.model.name,
        sc.task.name,
        sc.hardware.name,
        p.accuracy,
        p.latency,
        p.memory,
        p.energy,
        r.stopped
    );
    for n in &r.notes {
        let _ = writeln!(s, "> **Note.** {n}\n");
    }
    let ok = r.evaluations.iter().filter(|e| e.outcome.is_ok()).count();
    let _ = writeln!(
        s,
        "{} evaluations, {} succeeded, {} failed.\n",
        r.evaluations.len(),
        ok,
        r.evaluations.len() - ok
    );
}

/// The recommended configuration, its figures and the reasons for it, or
/// why there is none.
fn recommendation(s: &mut String, r: &AeLlmResult) {
    let _ = writeln!(s, "## Recommended configuration\n");
    let Some(rec) = &r.recommended else {
        let _ = writeln!(
            s,
            "No measured configuration meets every limit of the scenario.\n"
        );
        return;
    };
    let m = &rec.member;
    let _ = writeln!(s, "`{}`\n", m.configuration);
    table_head(
        s,
        &with_objectives(&[], &["utility", "efficiency score", "figures"]),
    );
    let _ = writeln!(
        s,
        "| {} | {:.3} | {} | {} |\n",
        fmt_objectives(&m.objectives),
        m.utility,
        opt(rec.efficiency_score, 2),
        m.provenance
    );
    for w in &rec.why {
        let _ = writeln!(s, "- {w}");
    }
    s.push('\n');
}

/// The configurations closest to meeting every limit, and which limits each
/// breaks by how much.
fn near_misses(s: &mut String, r: &AeLlmResult) {
    if r.near_misses.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Closest configurations (nothing met every limit)\n");
    table_head(
        s,
        &with_objectives(&["configuration"], &["figures", "broken limits"]),
    );
    for n in &r.near_misses {
        let broken: Vec<String> = n
            .violations
            .iter()
            .map(|v| {
                format!(
                    "{} {:.3} vs limit {:.3} ({:+.1}%)",
                    v.constraint,
                    v.value,
                    v.limit,
                    100.0 * v.relative_excess
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            cell(&n.configuration),
            fmt_objectives(&n.objectives),
            n.provenance,
            broken.join("; ")
        );
    }
    s.push('\n');
}

/// The evaluated front, then the surrogates' predicted one, each in its own
/// table. A front the evaluator itself predicted (a cost model) is not
/// called measured.
fn fronts(s: &mut String, r: &AeLlmResult) {
    let evaluated = if super::front_is_predicted(r) {
        "Evaluated Pareto front (the evaluator's predictions, not measured)"
    } else {
        "Measured Pareto front"
    };
    for (title, members) in [
        (evaluated, &r.measured_front),
        ("Predicted Pareto front (not measured)", &r.predicted_front),
    ] {
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(s, "## {title}\n");
        table_head(
            s,
            &with_objectives(&["configuration"], &["utility", "figures"]),
        );
        for m in members.iter() {
            let _ = writeln!(
                s,
                "| {} | {} | {:.3} | {} |",
                cell(&m.configuration),
                fmt_objectives(&m.objectives),
                m.utility,
                m.provenance
            );
        }
        s.push('\n');
    }
}

/// The simpler methods side by side: each one's best feasible
/// configuration, its efficiency score and the hypervolume of its front.
fn baselines(s: &mut String, r: &AeLlmResult) {
    if r.baselines.is_empty() {
        return;
    }
    // Not every row had the search's budget: a method that picks one
    // configuration measures just that one.
    let _ = writeln!(s, "## Baselines\n");
    let _ = writeln!(
        s,
        "Each method's best feasible configuration by utility, its efficiency score against the default, and the hypervolume of its feasible measured front. The searches had AE-LLM's evaluation budget; the default and the one-pick recommendations (manual selection, EfficientLLM) are one evaluation each. The last column counts each method's evaluations.\n"
    );
    table_head(
        s,
        &with_objectives(
            &["method", "configuration"],
            &["efficiency score", "hypervolume", "evaluations"],
        ),
    );
    for b in &r.baselines {
        let cfg = b.configuration.map_or("–".into(), |c| cell(&c));
        let obj = b
            .objectives
            .as_ref()
            .map_or("– | – | – | –".into(), fmt_objectives);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            b.method,
            cfg,
            obj,
            opt(b.efficiency_score, 2),
            opt(b.hypervolume, 4),
            b.evaluations
        );
    }
    s.push('\n');
}

/// What changing one dimension of the recommendation does to each objective.
fn sensitivity(s: &mut String, r: &AeLlmResult) {
    if r.sensitivity.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Sensitivity of the recommendation\n");
    let _ = writeln!(
        s,
        "Each row changes one dimension of the recommended configuration.\n"
    );
    table_head(
        s,
        &[
            "dimension",
            "changed to",
            "Δ accuracy",
            "Δ latency ms",
            "Δ memory GB",
            "Δ energy J",
            "figures",
        ],
    );
    for row in &r.sensitivity {
        let d = row.delta;
        let _ = writeln!(
            s,
            "| {} | {} | {:+.4} | {:+.2} | {:+.4} | {:+.4} | {} |",
            row.dimension,
            cell(&row.configuration),
            d.accuracy,
            d.latency_ms,
            d.memory_gb,
            d.energy_j,
            row.provenance
        );
    }
    s.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feasibility::ConstraintViolation;
    use crate::report::sample;
    use crate::{BaselineRow, NearMiss};
    use aellm_space::Provenance;

    /// A front the evaluator predicted (a cost model's) is headed as such.
    #[test]
    fn a_predicted_evaluated_front_is_not_headed_measured() {
        let mut r = sample::result();
        assert!(report(&r).contains("## Measured Pareto front"));
        for m in &mut r.measured_front {
            m.provenance = Provenance::Predicted;
        }
        let md = report(&r);
        assert!(!md.contains("## Measured Pareto front"), "{md}");
        assert!(
            md.contains("## Evaluated Pareto front (the evaluator's predictions, not measured)")
        );
    }

    /// The sample with nothing recommended: near misses instead; no
    /// predicted front, fine-tuning figures or sensitivity; a baseline that
    /// found nothing feasible.
    fn nothing_met() -> AeLlmResult {
        let mut r = sample::result();
        let miss = &r.measured_front[2];
        r.near_misses = vec![NearMiss {
            configuration: miss.configuration,
            objectives: miss.objectives,
            provenance: miss.provenance,
            violations: vec![
                ConstraintViolation {
                    constraint: "memory".into(),
                    limit: 16.0,
                    value: 18.0,
                    relative_excess: 0.125,
                },
                ConstraintViolation {
                    constraint: "latency".into(),
                    limit: 150.0,
                    value: 200.0,
                    relative_excess: 1.0 / 3.0,
                },
            ],
        }];
        r.recommended = None;
        r.sensitivity.clear();
        r.predicted_front.clear();
        for e in &mut r.evaluations {
            if let Ok(m) = &mut e.outcome {
                m.extra.clear();
            }
        }
        r.notes.push("a second note".into());
        r.baselines.push(BaselineRow {
            method: "manual selection".into(),
            configuration: None,
            objectives: None,
            efficiency_score: None,
            hypervolume: None,
            evaluations: 1,
        });
        r
    }

    /// Compares the whole text, so any change to the report shows up here
    /// as a line diff; when the change is meant, the golden file is updated
    /// with it.
    fn assert_same(got: &str, golden: &str, name: &str) {
        let diff: Vec<String> = got
            .lines()
            .zip(golden.lines())
            .enumerate()
            .filter(|(_, (g, w))| g != w)
            .map(|(i, (g, w))| format!("line {}:\n  got:  {g}\n  want: {w}", i + 1))
            .collect();
        assert!(
            got == golden,
            "report.md differs from golden/{name} ({} vs {} lines):\n{}",
            got.lines().count(),
            golden.lines().count(),
            diff.join("\n")
        );
    }

    #[test]
    fn every_section_renders_as_recorded() {
        assert_same(
            &report(&sample::result()),
            include_str!("golden/full.md"),
            "full.md",
        );
    }

    #[test]
    fn near_misses_render_as_recorded_when_nothing_is_recommended() {
        assert_same(
            &report(&nothing_met()),
            include_str!("golden/nothing_met.md"),
            "nothing_met.md",
        );
    }
}
