//! Bootstrap ensembles of boosted trees: a mean and a calibrated standard
//! deviation per prediction.
//!
//! # How the deviation is built
//!
//! Member `k` is fitted on a bootstrap resample of the rows; the rows it never
//! saw are its out-of-bag (OOB) rows. For a query `x`,
//!
//! `σ²(x) = c² · (var_k f_k(x) + s²)`
//!
//! - `var_k f_k(x)`: spread between members, the model's own uncertainty;
//! - `s²`: mean squared OOB residual `(y_i − mean of the members that did not
//!   see row i)²`, the noise and error the spread alone misses (spread alone
//!   covers only about half of what a 90% interval should);
//! - `c`: a calibration factor fitted on the OOB rows so that 90% of their
//!   standardised residuals `|r_i| / √(var_i + s²)` fall within `1.645 c`.
//!   Intervals `mean ± 1.645 σ` then cover about 90% of new points; other
//!   levels assume Gaussian residuals. Turn it off with
//!   [`EnsembleParams::calibrate`]`(false)` to get `c = 1`.

mod hyperparams;

pub use hyperparams::{EnsembleParams, EnsembleValidParams};

use crate::data::{check_training, check_width, require_rows, single_target};
use crate::error::{Result, SurrogateError};
use crate::gbdt::{GradientBoostedTrees, boost};
use crate::loss::{Loss, SquaredError};
use linfa::dataset::AsTargets;
use linfa::traits::{Fit, PredictInplace};
use linfa::{DatasetBase, ParamGuard};
use ndarray::{Array1, Array2, ArrayBase, ArrayView1, ArrayView2, Axis, Data, Ix2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The z-value of a two-sided 90% Gaussian interval.
pub const Z90: f64 = 1.644_853_626_951_472_2;

/// Fewest OOB rows for which the calibration factor is fitted (else `c = 1`).
const MIN_CALIBRATION_ROWS: usize = 20;

/// A fitted bootstrap ensemble: [`predict_with_std`](Self::predict_with_std)
/// gives each query's mean and standard deviation.
///
/// ```
/// use aellm_surrogate::{BootstrapEnsemble, GradientBoostedTrees};
/// use linfa::prelude::*;
/// use ndarray::{Array1, Array2};
///
/// let x = Array2::from_shape_fn((120, 2), |(i, j)| ((i * 31 + j * 17) % 97) as f64 / 97.0);
/// let y: Array1<f64> = x.rows().into_iter().map(|r| 4.0 * r[0] + r[1]).collect();
/// let ensemble = BootstrapEnsemble::params_with(
///         GradientBoostedTrees::params().n_trees(60).max_depth(3).learning_rate(0.1))
///     .n_members(4)
///     .fit(&Dataset::new(x.clone(), y))?;
/// let (mean, std) = ensemble.predict_with_std(&x)?;
/// assert_eq!((mean.len(), std.len()), (120, 120));
/// assert!(std.iter().all(|&s| s > 0.0));
/// # Ok::<(), aellm_surrogate::SurrogateError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapEnsemble<L = SquaredError> {
    members: Vec<GradientBoostedTrees<L>>,
    noise_variance: f64,
    calibration: f64,
    oob_rows: usize,
}

impl BootstrapEnsemble<SquaredError> {
    /// Ensemble hyper-parameters: 10 members of the AE-LLM preset
    /// ([`GbdtParams::ae_llm`](crate::GbdtParams::ae_llm)), calibrated.
    pub fn params() -> EnsembleParams<SquaredError> {
        EnsembleParams::new(crate::GbdtParams::ae_llm())
    }
}

impl<L: Loss> BootstrapEnsemble<L> {
    /// Ensemble hyper-parameters around any member configuration.
    pub fn params_with(member: crate::GbdtParams<L>) -> EnsembleParams<L> {
        EnsembleParams::new(member)
    }

    /// The fitted members.
    pub fn members(&self) -> &[GradientBoostedTrees<L>] {
        &self.members
    }

