//! Repeated k-fold cross-validation of the regressor and of the ensemble's
//! intervals: the protocol behind the benchmark figures.

use crate::ensemble::{EnsembleValidParams, Z90};
use crate::error::{Result, SurrogateError};
use crate::gbdt::GbdtValidParams;
use crate::loss::Loss;
use linfa::Dataset;
use linfa::dataset::Records;
use linfa::traits::{Fit, Predict};
use ndarray::{Array1, Axis, Ix1};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Fold of each row for `repeats` repetitions of `k`-fold cross-validation
/// (`folds[repeat][row]`). Repeat `r` shuffles `0..n` with ChaCha8 seeded by
/// `seed + r` and gives the row at shuffled position `i` fold `i mod k`.
pub fn repeated_kfold(n: usize, k: usize, repeats: usize, seed: u64) -> Vec<Vec<usize>> {
    (0..repeats)
        .map(|r| {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed + r as u64));
            let mut fold = vec![0; n];
            for (i, &row) in order.iter().enumerate() {
                fold[row] = i % k.max(1);
            }
            fold
        })
        .collect()
}

/// Train and test rows of every (repeat, fold).
fn splits(folds: &[Vec<usize>]) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut out = Vec::new();
    for assignment in folds {
        let k = assignment.iter().max().map_or(0, |m| m + 1);
        for f in 0..k {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..assignment.len()).partition(|&r| assignment[r] == f);
            out.push((train, test));
        }
    }
    out
}

fn subset(data: &Dataset<f64, f64, Ix1>, rows: &[usize]) -> Dataset<f64, f64, Ix1> {
    Dataset::new(
        data.records().select(Axis(0), rows),
        data.targets().select(Axis(0), rows),
    )
}

fn rmse(pred: &Array1<f64>, truth: &Array1<f64>) -> f64 {
    let d = pred - truth;
    (d.dot(&d) / truth.len().max(1) as f64).sqrt()
}

fn check_folds(data: &Dataset<f64, f64, Ix1>, folds: &[Vec<usize>]) -> Result<()> {
    match folds.iter().find(|f| f.len() != data.nsamples()) {
        Some(f) => Err(SurrogateError::TooFewRows {
            what: "fold assignment must cover every row of the data",
            rows: f.len(),
            needed: data.nsamples(),
        }),
        None => Ok(()),
    }
}

/// Cross-validated accuracy and cost of the regressor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvReport {
    /// Mean of the per-fold test RMSEs over all (repeat, fold) pairs (what
    /// XGBoost's `cv` reports as `test-rmse-mean`).
    #[serde(alias = "rmse")]
    pub mean_fold_rmse: f64,
    /// Pooled test RMSE: the square root of the mean fold MSE, each fold
    /// weighted by its rows, i.e. the RMSE over every held-out row at once
    /// (with equal folds, exactly the square root of the plain mean fold MSE).
    /// Never below [`Self::mean_fold_rmse`] with equal folds (Jensen).
    pub pooled_rmse: f64,
    /// Test RMSE of each (repeat, fold), repeat-major.
    pub fold_rmse: Vec<f64>,
    /// Wall-clock seconds spent in `fit`, summed over all folds.
    pub fit_seconds: f64,
}

/// Fits and scores `params` on every (repeat, fold) of `folds`, sequentially
/// so that `fit_seconds` is the cost of the fits one after the other.
pub fn cross_validate<L: Loss>(
    params: &GbdtValidParams<L>,
    data: &Dataset<f64, f64, Ix1>,
    folds: &[Vec<usize>],
) -> Result<CvReport> {
    check_folds(data, folds)?;
    let mut fold_rmse = Vec::new();
    let (mut fit_seconds, mut squared, mut count) = (0.0, 0.0, 0);
    for (train, test) in splits(folds) {
        let (train, test) = (subset(data, &train), subset(data, &test));
        let start = Instant::now();
        let model = params.fit(&train)?;
        fit_seconds += start.elapsed().as_secs_f64();
        let fold = rmse(&model.predict(test.records()), test.targets());
        squared += fold * fold * test.nsamples() as f64;
        count += test.nsamples();
        fold_rmse.push(fold);
    }
    let mean_fold_rmse = fold_rmse.iter().sum::<f64>() / fold_rmse.len().max(1) as f64;
    Ok(CvReport {
        mean_fold_rmse,
        pooled_rmse: (squared / count.max(1) as f64).sqrt(),
        fold_rmse,
        fit_seconds,
    })
}

