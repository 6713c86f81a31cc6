//! The cost model as an [`Evaluator`]: its objectives and every figure a
//! fitted factor enters are `predicted`; the counts of the configuration's
//! shape among its extra figures are `estimated`.

use crate::accuracy::AccuracyModel;
use crate::calibration::Calibration;
use crate::error::CostModelError;
use crate::predict::{self, PredictOptions, Prediction};
use aellm_space::{Configuration, EvalError, Evaluator, Figure, Measurement, Scenario};
use std::collections::BTreeMap;

/// Version of the formulas: part of the evaluator's name, so a study never
/// mixes predictions of different cost models. c4: candle's MLA on a CPU
/// re-expands its latent cache every decode step (GPU predictions unchanged).
/// c5: candle's CPU FP16 linear casts its activations to f16 and back (two
/// launches and their bytes per linear; GPU predictions unchanged).
/// c6: a tied embedding table counts once (`ModelSpec::tied_embeddings`), so
/// a small tied model's FFN is no longer read as 2 projections (presets
/// unchanged: none is tied).
pub const COSTMODEL_VERSION: &str = "c6";

/// Predicts latency, memory, energy, fine-tuning cost and accuracy on the
/// scenario's hardware from the configuration's counts.
///
/// ```
/// use aellm_costmodel::CostModel;
/// use aellm_space::{presets, Configuration, Evaluator, Provenance, Scenario};
///
/// let s = Scenario::new(presets::model("llama-2-7b").unwrap(), presets::task("mmlu").unwrap(),
///                       presets::hardware("a100-80gb").unwrap());
/// let m = CostModel::default().evaluate(&Configuration::default(), &s).unwrap();
/// assert!(m.figures().iter().all(|f| f.provenance == Provenance::Predicted));
/// assert!(m.memory_gb.value > 13.4); // 13.5 GB of FP16 weights and more
/// ```
#[derive(Debug, Clone, Default)]
pub struct CostModel {
    /// Efficiency factors, storage conventions and batch.
    pub options: PredictOptions,
    /// The accuracy model.
    pub accuracy: AccuracyModel,
    /// Name of the calibration the factors came from, if any.
    pub calibration: Option<String>,
}

impl CostModel {
    /// A cost model with the factors of a calibration.
    pub fn calibrated(c: &Calibration) -> Self {
        let mut m = CostModel::default();
        m.options.efficiency = c.efficiency;
        m.options.runtime = c.runtime;
        m.calibration = Some(c.name.clone());
        m
    }

    /// Every predicted figure of `c` in `s`.
    pub fn predict(&self, c: &Configuration, s: &Scenario) -> Result<Prediction, CostModelError> {
        predict::predict(c, s, &self.options, &self.accuracy)
    }

    fn factors_note(&self) -> String {
        match &self.calibration {
            Some(n) => format!("efficiency factors from calibration `{n}`"),
            None => "uncalibrated default efficiency factors".into(),
        }
    }
}

fn predicted(value: f64, how: String) -> Figure {
    Figure::predicted(value, 0.0).with_how(how)
}

/// The extra figures that are counts of the configuration's shape
/// (`aellm_space::footprint`): `estimated`, since no factor fitted to a
/// measurement enters them. Their keys and how each is counted.
const COUNTED: [(&str, &str); 5] = [
    (
        "weight_gb",
        "weights per device: aellm_space::footprint's weight bytes / devices",
    ),
    (
        "kv_cache_gb",
        "KV cache of the whole sequence per device: aellm_space::footprint's KV bytes",
    ),
    (
        "finetune_trainable_parameters",
        "elements AdamW updates (aellm_space::footprint)",
    ),
    (
        "finetune_optimizer_state_bytes",
        "two f32 AdamW moments per trainable element (aellm_space::footprint)",
    ),
    (
        "finetune_weight_bytes",
        "weights held while training: FP16 base, NF4 for QLoRA, plus adapters (aellm_space::footprint)",
    ),
];

fn extras(p: &Prediction) -> BTreeMap<String, Figure> {
    let ft = &p.finetune;
    let counted = [
        p.memory.weights_gb,
        p.memory.kv_cache_gb,
        ft.trainable_parameters,
        ft.optimizer_state_bytes,
        ft.weights_gb * 1e9,
    ];
    let modelled = [
        (
            "accuracy_change_pct",
            p.accuracy.change_pct(),
            "predicted change from the unmodified model's score, % of it (published changes)",
        ),
        ("ttft_ms", p.ttft_ms, "prefill of the prompt (roofline)"),
        (
            "decode_ms_per_token",
            p.decode_ms_per_token,
            "mean decode step (roofline)",
        ),
        (
            "memory_per_device_gb",
            p.memory.per_device_gb,
            "peak memory of one device",
        ),
        (
            "finetune_peak_bytes",
            ft.peak_gb * 1e9,
            "weights + gradients, AdamW moments, master copies + activations (batch 8)",
        ),
        (
            "finetune_seconds_per_step",
            ft.seconds_per_step,
            "FLOPs of a step at the achievable FP16 rate",
        ),
        (
            "fits",
            if p.memory.does_not_fit.is_some() {
                0.0
            } else {
                1.0
            },
            "1 when peak memory fits one device",
        ),
    ];
    let counted = COUNTED
        .iter()
        .zip(counted)
        .map(|((k, how), v)| (k.to_string(), Figure::estimated(v, *how)));
    modelled
        .into_iter()
        .map(|(k, v, how)| (k.to_string(), predicted(v, how.to_string())))
        .chain(counted)
        .collect()
}

impl Evaluator for CostModel {
    fn name(&self) -> String {
        match &self.calibration {
            Some(n) => format!("costmodel-{COSTMODEL_VERSION}+{n}"),
            None => format!("costmodel-{COSTMODEL_VERSION}"),
        }
    }

    fn evaluate(&self, c: &Configuration, s: &Scenario) -> Result<Measurement, EvalError> {
        let p = self.predict(c, s).map_err(|e| EvalError::Unsupported {
            evaluator: self.name(),
            reason: e.to_string(),
        })?;
        let note = self.factors_note();
        let memory_how = match &p.memory.does_not_fit {
            Some(why) => format!("does not fit: {why}; {note}"),
            None => format!(
                "weights + KV cache + activations + runtime over {} device(s); {note}",
                s.hardware.devices
            ),
        };
        Ok(Measurement {
            accuracy: Figure::predicted(p.accuracy.value, p.accuracy.std)
                .with_how(p.accuracy.how.clone()),
            latency_ms: predicted(
                p.latency_ms,
                format!(
                    "roofline on {}: prefill {} + decode {} tokens, {}; {note}",
                    s.hardware.name, s.task.prompt_tokens, s.task.output_tokens, p.kernel.path
                ),
            ),
            memory_gb: predicted(p.memory.total_gb, memory_how),
            energy_j: predicted(
                p.energy_j,
                format!(
                    "idle + dynamic power by utilisation, capped at {} W, x time; {note}",
                    s.hardware.power_w
                ),
            ),
            extra: extras(&p),
            evaluator: self.name(),
        })
    }

    fn parallelism(&self) -> usize {
        // Predictions are pure arithmetic: any number may run side by side.
        16
    }
}
