//! An evaluator whose accuracy comes from transfer: another evaluator (the
//! cost model, for hardware we don't have) gives latency, memory and energy,
//! and the accuracy is the transfer surrogate's prediction, trained on real
//! measurements of other models (reports of earlier runs).

use super::{AccuracyTransfer, TransferParams, relative_accuracy};
use crate::OptimizerError;
use crate::report::MeasuredReport;
use aellm_space::{Configuration, EvalError, Evaluator, Measurement, Scenario};

/// `inner`'s measurement with its accuracy replaced by the transfer
/// surrogate's (`predicted`, its note naming what trained it); the replaced
/// figure is kept in `extra` as `accuracy_without_transfer`.
///
/// Accuracy here is a fraction of the unmodified model's (1.0 = the base
/// model's score), the unit the cost model's accuracy is in.
///
/// ```no_run
/// # use aellm_optimizer::report::read_measured;
/// # use aellm_optimizer::transfer::{TransferParams, TransferredAccuracy};
/// # fn f(cost_model: impl aellm_space::Evaluator) -> Result<(), aellm_optimizer::OptimizerError> {
/// let small = read_measured("runs/smollm2-here")?; // an earlier `aellm optimize --out`
/// let e = TransferredAccuracy::from_reports(cost_model, &[small], &TransferParams::default())?;
/// println!("{}", e.provenance()); // "120 measurements of SmolLM2-135M-Instruct"
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TransferredAccuracy<E> {
    inner: E,
    transfer: AccuracyTransfer,
}

impl<E: Evaluator> TransferredAccuracy<E> {
    /// Wraps `inner` with a fitted transfer surrogate.
    pub fn new(inner: E, transfer: AccuracyTransfer) -> Self {
        TransferredAccuracy { inner, transfer }
    }

    /// Fits on the first report's measured accuracies and continues on each
    /// further one in turn (e.g. a tiny model, then a real small one): every
    /// report must hold the unmodified configuration, the unit of the
    /// relative accuracy.
    pub fn from_reports(
        inner: E,
        reports: &[MeasuredReport],
        p: &TransferParams,
    ) -> Result<Self, OptimizerError> {
        let mut fitted: Option<AccuracyTransfer> = None;
        for r in reports {
            let rows = relative_accuracy(&r.measured)?;
            fitted = Some(match fitted {
                None => AccuracyTransfer::fit(&rows, &r.scenario, p)?,
                Some(t) => t.continue_on(&rows, &r.scenario, p)?,
            });
        }
        let transfer = fitted.ok_or_else(|| OptimizerError::InvalidParameter {
            name: "transfer reports",
            value: "none".into(),
            allowed: "at least one report directory with measured accuracies".into(),
        })?;
        Ok(Self::new(inner, transfer))
    }

    /// What trained the surrogate ("200 measurements of a, then 10 of b").
    pub fn provenance(&self) -> String {
        self.transfer.provenance()
    }
}

impl<E: Evaluator> Evaluator for TransferredAccuracy<E> {
    fn name(&self) -> String {
        format!(
            "{} + accuracy transferred from {}",
            self.inner.name(),
            self.provenance()
        )
    }

    fn evaluate(&self, c: &Configuration, s: &Scenario) -> Result<Measurement, EvalError> {
        let mut m = self.inner.evaluate(c, s)?;
        let f = self.transfer.figure(c, s).map_err(|e| EvalError::Failed {
            reason: format!("accuracy transfer: {e}"),
        })?;
        let before = std::mem::replace(&mut m.accuracy, f);
        m.extra.insert("accuracy_without_transfer".into(), before);
        m.evaluator = self.name();
        Ok(m)
    }

    fn parallelism(&self) -> usize {
        self.inner.parallelism()
    }
}
