//! The figures of the `surrogate_benchmark` example: accuracy and fit time against
//! XGBoost/LightGBM on shared folds, and interval coverage of the ensemble.

use crate::datasets;
use crate::error::Result;
use crate::evaluation::{
    CoverageReport, CvReport, cross_validate, interval_coverage, repeated_kfold,
};
use crate::{BootstrapEnsemble, GbdtParams, GradientBoostedTrees};
use linfa::Dataset;
use linfa::ParamGuard;
use linfa::traits::Fit;
use ndarray::Ix1;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Reference figures `(data, library, rmse, pooled_rmse, fit_seconds)` of
/// XGBoost 3.2.0 and LightGBM 4.7.0 (Python, scikit-learn 1.9.1 API,
/// `n_jobs=1`, `random_state=17`) on the same folds and hyper-parameters:
/// `python3 datasets/reference.py 1`, run 2026-11-24 15:28 UTC on the
/// development machine (2 CPU cores shared with other builds, load average
/// 4.3–4.6), seconds before this benchmark measured ours at 0.20 s and
/// 0.45 s. Runs at 15:28:44 and 15:26 (load 5.2–5.9) gave XGBoost 1.17–1.72 s
/// and 1.46–1.98 s. At 15:26 `n_jobs=2` took 10–19 s (XGBoost) and 8–15 s
/// (LightGBM) for the same fits: OpenMP threads fighting over two loaded
/// cores, so the single-thread times are the fair ones here. The issue's
/// XGBoost figures (59.08 and 0.615) match the pooled column within 0.02.
pub const REFERENCE: &[(&str, &str, f64, f64, f64)] = &[
    ("diabetes", "xgboost", 59.036, 59.100, 1.40),
    ("diabetes", "lightgbm", 59.337, 59.432, 0.39),
    ("winequality-red", "xgboost", 0.615, 0.615, 1.39),
    ("winequality-red", "lightgbm", 0.617, 0.618, 0.62),
];

/// XGBoost 3.2.0 parity figures `(data, deterministic_rmse,
/// deterministic_pooled_rmse, seed_mean, seed_sd, seed_min, seed_max)` from
/// `python3 datasets/xgboost_parity.py 20` (2026-11-24, same folds, `n_jobs=1`).
/// Deterministic: the benchmark's settings with subsample and colsample 1,
/// which this crate reproduces tree for tree (up to XGBoost's `f32`
/// arithmetic). Seeds: the mean per-fold RMSE of the stochastic benchmark
/// over XGBoost `random_state` 0..=19, i.e. how far seeds alone move it.
pub const XGBOOST_PARITY: &[(&str, f64, f64, f64, f64, f64, f64)] = &[
    (
        "diabetes", 59.62479, 59.68986, 59.0619, 0.1946, 58.6145, 59.4846,
    ),
    (
        "winequality-red",
        0.62262,
        0.62321,
        0.6152,
        0.0012,
        0.6132,
        0.6174,
    ),
];

/// Seeds of the benchmark's seed spread (as for [`XGBOOST_PARITY`]).
pub const SPREAD_SEEDS: u64 = 20;

/// The benchmark's hyper-parameters: 300 trees, depth 3, learning rate 0.05,
/// subsample 0.8, colsample 0.8 (other settings at XGBoost's defaults).
pub fn benchmark_params() -> GbdtParams {
    GradientBoostedTrees::params()
        .n_trees(300)
        .max_depth(3)
        .learning_rate(0.05)
        .subsample(0.8)
        .colsample(0.8)
}

