//! The gradient-boosted regression trees model.

mod boost;
mod hyperparams;

pub(crate) use boost::boost;

pub use hyperparams::{GbdtParams, GbdtValidParams};

use crate::data::{check_width, row_major, single_target};
use crate::error::Result;
use crate::loss::{Loss, SquaredError};
use crate::tree::Tree;
use linfa::dataset::AsTargets;
use linfa::traits::{Fit, FitWith, PredictInplace};
use linfa::{DatasetBase, ParamGuard};
use ndarray::{Array1, ArrayBase, Data, Ix2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows above which prediction runs in parallel.
const PARALLEL_ROWS: usize = 2048;

/// Rows that go through one tree together when predicting.
const BLOCK_ROWS: usize = 64;

/// A fitted ensemble of boosted regression trees (XGBoost-style: histogram
/// splits, second-order gain, L2-regularised leaves).
///
/// Fit it the linfa way, predict with [`Predict`](linfa::traits::Predict),
/// save it with serde:
///
/// ```
/// use aellm_surrogate::GradientBoostedTrees;
/// use linfa::prelude::*;
/// use ndarray::{Array1, Array2};
///
/// let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * (j + 3)) % 17) as f64);
/// let y: Array1<f64> = x.column(0).mapv(|v| if v > 8.0 { 2.0 } else { -1.0 });
/// let data = Dataset::new(x, y);
///
/// let model = GradientBoostedTrees::params()
///     .n_trees(50)
///     .max_depth(3)
///     .learning_rate(0.3)
///     .fit(&data)?;
/// let pred = model.predict(data.records());
/// assert!((pred[0] - data.targets()[0]).abs() < 0.1);
///
/// let json = serde_json::to_string(&model)?;
/// let back: GradientBoostedTrees = serde_json::from_str(&json)?;
/// assert_eq!(back.predict(data.records()), pred);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientBoostedTrees<L = SquaredError> {
    loss: L,
    base_score: f64,
    n_features: usize,
    trees: Vec<Tree>,
    /// Validation loss after each tree of the last fit, when it had a validation set.
    validation_loss: Vec<f64>,
}

impl GradientBoostedTrees<SquaredError> {
    /// Hyper-parameters to fit a model, starting from the AE-LLM preset
    /// ([`GbdtParams::ae_llm`]).
    pub fn params() -> GbdtParams<SquaredError> {
        GbdtParams::ae_llm()
    }
}

impl<L: Loss> GradientBoostedTrees<L> {
    fn empty(loss: L, base_score: f64, n_features: usize) -> Self {
        Self {
            loss,
            base_score,
            n_features,
            trees: Vec::new(),
            validation_loss: Vec::new(),
        }
    }

    /// The loss the model was fitted with.
    pub fn loss(&self) -> &L {
        &self.loss
    }

    /// The constant every prediction starts from.
    pub fn base_score(&self) -> f64 {
        self.base_score
    }

    /// Number of features the model expects.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The trees, in boosting order.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// Number of trees (after early stopping, the best prefix).
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// Validation loss after each tree of the last (continued) fit, if that
    /// fit had a validation set; empty otherwise.
    pub fn validation_loss(&self) -> &[f64] {
        &self.validation_loss
    }

    /// Total split gain per feature over all trees.
    pub fn feature_gain(&self) -> Array1<f64> {
        let mut gain = vec![0.0; self.n_features];
        for t in &self.trees {
            t.add_gains(&mut gain);
        }
        Array1::from(gain)
    }

    /// Gain importance: each feature's share of the total split gain (sums to
    /// 1, or all zeros when no tree split at all).
    pub fn feature_importance(&self) -> Array1<f64> {
        let gain = self.feature_gain();
        let total = gain.sum();
        if total > 0.0 { gain / total } else { gain }
    }

    /// Predicts, returning an error (instead of panicking like
    /// [`Predict`](linfa::traits::Predict)) when `x` has the wrong width.
    /// Non-finite feature values follow the right branch of every split.
    pub fn try_predict<D: Data<Elem = f64>>(&self, x: &ArrayBase<D, Ix2>) -> Result<Array1<f64>> {
        check_width("prediction input", x, self.n_features)?;
        Ok(Array1::from(self.predict_slice(&row_major(x), x.nrows())))
    }

    /// Predictions for `n` rows laid out row-major in `flat`.
    ///
    /// Tree-major within blocks of rows: one tree stays in cache while a
    /// block of rows goes through it (row-major over hundreds of deep trees
    /// misses the cache at nearly every node). Trees are added in boosting
    /// order, as in training.
    fn predict_slice(&self, flat: &[f64], n: usize) -> Vec<f64> {
        let p = self.n_features;
        let mut out = vec![self.base_score; n];
        if p == 0 {
            return out;
        }
        let block = |(rows, out): (&[f64], &mut [f64])| {
            for t in &self.trees {
                for (row, o) in rows.chunks_exact(p).zip(out.iter_mut()) {
                    *o += t.predict_row(row);
                }
            }
        };
        if n >= PARALLEL_ROWS {
            flat.par_chunks(p * BLOCK_ROWS)
                .zip(out.par_chunks_mut(BLOCK_ROWS))
                .for_each(block);
        } else {
            flat.chunks(p * BLOCK_ROWS)
                .zip(out.chunks_mut(BLOCK_ROWS))
                .for_each(block);
        }
        out
    }

