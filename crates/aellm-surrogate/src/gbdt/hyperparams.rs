//! Hyper-parameters of [`GradientBoostedTrees`](super::GradientBoostedTrees),
//! in linfa's unchecked/checked pair.

use crate::error::{Result, SurrogateError, check_param};
use crate::loss::{Loss, SquaredError};
use crate::tree::{GrowParams, SplitRule};
use linfa::ParamGuard;
use serde::{Deserialize, Serialize};

/// Checked hyper-parameters: the only form that can fit a model.
///
/// Obtain them from [`GbdtParams`] with [`ParamGuard::check`], or let
/// [`Fit`](linfa::traits::Fit) on [`GbdtParams`] check them for you.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtValidParams<L = SquaredError> {
    pub(crate) loss: L,
    pub(crate) n_trees: usize,
    pub(crate) max_depth: usize,
    pub(crate) learning_rate: f64,
    pub(crate) lambda: f64,
    pub(crate) gamma: f64,
    pub(crate) min_child_weight: f64,
    pub(crate) subsample: f64,
    pub(crate) colsample: f64,
    pub(crate) max_bins: usize,
    pub(crate) early_stopping_rounds: Option<usize>,
    pub(crate) validation_fraction: f64,
    pub(crate) seed: u64,
}

/// Unchecked hyper-parameters with builder setters.
///
/// The defaults are the AE-LLM paper's surrogate ([`GbdtParams::ae_llm`]):
/// 500 trees of depth 8, learning rate 0.05, row and column subsampling 0.8,
/// and XGBoost's regularisation defaults (`lambda` 1, `gamma` 0,
/// `min_child_weight` 1), 256 bins.
///
/// ```
/// use aellm_surrogate::{GradientBoostedTrees, GbdtParams};
/// use linfa::ParamGuard;
///
/// let params = GradientBoostedTrees::params().n_trees(300).max_depth(3);
/// assert!(params.check_ref().is_ok());
/// assert!(GbdtParams::ae_llm().subsample(1.5).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams<L = SquaredError>(pub(crate) GbdtValidParams<L>);

impl GbdtParams<SquaredError> {
    /// The AE-LLM paper's surrogate: 500 trees, depth 8, learning rate 0.05,
    /// subsample 0.8, colsample 0.8, squared error.
    pub fn ae_llm() -> Self {
        Self(GbdtValidParams {
            loss: SquaredError,
            n_trees: 500,
            max_depth: 8,
            learning_rate: 0.05,
            lambda: 1.0,
            gamma: 0.0,
            min_child_weight: 1.0,
            subsample: 0.8,
            colsample: 0.8,
            max_bins: 256,
            early_stopping_rounds: None,
            validation_fraction: 0.1,
            seed: 0,
        })
    }
}

impl Default for GbdtParams<SquaredError> {
    fn default() -> Self {
        Self::ae_llm()
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, $name: $ty) -> Self {
            self.0.$name = $name;
            self
        }
    };
}

impl<L: Loss> GbdtParams<L> {
    /// Uses another loss, keeping every other setting.
    pub fn loss<L2: Loss>(self, loss: L2) -> GbdtParams<L2> {
        let p = self.0;
        GbdtParams(GbdtValidParams {
            loss,
            n_trees: p.n_trees,
            max_depth: p.max_depth,
            learning_rate: p.learning_rate,
            lambda: p.lambda,
            gamma: p.gamma,
            min_child_weight: p.min_child_weight,
            subsample: p.subsample,
            colsample: p.colsample,
            max_bins: p.max_bins,
            early_stopping_rounds: p.early_stopping_rounds,
            validation_fraction: p.validation_fraction,
            seed: p.seed,
        })
    }

    setter!(
        /// Number of boosting rounds (trees), at least 1.
        n_trees: usize
    );
    setter!(
        /// Maximum depth of each tree, 1 to 30.
        max_depth: usize
    );
    setter!(
        /// Shrinkage applied to every leaf value, > 0.
        learning_rate: f64
    );
    setter!(
        /// L2 regularisation of leaf values, ≥ 0.
        lambda: f64
    );
    setter!(
        /// Minimum loss reduction a split must bring, ≥ 0.
        gamma: f64
    );
    setter!(
        /// Minimum hessian sum in each child of a split, ≥ 0.
        min_child_weight: f64
    );
    setter!(
        /// Chance of each row to be used by a tree, in (0, 1]: XGBoost's
        /// `subsample` (rows drawn independently per tree, without
        /// replacement, so about this fraction of them).
        subsample: f64
    );
    setter!(
        /// Fraction of features drawn for each tree, in (0, 1]: XGBoost's
        /// `colsample_bytree` (⌊colsample · features⌋ of them, at least one,
        /// drawn anew per tree and used at every node of it).
        colsample: f64
    );
    setter!(
        /// Maximum number of histogram bins per feature, 2 to 256.
        max_bins: usize
    );
    setter!(
        /// Fraction of the training rows held out for early stopping when no
        /// explicit validation set is given, in (0, 1).
        validation_fraction: f64
    );
    setter!(
        /// Seed of row/column subsampling and of the validation hold-out.
        seed: u64
    );