/// Every figure the benchmark prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchmarkReport {
    /// 5-fold × 3 cross-validation on diabetes.
    pub diabetes: CvReport,
    /// 5-fold × 3 cross-validation on winequality-red.
    pub winequality_red: CvReport,
    /// Diabetes with subsample and colsample 1: the deterministic model,
    /// comparable with XGBoost's digit for digit.
    pub deterministic_diabetes: CvReport,
    /// Winequality-red with subsample and colsample 1.
    pub deterministic_winequality_red: CvReport,
    /// Diabetes RMSE over seeds `0..SPREAD_SEEDS` of the benchmark's params.
    pub seed_spread_diabetes: SeedSpread,
    /// Winequality-red RMSE over seeds `0..SPREAD_SEEDS`.
    pub seed_spread_winequality_red: SeedSpread,
    /// Ensemble intervals on Friedman #1 (n = 1,000, noise 1), 5-fold.
    pub coverage_friedman1: CoverageReport,
    /// Ensemble intervals on diabetes, 5-fold × 3.
    pub coverage_diabetes: CoverageReport,
    /// Ensemble members.
    pub members: usize,
    /// Seconds to fit one ensemble of the AE-LLM preset (500 trees, depth 8)
    /// on Friedman #1 with 1,000 rows.
    pub ae_llm_ensemble_fit_seconds: f64,
}

/// The mean per-fold RMSE of one cross-validation over several seeds of the
/// model (the folds stay fixed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedSpread {
    /// Number of seeds (`0..seeds`).
    pub seeds: u64,
    /// Mean over seeds.
    pub mean: f64,
    /// Sample standard deviation over seeds.
    pub sd: f64,
    /// Lowest.
    pub min: f64,
    /// Highest.
    pub max: f64,
}

/// [`SeedSpread`] of `params` on `data` over seeds `0..seeds`.
pub fn seed_spread(
    params: &GbdtParams,
    data: &Dataset<f64, f64, Ix1>,
    folds: &[Vec<usize>],
    seeds: u64,
) -> Result<SeedSpread> {
    let rmse = (0..seeds)
        .map(|s| Ok(cross_validate(&params.clone().seed(s).check()?, data, folds)?.mean_fold_rmse))
        .collect::<Result<Vec<f64>>>()?;
    let n = rmse.len().max(1) as f64;
    let mean = rmse.iter().sum::<f64>() / n;
    let var = rmse.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    Ok(SeedSpread {
        seeds,
        mean,
        sd: var.sqrt(),
        min: rmse.iter().copied().fold(f64::INFINITY, f64::min),
        max: rmse.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// Runs the whole benchmark (under a minute in release on two cores).
pub fn run_benchmark(members: usize) -> Result<BenchmarkReport> {
    let params = benchmark_params().check()?;
    let deterministic = benchmark_params().subsample(1.0).colsample(1.0).check()?;
    let diabetes = datasets::diabetes()?;
    let wine = datasets::winequality_red()?;
    let diabetes_folds = datasets::diabetes_folds()?;
    let wine_folds = datasets::winequality_red_folds()?;
    let diabetes_cv = cross_validate(&params, &diabetes, &diabetes_folds)?;
    let wine_cv = cross_validate(&params, &wine, &wine_folds)?;
    let deterministic_diabetes = cross_validate(&deterministic, &diabetes, &diabetes_folds)?;
    let deterministic_winequality_red = cross_validate(&deterministic, &wine, &wine_folds)?;
    let seed_spread_diabetes = seed_spread(
        &benchmark_params(),
        &diabetes,
        &diabetes_folds,
        SPREAD_SEEDS,
    )?;
    let seed_spread_winequality_red =
        seed_spread(&benchmark_params(), &wine, &wine_folds, SPREAD_SEEDS)?;

    let ensemble = BootstrapEnsemble::params_with(benchmark_params())
        .n_members(members)
        .check()?;
    let friedman = datasets::friedman1(1000, 1.0, 0);
    let friedman_folds = repeated_kfold(1000, 5, 1, 42);
    let start = std::time::Instant::now();
    BootstrapEnsemble::params()
        .n_members(members)
        .fit(&friedman)?;
    let ae_llm_ensemble_fit_seconds = start.elapsed().as_secs_f64();
    Ok(BenchmarkReport {
        diabetes: diabetes_cv,
        winequality_red: wine_cv,
        deterministic_diabetes,
        deterministic_winequality_red,
        seed_spread_diabetes,
        seed_spread_winequality_red,
        coverage_friedman1: interval_coverage(&ensemble, &friedman, &friedman_folds)?,
        coverage_diabetes: interval_coverage(&ensemble, &diabetes, &diabetes_folds)?,
        members,
        ae_llm_ensemble_fit_seconds,
    })
}

impl fmt::Display for BenchmarkReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "hyper-parameters: 300 trees, depth 3, lr 0.05, subsample 0.8, colsample 0.8; \
             scikit-learn RepeatedKFold(5, 3, random_state=17) \
             (folds in crates/aellm-surrogate/datasets/)"
        )?;
        write_references(f)?;
        self.write_ensemble(f)?;
        self.write_xgboost_parity(f)?;
        self.write_benchmark_cv(f)
    }
}

