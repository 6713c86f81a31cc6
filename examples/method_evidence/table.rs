//! The evidence tables: per method, median [q1, q3] over seeds of its
//! hypervolume and efficiency score, and AE-LLM's paired test against it.

use aellm::optimizer::experiment::truth::TrueFront;
use aellm::optimizer::experiment::{Quartiles, wilcoxon_signed_rank};
use aellm::optimizer::{AeLlmResult, BaselineRow};
use aellm::space::Scenario;
use anyhow::Result;

/// A figure of one method over the seeds, in seed order (NaN where missing).
pub fn series(
    per_seed: &[Vec<BaselineRow>],
    method: &str,
    f: fn(&BaselineRow) -> Option<f64>,
) -> Vec<f64> {
    per_seed
        .iter()
        .map(|rows| {
            rows.iter()
                .find(|r| r.method == method)
                .and_then(f)
                .unwrap_or(f64::NAN)
        })
        .collect()
}

fn cell(q: Option<Quartiles>) -> String {
    q.map_or("-".into(), |q| {
        format!("{:.3} [{:.3}, {:.3}]", q.median, q.q1, q.q3)
    })
}

/// AE-LLM against `theirs`, paired by seed: "higher in 12/20, p = 0.041",
/// and whether AE-LLM is higher at p < 0.05.
fn test(ours: &[f64], theirs: &[f64]) -> Result<(String, bool)> {
    // Seeds where either run found nothing feasible drop out of the pairing.
    let (a, b): (Vec<f64>, Vec<f64>) = ours
        .iter()
        .zip(theirs)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .unzip();
    let t = wilcoxon_signed_rank(&a, &b)?;
    let better = a.iter().zip(&b).filter(|(a, b)| a > b).count();
    let p = if t.p_value < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {:.3}", t.p_value)
    };
    Ok((
        format!("higher in {better}/{}, {p}", a.len()),
        t.w_plus > t.w_minus && t.p_value < 0.05,
    ))
}

/// Prints the table of one scenario and budget; returns, per method other
/// than AE-LLM, whether AE-LLM's hypervolume is higher at p < 0.05.
pub fn print(title: &str, per_seed: &[Vec<BaselineRow>]) -> Result<Vec<(String, bool)>> {
    println!("\n{title}");
    println!(
        "  {:<36} {:>26} {:>26} {:>24}",
        "method", "hypervolume", "efficiency score", "AE-LLM vs it (HV)"
    );
    let ours = series(per_seed, "AE-LLM", |r| r.hypervolume);
    let mut wins = Vec::new();
    for row in &per_seed[0] {
        let hv = series(per_seed, &row.method, |r| r.hypervolume);
        let eff = series(per_seed, &row.method, |r| r.efficiency_score);
        let vs = if row.method == "AE-LLM" {
            String::new()
        } else {
            let (text, win) = test(&ours, &hv)?;
            wins.push((row.method.clone(), win));
            text
        };
        println!(
            "  {:<36} {:>26} {:>26} {:>24}",
            row.method,
            cell(Quartiles::of(&hv)),
            cell(Quartiles::of(&eff)),
            vs
        );
    }
    Ok(wins)
}

/// Each row of `main` with its hypervolume as a share of the true front's.
pub fn shares(main: &AeLlmResult, scenario: &Scenario, truth: &TrueFront) -> Vec<BaselineRow> {
    let mut runs = main.baseline_runs.clone();
    runs.push(("AE-LLM".into(), main.evaluations.clone()));
    main.baselines
        .iter()
        .map(|row| {
            let ev = runs
                .iter()
                .find(|(m, _)| *m == row.method)
                .map_or(&[][..], |r| &r.1[..]);
            BaselineRow {
                hypervolume: Some(truth.share(ev, scenario)),
                ..row.clone()
            }
        })
        .collect()
}

/// Wins per method over every table printed: (method, won, of).
#[derive(Default)]
pub struct Tally(pub Vec<(String, usize, usize)>);

impl Tally {
    /// Adds one table's outcome.
    pub fn add(&mut self, wins: Vec<(String, bool)>) {
        for (m, win) in wins {
            match self.0.iter_mut().find(|t| t.0 == m) {
                Some(t) => (t.1, t.2) = (t.1 + usize::from(win), t.2 + 1),
                None => self.0.push((m, usize::from(win), 1)),
            }
        }
    }

    /// "against random search in 3 of 8 scenario-budget cells", per method.
    pub fn print(&self, what: &str) {
        println!(
            "\nAE-LLM's hypervolume higher at p < 0.05 than {what} (two-sided Wilcoxon, paired by seed):"
        );
        for (m, won, of) in &self.0 {
            println!("  {m:<36} in {won} of {of} scenario-budget cells");
        }
    }
}