    /// Stops boosting once the validation loss has not improved for `rounds`
    /// trees, keeping the best prefix of trees. The validation set is the one
    /// passed to [`GbdtValidParams::fit_with_validation`], or else a random
    /// [`validation_fraction`](Self::validation_fraction) of the training rows.
    pub fn early_stopping(mut self, rounds: usize) -> Self {
        self.0.early_stopping_rounds = Some(rounds);
        self
    }
}

impl<L> GbdtValidParams<L> {
    /// The loss.
    pub fn loss(&self) -> &L {
        &self.loss
    }
    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.n_trees
    }
    /// Maximum tree depth.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }
    /// Learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }
    /// L2 regularisation.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    /// Minimum split gain.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }
    /// Minimum child hessian sum.
    pub fn min_child_weight(&self) -> f64 {
        self.min_child_weight
    }
    /// Row subsampling fraction.
    pub fn subsample(&self) -> f64 {
        self.subsample
    }
    /// Column subsampling fraction.
    pub fn colsample(&self) -> f64 {
        self.colsample
    }
    /// Maximum bins per feature.
    pub fn max_bins(&self) -> usize {
        self.max_bins
    }
    /// Early-stopping patience, if enabled.
    pub fn early_stopping_rounds(&self) -> Option<usize> {
        self.early_stopping_rounds
    }
    /// Held-out fraction for early stopping without a validation set.
    pub fn validation_fraction(&self) -> f64 {
        self.validation_fraction
    }
    /// Random seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Checks every value's range.
    pub(crate) fn validate(&self) -> Result<()> {
        let p = self;
        if p.n_trees == 0 {
            return Err(SurrogateError::InvalidParameter {
                name: "n_trees",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        if !(1..=30).contains(&p.max_depth) {
            return Err(SurrogateError::InvalidParameter {
                name: "max_depth",
                value: p.max_depth.to_string(),
                expected: "1 to 30",
            });
        }
        if !(2..=crate::binning::MAX_BINS).contains(&p.max_bins) {
            return Err(SurrogateError::InvalidParameter {
                name: "max_bins",
                value: p.max_bins.to_string(),
                expected: "2 to 256",
            });
        }
        if p.early_stopping_rounds == Some(0) {
            return Err(SurrogateError::InvalidParameter {
                name: "early_stopping",
                value: "0".into(),
                expected: "at least 1 round",
            });
        }
        let lr = p.learning_rate;
        check_param(
            "learning_rate",
            lr,
            lr > 0.0 && lr.is_finite(),
            "a finite value > 0",
        )?;
        for (name, v) in [
            ("lambda", p.lambda),
            ("gamma", p.gamma),
            ("min_child_weight", p.min_child_weight),
        ] {
            check_param(name, v, v >= 0.0 && v.is_finite(), "a finite value ≥ 0")?;
        }
        for (name, v) in [("subsample", p.subsample), ("colsample", p.colsample)] {
            check_param(name, v, v > 0.0 && v <= 1.0, "a fraction in (0, 1]")?;
        }
        let vf = p.validation_fraction;
        check_param(
            "validation_fraction",
            vf,
            vf > 0.0 && vf < 1.0,
            "a fraction in (0, 1)",
        )?;
        Ok(())
    }

    pub(crate) fn grow_params(&self) -> GrowParams {
        GrowParams {
            max_depth: self.max_depth,
            learning_rate: self.learning_rate,
            rule: SplitRule {
                lambda: self.lambda,
                gamma: self.gamma,
                min_child_weight: self.min_child_weight,
            },
        }
    }
}

impl<L: Loss> ParamGuard for GbdtParams<L> {
    type Checked = GbdtValidParams<L>;
    type Error = SurrogateError;

    fn check_ref(&self) -> Result<&Self::Checked> {
        self.0.validate()?;
        Ok(&self.0)
    }

    fn check(self) -> Result<Self::Checked> {
        self.check_ref()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ae_llm_preset_matches_the_paper() {
        let p = GbdtParams::ae_llm().check().unwrap();
        assert_eq!((p.n_trees(), p.max_depth()), (500, 8));
        assert_eq!(
            (p.learning_rate(), p.subsample(), p.colsample()),
            (0.05, 0.8, 0.8)
        );
    }

    #[test]
    fn invalid_values_are_rejected_with_their_name() {
        let cases = [
            GbdtParams::ae_llm().n_trees(0),
            GbdtParams::ae_llm().max_depth(0),
            GbdtParams::ae_llm().learning_rate(0.0),
            GbdtParams::ae_llm().learning_rate(f64::NAN),
            GbdtParams::ae_llm().lambda(-1.0),
            GbdtParams::ae_llm().subsample(0.0),
            GbdtParams::ae_llm().colsample(1.01),
            GbdtParams::ae_llm().max_bins(257),
            GbdtParams::ae_llm().early_stopping(0),
            GbdtParams::ae_llm().validation_fraction(1.0),
        ];
        for params in cases {
            let err = params.check().unwrap_err().to_string();
            assert!(err.contains("invalid hyper-parameter"), "{err}");
        }
    }
}