/// The recorded XGBoost and LightGBM figures, one line each.
fn write_references(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (data, lib, rmse, pooled, secs) in REFERENCE {
        writeln!(
            f,
            "reference {data} {lib} mean_fold_rmse={rmse:.3} pooled_rmse={pooled:.3} fit_seconds={secs:.2} \
             (n_jobs=1, recorded by datasets/reference.py, not measured now)"
        )?;
    }
    Ok(())
}

impl BenchmarkReport {
    /// The ensemble's accuracy and spread, and the AE-LLM preset's fit time.
    fn write_ensemble(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = (&self.coverage_friedman1, &self.coverage_diabetes);
        writeln!(
            f,
            "ensemble ({} members): friedman1 mean_fold_rmse={:.3} mean_std={:.3}; diabetes mean_fold_rmse={:.2} mean_std={:.2}",
            self.members, c.0.mean_fold_rmse, c.0.mean_std, c.1.mean_fold_rmse, c.1.mean_std
        )?;
        writeln!(
            f,
            "ae_llm preset ensemble ({} x 500 trees, depth 8) on friedman1 n=1000: fit_seconds={:.2}",
            self.members, self.ae_llm_ensemble_fit_seconds
        )
    }

    /// Deterministic runs and seed spreads beside XGBoost's recorded ones.
    fn write_xgboost_parity(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runs = [
            (
                "diabetes",
                &self.deterministic_diabetes,
                &self.seed_spread_diabetes,
            ),
            (
                "winequality-red",
                &self.deterministic_winequality_red,
                &self.seed_spread_winequality_red,
            ),
        ];
        for ((data, det, spread), xgb) in runs.iter().zip(XGBOOST_PARITY) {
            writeln!(
                f,
                "{data} deterministic (subsample 1, colsample 1) mean_fold_rmse={:.5} pooled_rmse={:.5} \
                 [xgboost {:.5} / {:.5}, recorded]",
                det.mean_fold_rmse, det.pooled_rmse, xgb.1, xgb.2
            )?;
            writeln!(
                f,
                "{data} mean_fold_rmse over seeds 0..={}: mean={:.4} sd={:.4} min={:.4} max={:.4} \
                 [xgboost random_state 0..=19: {:.4} sd={:.4} min={:.4} max={:.4}, recorded]",
                spread.seeds.saturating_sub(1),
                spread.mean,
                spread.sd,
                spread.min,
                spread.max,
                xgb.3,
                xgb.4,
                xgb.5,
                xgb.6
            )?;
        }
        Ok(())
    }

    /// The benchmark parameters' cross-validation and the ensemble's coverage.
    fn write_benchmark_cv(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "mean_fold_rmse = mean of the 15 per-fold test RMSEs; pooled_rmse = square root of the mean fold MSE \
             (folds weighted by rows: the RMSE over the 15 test sets at once)"
        )?;
        writeln!(
            f,
            "diabetes mean_fold_rmse={:.3} pooled_rmse={:.3} fit_seconds={:.2}",
            self.diabetes.mean_fold_rmse, self.diabetes.pooled_rmse, self.diabetes.fit_seconds
        )?;
        writeln!(
            f,
            "winequality-red mean_fold_rmse={:.4} pooled_rmse={:.4} fit_seconds={:.2}",
            self.winequality_red.mean_fold_rmse,
            self.winequality_red.pooled_rmse,
            self.winequality_red.fit_seconds
        )?;
        write!(
            f,
            "coverage90 friedman1={:.3} diabetes={:.3}",
            self.coverage_friedman1.coverage90, self.coverage_diabetes.coverage90
        )
    }
}
