//! The figures of the `gbdt_benchmark` example: accuracy and fit time against
//! XGBoost/LightGBM on shared folds, and interval coverage of the ensemble.

use crate::datasets;
use crate::error::Result;
use crate::evaluation::{
    CoverageReport, CvReport, cross_validate, interval_coverage, repeated_kfold,
};
use crate::{BootstrapEnsemble, GbdtParams, GradientBoostedTrees};
use linfa::ParamGuard;
use linfa::traits::Fit;
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

/// Runs the whole benchmark (about a minute in release on two cores).
pub fn run_benchmark(members: usize) -> Result<BenchmarkReport> {
    let params = benchmark_params().check()?;
    let diabetes = datasets::diabetes()?;
    let wine = datasets::winequality_red()?;
    let diabetes_folds = datasets::diabetes_folds()?;
    let diabetes_cv = cross_validate(&params, &diabetes, &diabetes_folds)?;
    let wine_cv = cross_validate(&params, &wine, &datasets::winequality_red_folds()?)?;

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
        for (data, lib, rmse, pooled, secs) in REFERENCE {
            writeln!(
                f,
                "reference {data} {lib} rmse={rmse:.3} pooled_rmse={pooled:.3} fit_seconds={secs:.2} \
                 (n_jobs=1, recorded by datasets/reference.py, not measured now)"
            )?;
        }
        let c = (&self.coverage_friedman1, &self.coverage_diabetes);
        writeln!(
            f,
            "ensemble ({} members): friedman1 rmse={:.3} mean_std={:.3}; diabetes rmse={:.2} mean_std={:.2}",
            self.members, c.0.rmse, c.0.mean_std, c.1.rmse, c.1.mean_std
        )?;
        writeln!(
            f,
            "ae_llm preset ensemble ({} x 500 trees, depth 8) on friedman1 n=1000: fit_seconds={:.2}",
            self.members, self.ae_llm_ensemble_fit_seconds
        )?;
        writeln!(
            f,
            "diabetes rmse={:.2} pooled_rmse={:.2} fit_seconds={:.2}",
            self.diabetes.rmse, self.diabetes.pooled_rmse, self.diabetes.fit_seconds
        )?;
        writeln!(
            f,
            "winequality-red rmse={:.3} pooled_rmse={:.3} fit_seconds={:.2}",
            self.winequality_red.rmse,
            self.winequality_red.pooled_rmse,
            self.winequality_red.fit_seconds
        )?;
        write!(
            f,
            "coverage90 friedman1={:.3} diabetes={:.3}",
            c.0.coverage90, c.1.coverage90
        )
    }
}