    /// `s²`: mean squared out-of-bag residual.
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }

    /// `c`: the OOB calibration factor of the deviation (1 when uncalibrated).
    pub fn calibration(&self) -> f64 {
        self.calibration
    }

    /// Number of training rows that were out of bag for at least one member.
    pub fn oob_rows(&self) -> usize {
        self.oob_rows
    }

    /// Every member's prediction, one row per member.
    pub fn predict_members<D: Data<Elem = f64>>(
        &self,
        x: &ArrayBase<D, Ix2>,
    ) -> Result<Array2<f64>> {
        let n_features = self.members.first().map_or(0, |m| m.n_features());
        check_width("prediction input", x, n_features)?;
        let x = x.view();
        let preds: Vec<Array1<f64>> = self
            .members
            .par_iter()
            .map(|m| m.try_predict(&x))
            .collect::<Result<_>>()?;
        let mut out = Array2::zeros((self.members.len(), x.nrows()));
        for (mut row, p) in out.rows_mut().into_iter().zip(preds) {
            row.assign(&p);
        }
        Ok(out)
    }

    /// Mean and standard deviation `σ = c·√(var_members + s²)` per row of `x`.
    pub fn predict_with_std<D: Data<Elem = f64>>(
        &self,
        x: &ArrayBase<D, Ix2>,
    ) -> Result<(Array1<f64>, Array1<f64>)> {
        let members = self.predict_members(x)?;
        let mean = members
            .mean_axis(Axis(0))
            .unwrap_or_else(|| Array1::zeros(x.nrows()));
        let var = members.var_axis(Axis(0), 0.0);
        let std = var.mapv(|v| self.calibration * (v + self.noise_variance).sqrt());
        Ok((mean, std))
    }

    /// Warm start: continues every member with `params`' member settings on
    /// a fresh bootstrap resample of `dataset` (a new domain, typically few
    /// rows), then re-estimates the OOB noise and calibration on it.
    /// `params` must have as many members as this ensemble.
    pub fn continue_training<D, T>(
        &self,
        params: &EnsembleParams<L>,
        dataset: &DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<Self>
    where
        D: Data<Elem = f64>,
        T: AsTargets<Elem = f64>,
    {
        let params = params.check_ref()?;
        if params.n_members != self.members.len() {
            return Err(SurrogateError::InvalidParameter {
                name: "n_members",
                value: params.n_members.to_string(),
                expected: "the number of members of the ensemble being continued",
            });
        }
        let x = dataset.records().view();
        check_width(
            "training set",
            &x,
            self.members.first().map_or(0, |m| m.n_features()),
        )?;
        fit_ensemble(params, x, single_target(dataset)?, Some(self))
    }

    /// Writes the ensemble as JSON.
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()>
    where
        L: Serialize,
    {
        let path = path.as_ref();
        let io = |source| SurrogateError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
        serde_json::to_writer(file, self)?;
        Ok(())
    }

    /// Reads an ensemble written by [`save_json`](Self::save_json).
    pub fn load_json(path: impl AsRef<Path>) -> Result<Self>
    where
        L: DeserializeOwned,
    {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| SurrogateError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(serde_json::from_reader(std::io::BufReader::new(file))?)
    }
}

/// The bootstrap rows of member `k` and which rows it left out.
fn bootstrap(n: usize, seed: u64, k: usize) -> (Vec<usize>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // One stream per member: resamples do not depend on how many members there are.
    rng.set_stream(k as u64);
    let mut seen = vec![false; n];
    let rows: Vec<usize> = (0..n)
        .map(|_| {
            let r = rng.random_range(0..n);
            seen[r] = true;
            r
        })
        .collect();
    let oob = (0..n).filter(|&r| !seen[r]).collect();
    (rows, oob)
}

/// The `q`-quantile of `values` (sorted in place), by linear interpolation.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    let pos = q * (values.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    values[lo] + (pos - lo as f64) * (values[hi] - values[lo])
}