    /// Warm start: keeps every tree and boosts `params.n_trees` more on
    /// `dataset` (typically a new domain with few rows), starting from this
    /// model's predictions. New trees get bin edges from the new data; old
    /// trees keep their raw thresholds, so they apply unchanged.
    ///
    /// ```
    /// use aellm_surrogate::GradientBoostedTrees;
    /// use linfa::prelude::*;
    /// use ndarray::{Array1, Array2};
    ///
    /// let x = Array2::from_shape_fn((300, 1), |(i, _)| i as f64 / 300.0);
    /// let old = Dataset::new(x.clone(), x.column(0).mapv(|v| 3.0 * v));
    /// let new = Dataset::new(x.clone(), x.column(0).mapv(|v| 3.0 * v + 1.0));
    /// let params = GradientBoostedTrees::params().n_trees(100).max_depth(3).learning_rate(0.2);
    /// let base = params.fit(&old)?;
    /// let tuned = base.continue_training(&params, &new)?;
    /// assert_eq!(tuned.n_trees(), 200);
    /// let err = |m: &GradientBoostedTrees| (m.predict(&x) - new.targets()).mapv(f64::abs).mean().unwrap();
    /// assert!(err(&tuned) < 0.1 * err(&base));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn continue_training<D, T>(
        &self,
        params: &GbdtParams<L>,
        dataset: &DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<Self>
    where
        D: Data<Elem = f64>,
        T: AsTargets<Elem = f64>,
    {
        let params = params.check_ref()?;
        boost::boost(
            params,
            dataset.records().view(),
            single_target(dataset)?,
            Some(self),
            None,
        )
    }
}

impl<L: Loss> GbdtValidParams<L> {
    /// Fits on `train`, watching the loss on `validation` after every tree;
    /// with [`GbdtParams::early_stopping`] set, stops when it no longer falls
    /// and keeps the best prefix.
    pub fn fit_with_validation<D, T, D2, T2>(
        &self,
        train: &DatasetBase<ArrayBase<D, Ix2>, T>,
        validation: &DatasetBase<ArrayBase<D2, Ix2>, T2>,
    ) -> Result<GradientBoostedTrees<L>>
    where
        D: Data<Elem = f64>,
        T: AsTargets<Elem = f64>,
        D2: Data<Elem = f64>,
        T2: AsTargets<Elem = f64>,
    {
        boost::boost(
            self,
            train.records().view(),
            single_target(train)?,
            None,
            Some((validation.records().view(), single_target(validation)?)),
        )
    }
}

impl<L, D, T> Fit<ArrayBase<D, Ix2>, T, crate::SurrogateError> for GbdtValidParams<L>
where
    L: Loss,
    D: Data<Elem = f64>,
    T: AsTargets<Elem = f64>,
{
    type Object = GradientBoostedTrees<L>;

    fn fit(&self, dataset: &DatasetBase<ArrayBase<D, Ix2>, T>) -> Result<Self::Object> {
        boost::boost(
            self,
            dataset.records().view(),
            single_target(dataset)?,
            None,
            None,
        )
    }
}

/// linfa's incremental-fit trait: `fit_with(Some(model), data)` is
/// [`GradientBoostedTrees::continue_training`], `fit_with(None, data)` is `fit`.
impl<'a, L, D, T> FitWith<'a, ArrayBase<D, Ix2>, T, crate::SurrogateError> for GbdtValidParams<L>
where
    L: Loss + 'a,
    D: Data<Elem = f64>,
    T: AsTargets<Elem = f64>,
{
    type ObjectIn = Option<GradientBoostedTrees<L>>;
    type ObjectOut = GradientBoostedTrees<L>;

    fn fit_with(
        &self,
        model: Self::ObjectIn,
        dataset: &'a DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<Self::ObjectOut> {
        boost::boost(
            self,
            dataset.records().view(),
            single_target(dataset)?,
            model.as_ref(),
            None,
        )
    }
}

/// # Panics
/// When `x` does not have [`n_features`](GradientBoostedTrees::n_features)
/// columns (as linfa's models do); use
/// [`try_predict`](GradientBoostedTrees::try_predict) to get an error instead.
impl<L: Loss, D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>>
    for GradientBoostedTrees<L>
{
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<f64>) {
        assert_eq!(
            x.ncols(),
            self.n_features,
            "the model was fitted on {} features but the input has {}",
            self.n_features,
            x.ncols()
        );
        assert_eq!(
            x.nrows(),
            y.len(),
            "one target slot per input row is needed"
        );
        let pred = self.predict_slice(&row_major(x), x.nrows());
        y.iter_mut().zip(pred).for_each(|(t, p)| *t = p);
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests;
