//! How well the surrogates predict configurations they were not fitted on:
//! per objective, R², Spearman's rank correlation and how often the true
//! value falls inside the 90% interval `mean ± Z90·σ`.
//!
//! Rank correlation matters most to the search (NSGA-II only compares
//! configurations); R² says whether the predicted figures themselves can be
//! read; coverage says whether the deviations the refinement ranks by are
//! honest.

use crate::OptimizerError;
use crate::surrogates::{ObjectiveSurrogates, SurrogateParams};
use aellm_space::{Configuration, Objectives, Scenario};
use aellm_surrogate::Z90;
use serde::{Deserialize, Serialize};

/// Fidelity of one fit on one held-out set, per objective in the order of
/// [`Objectives::NAMES`]. A figure is NaN where it is undefined (a
/// held-out objective with no spread).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fidelity {
    /// `1 − Σ(y − ŷ)² / Σ(y − ȳ)²` over the held-out configurations.
    pub r2: [f64; 4],
    /// Spearman's rank correlation of prediction and truth (ties share
    /// their mean rank).
    pub spearman: [f64; 4],
    /// Share of held-out configurations whose true value lies within
    /// `mean ± Z90·σ`; 0.9 when the deviations are calibrated.
    pub coverage90: [f64; 4],
}

/// The four objectives as an array in the order of [`Objectives::NAMES`].
fn values(o: &Objectives) -> [f64; 4] {
    [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j]
}

/// Fits the surrogates on `train` and measures them on `test`.
pub fn assess(
    train: &[(Configuration, Objectives)],
    test: &[(Configuration, Objectives)],
    scenario: &Scenario,
    params: &SurrogateParams,
) -> Result<Fidelity, OptimizerError> {
    let surrogates = ObjectiveSurrogates::fit(train, scenario, params)?;
    let configs: Vec<Configuration> = test.iter().map(|(c, _)| *c).collect();
    let preds = surrogates.try_predict(&configs)?;
    let mut out = Fidelity {
        r2: [f64::NAN; 4],
        spearman: [f64::NAN; 4],
        coverage90: [f64::NAN; 4],
    };
    for k in 0..4 {
        let truth: Vec<f64> = test.iter().map(|(_, o)| values(o)[k]).collect();
        let mean: Vec<f64> = preds.iter().map(|p| values(&p.mean)[k]).collect();
        let std: Vec<f64> = preds.iter().map(|p| p.spread()[k]).collect();
        out.r2[k] = r_squared(&mean, &truth);
        out.spearman[k] = spearman(&mean, &truth);
        out.coverage90[k] = coverage(&mean, &std, &truth, Z90);
    }
    Ok(out)
}

/// Coefficient of determination of `pred` against `truth`; NaN when `truth`
/// is empty or constant.
pub fn r_squared(pred: &[f64], truth: &[f64]) -> f64 {
    let n = truth.len() as f64;
    let mean = truth.iter().sum::<f64>() / n;
    let total: f64 = truth.iter().map(|t| (t - mean).powi(2)).sum();
    let residual: f64 = pred.iter().zip(truth).map(|(p, t)| (t - p).powi(2)).sum();
    if total > 0.0 {
        1.0 - residual / total
    } else {
        f64::NAN
    }
}

/// Spearman's rank correlation; NaN when either side is constant or there
/// are fewer than two values.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&mean_ranks(a), &mean_ranks(b))
}

/// Share of `truth` within `mean ± z·std`.
pub fn coverage(mean: &[f64], std: &[f64], truth: &[f64], z: f64) -> f64 {
    let inside = truth
        .iter()
        .zip(mean.iter().zip(std))
        .filter(|(t, (m, s))| (*t - *m).abs() <= z * *s)
        .count();
    inside as f64 / truth.len() as f64
}

/// Ranks from 1, ties sharing the mean of the ranks they span.
fn mean_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        // Positions start..end hold equal values: ranks start+1 ..= end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    if a.len() < 2 {
        return f64::NAN;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictor::toy;
    use aellm_space::{Space, presets};
    use aellm_surrogate::GbdtParams;
    use rand::SeedableRng;

    #[test]
    fn rank_correlation_sees_order_only_and_shares_ties() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let cubed: Vec<f64> = a.iter().map(|x: &f64| x.powi(3)).collect();
        assert!((spearman(&a, &cubed) - 1.0).abs() < 1e-12);
        let reversed: Vec<f64> = a.iter().rev().copied().collect();
        assert!((spearman(&a, &reversed) + 1.0).abs() < 1e-12);
        assert_eq!(mean_ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
        // Ranks [1, 2.5, 2.5, 4] against [1, 2, 3, 4]: r = 4.5 / √(4.5 · 5).
        let tied = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]);
        assert!((tied - 4.5 / (4.5f64 * 5.0).sqrt()).abs() < 1e-12, "{tied}");
        assert!(spearman(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
    }

    #[test]
    fn r_squared_and_coverage_on_known_values() {
        let t = [1.0, 2.0, 4.0, 9.0];
        assert_eq!(r_squared(&t, &t), 1.0);
        assert!(r_squared(&[4.0; 4], &t).abs() < 1e-12);
        assert!(r_squared(&[9.0, 4.0, 2.0, 1.0], &t) < 0.0);
        assert!(r_squared(&[1.0], &[1.0]).is_nan());
        assert_eq!(
            coverage(&[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0], &[0.5, -1.5, 2.0], 1.645),
            2.0 / 3.0
        );
    }

    #[test]
    fn surrogates_fitted_on_toy_objectives_rank_unseen_configurations() {
        let s = Scenario::new(
            presets::model("llama-2-7b").unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware("a100-80gb").unwrap(),
        );
        let space = Space::paper();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let data: Vec<(Configuration, Objectives)> = space
            .sample_n(140, &mut rng)
            .unwrap()
            .into_iter()
            .map(|c| (c, toy::objectives(&c)))
            .collect();
        let params = SurrogateParams {
            member: GbdtParams::ae_llm()
                .n_trees(60)
                .max_depth(3)
                .learning_rate(0.2),
            n_members: 4,
            seed: 0,
        };
        let f = assess(&data[..40], &data[40..], &s, &params).unwrap();
        // Memory in the toy model is bits × experts: well learnt from 40 rows.
        assert!(f.spearman[2] > 0.8, "{f:?}");
        assert!(f.r2[2] > 0.5, "{f:?}");
        assert!(f.coverage90.iter().all(|c| (0.0..=1.0).contains(c)));
        assert!(assess(&data[..3], &data[3..], &s, &params).is_err());
    }
}