impl<L, D, T> Fit<ArrayBase<D, Ix2>, T, SurrogateError> for EnsembleValidParams<L>
where
    L: Loss,
    D: Data<Elem = f64>,
    T: AsTargets<Elem = f64>,
{
    type Object = BootstrapEnsemble<L>;

    fn fit(&self, dataset: &DatasetBase<ArrayBase<D, Ix2>, T>) -> Result<Self::Object> {
        fit_ensemble(
            self,
            dataset.records().view(),
            single_target(dataset)?,
            None,
        )
    }
}

/// Fits (or, from `start`, continues) every member on its bootstrap
/// resample, then estimates `s²` and `c` on the out-of-bag rows.
fn fit_ensemble<L: Loss>(
    params: &EnsembleValidParams<L>,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    start: Option<&BootstrapEnsemble<L>>,
) -> Result<BootstrapEnsemble<L>> {
    check_training("training set", &x, y)?;
    let n = x.nrows();
    require_rows("a bootstrap ensemble", n, 2)?;
    let fitted: Vec<(GradientBoostedTrees<L>, Vec<usize>, Array1<f64>)> = (0..params.n_members)
        .into_par_iter()
        .map(|k| {
            let (rows, oob) = bootstrap(n, params.seed, k);
            let mut member = params.member.clone();
            member.seed = member.seed.wrapping_add(k as u64);
            let (xs, ys) = (x.select(Axis(0), &rows), y.select(Axis(0), &rows));
            let warm = start.map(|e| &e.members[k]);
            let model = boost(&member, xs.view(), ys.view(), warm, None)?;
            let oob_pred = model.try_predict(&x.select(Axis(0), &oob))?;
            Ok((model, oob, oob_pred))
        })
        .collect::<Result<_>>()?;

    // Per-row OOB sums over the members that left the row out.
    let mut sum = vec![0.0; n];
    let mut sum_sq = vec![0.0; n];
    let mut count = vec![0usize; n];
    for (_, oob, pred) in &fitted {
        for (&r, &p) in oob.iter().zip(pred) {
            sum[r] += p;
            sum_sq[r] += p * p;
            count[r] += 1;
        }
    }
    let mut residual_sq = Vec::with_capacity(n);
    let mut spread = Vec::with_capacity(n);
    for r in (0..n).filter(|&r| count[r] > 0) {
        let m = sum[r] / count[r] as f64;
        residual_sq.push((y[r] - m) * (y[r] - m));
        spread.push((sum_sq[r] / count[r] as f64 - m * m).max(0.0));
    }
    let oob_rows = residual_sq.len();
    let noise_variance = if oob_rows == 0 {
        0.0
    } else {
        residual_sq.iter().sum::<f64>() / oob_rows as f64
    };
    let calibration = if params.calibrate && oob_rows >= MIN_CALIBRATION_ROWS {
        let mut z: Vec<f64> = residual_sq
            .iter()
            .zip(&spread)
            .map(|(r2, v)| (r2 / (v + noise_variance).max(f64::MIN_POSITIVE)).sqrt())
            .collect();
        let c = quantile(&mut z, 0.9) / Z90;
        if c > 0.0 { c } else { 1.0 }
    } else {
        1.0
    };
    tracing::debug!(
        members = params.n_members,
        oob_rows,
        noise_variance,
        calibration,
        "fitted bootstrap ensemble"
    );
    Ok(BootstrapEnsemble {
        members: fitted.into_iter().map(|(m, _, _)| m).collect(),
        noise_variance,
        calibration,
        oob_rows,
    })
}

/// Predicts the ensemble mean.
///
/// # Panics
/// When `x` has the wrong number of columns; use
/// [`predict_with_std`](BootstrapEnsemble::predict_with_std) to get an error instead.
impl<L: Loss, D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>>
    for BootstrapEnsemble<L>
{
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<f64>) {
        match self.predict_with_std(x) {
            Ok((mean, _)) => y.assign(&mean),
            Err(e) => panic!("{e}"),
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests;