/// Cross-validated quality of the ensemble's intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageReport {
    /// Fraction of held-out points inside `mean ± 1.645 σ`.
    pub coverage90: f64,
    /// Mean predicted σ over held-out points.
    pub mean_std: f64,
    /// Mean of the per-fold test RMSEs of the ensemble mean.
    #[serde(alias = "rmse")]
    pub mean_fold_rmse: f64,
}

/// Fits the ensemble on every (repeat, fold) and counts held-out points
/// inside their 90% interval.
pub fn interval_coverage<L: Loss>(
    params: &EnsembleValidParams<L>,
    data: &Dataset<f64, f64, Ix1>,
    folds: &[Vec<usize>],
) -> Result<CoverageReport> {
    check_folds(data, folds)?;
    let (mut inside, mut total, mut std_sum, mut rmse_sum, mut n_folds) = (0, 0, 0.0, 0.0, 0);
    for (train, test) in splits(folds) {
        let (train, test) = (subset(data, &train), subset(data, &test));
        let model = params.fit(&train)?;
        let (mean, std) = model.predict_with_std(test.records())?;
        for ((m, s), y) in mean.iter().zip(&std).zip(test.targets()) {
            inside += usize::from((y - m).abs() <= Z90 * s);
            std_sum += s;
        }
        total += mean.len();
        rmse_sum += rmse(&mean, test.targets());
        n_folds += 1;
    }
    Ok(CoverageReport {
        coverage90: inside as f64 / total.max(1) as f64,
        mean_std: std_sum / total.max(1) as f64,
        mean_fold_rmse: rmse_sum / n_folds.max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfold_balances_folds_and_varies_by_repeat() {
        let folds = repeated_kfold(23, 5, 2, 1);
        for f in &folds {
            let mut sizes = [0; 5];
            f.iter().for_each(|&k| sizes[k] += 1);
            assert_eq!(sizes, [5, 5, 5, 4, 4]);
        }
        assert_ne!(folds[0], folds[1]);
        assert_eq!(splits(&folds).len(), 10);
    }

    #[test]
    fn pooled_rmse_weights_folds_by_their_rows() {
        let data = crate::datasets::friedman1(23, 1.0, 3);
        let folds = repeated_kfold(23, 5, 2, 1);
        let params = crate::GradientBoostedTrees::params().n_trees(5);
        let report =
            cross_validate(&linfa::ParamGuard::check(params).unwrap(), &data, &folds).unwrap();
        // Folds 0-2 hold 5 rows, folds 3-4 hold 4, in both repeats.
        let sizes = [5.0, 5.0, 5.0, 4.0, 4.0, 5.0, 5.0, 5.0, 4.0, 4.0];
        let squared: f64 = report
            .fold_rmse
            .iter()
            .zip(sizes)
            .map(|(r, n)| r * r * n)
            .sum();
        assert!((report.pooled_rmse - (squared / 46.0).sqrt()).abs() < 1e-9);
        assert_ne!(report.pooled_rmse, report.mean_fold_rmse);
    }

    #[test]
    fn rmse_is_the_root_mean_square() {
        let a = Array1::from(vec![1.0, 2.0]);
        let b = Array1::from(vec![1.0, 4.0]);
        assert!((rmse(&a, &b) - 2.0f64.sqrt()).abs() < 1e-12);
    }
}
