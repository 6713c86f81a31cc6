//! Transfer across models (the paper's section 3.5): an accuracy surrogate
//! fitted on the measurements of a smaller model (the source, e.g. what the
//! harness measured here) and then trained further on a few measurements of
//! the target model, so that the target needs fewer evaluations than a
//! surrogate fitted on its own measurements alone.
//!
//! What transfers is the *relative* accuracy: each configuration's accuracy
//! as a fraction of the unmodified configuration's in the same study (1.0 =
//! the base model's score, the unit the cost model's published changes are
//! in). Absolute scores differ from model to model; the per-technique
//! changes are what a small model can teach about a big one, and only
//! where they are alike (a test shows a source with other effects helps
//! less). Every figure this module produces is a model's output: `predicted`.
//!
//! ```no_run
//! # use aellm_optimizer::transfer::{AccuracyTransfer, TransferParams, relative_accuracy};
//! # use aellm_space::{Configuration, Objectives, Scenario};
//! # fn f(small: &[(Configuration, Objectives)], small_s: &Scenario,
//! #      big: &[(Configuration, Objectives)], big_s: &Scenario) -> Result<(), aellm_optimizer::OptimizerError> {
//! let p = TransferParams::default();
//! let warm = AccuracyTransfer::fit(&relative_accuracy(small)?, small_s, &p)?
//!     .continue_on(&relative_accuracy(big)?, big_s, &p)?;
//! let figure = warm.figure(&Configuration::default(), big_s)?; // predicted
//! # Ok(()) }
//! ```

use crate::OptimizerError;
use crate::surrogates::{SurrogateParams, feature_matrix};
use aellm_space::{Configuration, Figure, Objectives, Scenario};
use aellm_surrogate::{BootstrapEnsemble, GbdtParams};
use linfa::prelude::*;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// Fewest rows either stage is fitted on.
pub const MIN_ROWS: usize = 3;

/// Settings of the two stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferParams {
    /// The surrogate fitted on the source's measurements (and, without
    /// transfer, on the target's alone).
    pub source: SurrogateParams,
    /// Each member's continuation on the target's measurements: a few
    /// shallow trees at a small learning rate, so that a handful of rows
    /// corrects the source's model instead of replacing it.
    pub continuation: GbdtParams,
}

impl Default for TransferParams {
    fn default() -> Self {
        TransferParams {
            source: SurrogateParams::ae_llm(),
            continuation: GbdtParams::ae_llm()
                .n_trees(60)
                .max_depth(2)
                .learning_rate(0.05),
        }
    }
}

/// Each measured configuration's accuracy as a fraction of the unmodified
/// configuration's (`Configuration::default()`), which must be among them.
pub fn relative_accuracy(
    data: &[(Configuration, Objectives)],
) -> Result<Vec<(Configuration, f64)>, OptimizerError> {
    let base = data
        .iter()
        .find(|(c, _)| *c == Configuration::default())
        .map(|(_, o)| o.accuracy)
        .filter(|a| a.is_finite() && *a > 0.0)
        .ok_or_else(|| OptimizerError::InvalidParameter {
            name: "transfer data",
            value: format!("{} measurements", data.len()),
            allowed: "measurements that include the unmodified configuration \
                      (MHA, dense, full fine-tune, FP16) with an accuracy above 0"
                .into(),
        })?;
    Ok(data.iter().map(|(c, o)| (*c, o.accuracy / base)).collect())
}

/// An accuracy surrogate and where its training came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccuracyTransfer {
    model: BootstrapEnsemble,
    /// Models whose measurements trained it, in order, with their row counts.
    trained_on: Vec<(String, usize)>,
}

fn dataset(
    rows: &[(Configuration, f64)],
    s: &Scenario,
) -> Result<DatasetBase<Array2<f64>, Array1<f64>>, OptimizerError> {
    if rows.len() < MIN_ROWS {
        return Err(OptimizerError::TooFewMeasurements {
            got: rows.len(),
            needed: MIN_ROWS,
        });
    }
    let cs: Vec<Configuration> = rows.iter().map(|r| r.0).collect();
    let y: Array1<f64> = rows.iter().map(|r| r.1).collect();
    Ok(Dataset::new(feature_matrix(&cs, s), y))
}

impl AccuracyTransfer {
    /// Fits on `rows` (relative accuracies) of `s`'s model from scratch:
    /// the source stage, or the surrogate without transfer.
    pub fn fit(
        rows: &[(Configuration, f64)],
        s: &Scenario,
        p: &TransferParams,
    ) -> Result<Self, OptimizerError> {
        let ds = dataset(rows, s)?;
        let model = BootstrapEnsemble::params_with(p.source.member.clone().seed(p.source.seed))
            .n_members(p.source.n_members)
            .seed(p.source.seed.wrapping_add(100))
            .fit(&ds)?;
        Ok(AccuracyTransfer {
            model,
            trained_on: vec![(s.model.name.clone(), rows.len())],
        })
    }

    /// Continues every member on `rows` of the target `s` (warm start):
    /// the target's trees fit what the source's model gets wrong there.
    pub fn continue_on(
        &self,
        rows: &[(Configuration, f64)],
        s: &Scenario,
        p: &TransferParams,
    ) -> Result<Self, OptimizerError> {
        let ds = dataset(rows, s)?;
        let params =
            BootstrapEnsemble::params_with(p.continuation.clone().seed(p.source.seed ^ 0x5eed))
                .n_members(self.model.members().len())
                .seed(p.source.seed.wrapping_add(200));
        let model = self.model.continue_training(&params, &ds)?;
        let mut trained_on = self.trained_on.clone();
        trained_on.push((s.model.name.clone(), rows.len()));
        Ok(AccuracyTransfer { model, trained_on })
    }

    /// Predicted relative accuracy and its standard deviation for each of `cs` in `s`.
    pub fn predict(
        &self,
        cs: &[Configuration],
        s: &Scenario,
    ) -> Result<Vec<(f64, f64)>, OptimizerError> {
        if cs.is_empty() {
            return Ok(Vec::new());
        }
        let (m, sd) = self.model.predict_with_std(&feature_matrix(cs, s))?;
        Ok(m.into_iter().zip(sd).collect())
    }

    /// The prediction for `c` as a figure, `predicted`, saying what trained it.
    pub fn figure(&self, c: &Configuration, s: &Scenario) -> Result<Figure, OptimizerError> {
        let (mean, std) = self.predict(std::slice::from_ref(c), s)?[0];
        Ok(Figure::predicted(mean, std).with_how(format!(
            "fraction of the unmodified model's accuracy on {}, from boosted trees trained on {}",
            s.model.name,
            self.provenance()
        )))
    }

    /// "120 measurements of a, then 10 of b".
    pub fn provenance(&self) -> String {
        self.trained_on
            .iter()
            .map(|(m, n)| format!("{n} measurements of {m}"))
            .collect::<Vec<_>>()
            .join(", then ")
    }
}

mod evaluator;
mod warm;
pub use evaluator::TransferredAccuracy;
pub use warm::WarmStart;

#[cfg(test)]
mod tests;
