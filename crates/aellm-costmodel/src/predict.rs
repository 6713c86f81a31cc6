//! One prediction of every figure for a configuration in a scenario.

use crate::accuracy::{AccuracyModel, AccuracyPrediction};
use crate::efficiency::Efficiency;
use crate::energy;
use crate::error::CostModelError;
use crate::finetune::{self, FinetunePrediction, FinetuneRecipe};
use crate::kernel::{self, Kernel, Runtime};
use crate::memory::{self, MemoryPrediction};
use crate::roofline::{PhaseTime, Roofline};
use aellm_space::footprint::{Footprint, FootprintOptions};
use aellm_space::{Configuration, HardwareSpec, Scenario};
use serde::{Deserialize, Serialize};

/// Everything the cost model predicts for one configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The kernel path of the linears.
    pub kernel: Kernel,
    /// Prefill of the prompt.
    pub prefill: PhaseTime,
    /// The decode steps after it.
    pub decode: PhaseTime,
    /// Time to first token, ms (the prefill).
    pub ttft_ms: f64,
    /// Mean time per decode step, ms.
    pub decode_ms_per_token: f64,
    /// Prefill plus decode, ms.
    pub latency_ms: f64,
    /// Peak memory.
    pub memory: MemoryPrediction,
    /// Energy of the inference, J.
    pub energy_j: f64,
    /// Fine-tuning cost per step.
    pub finetune: FinetunePrediction,
    /// Accuracy with its interval.
    pub accuracy: AccuracyPrediction,
}

/// What a prediction needs besides the configuration and scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictOptions {
    /// Efficiency factors.
    pub efficiency: Efficiency,
    /// Storage conventions of the counts.
    pub footprint: FootprintOptions,
    /// Sequences served at once (the design's default: 1).
    pub batch: u64,
    /// Sequences per fine-tuning step (each of the task's full length).
    pub finetune_batch: u64,
    /// Whose kernels run the model.
    #[serde(default)]
    pub runtime: Runtime,
}

impl Default for PredictOptions {
    fn default() -> Self {
        PredictOptions {
            efficiency: Efficiency::default(),
            footprint: FootprintOptions::default(),
            batch: 1,
            finetune_batch: 8,
            runtime: Runtime::Gpu,
        }
    }
}

fn check_hardware(hw: &HardwareSpec) -> Result<(), CostModelError> {
    if hw.devices > 1 && hw.interconnect_gbs.is_none_or(|b| b <= 0.0) {
        return Err(CostModelError::MissingHardwareFigure {
            hardware: hw.name.clone(),
            field: "interconnect_gbs",
            fix: format!(
                "{} devices split every layer and exchange activations: give the link's GB/s (NVLink or PCIe)",
                hw.devices
            ),
        });
    }
    Ok(())
}

/// Latency and memory of `batch` sequences of `prompt` + `output` tokens.
pub(crate) fn serve(
    f: &Footprint,
    hw: &HardwareSpec,
    e: &Efficiency,
    runtime: Runtime,
    (batch, prompt, output): (u64, u64, u64),
) -> (Kernel, PhaseTime, PhaseTime) {
    let k = kernel::kernel_for(hw, &f.configuration().inference, runtime);
    let r = Roofline {
        footprint: f,
        hardware: hw,
        kernel: k.clone(),
        efficiency: e,
    };
    (
        k,
        r.prefill(batch, prompt.max(1)),
        r.decode(batch, prompt.max(1), output),
    )
}

/// Predicts every figure of `c` in `s`.
pub fn predict(
    c: &Configuration,
    s: &Scenario,
    o: &PredictOptions,
    accuracy: &AccuracyModel,
) -> Result<Prediction, CostModelError> {
    o.efficiency.check()?;
    check_hardware(&s.hardware)?;
    let f = Footprint::new(&s.model, c, o.footprint)?;
    let (p, out) = (s.task.prompt_tokens as u64, s.task.output_tokens as u64);
    let (kernel, prefill, decode) =
        serve(&f, &s.hardware, &o.efficiency, o.runtime, (o.batch, p, out));
    let steps = out.saturating_sub(1).max(1) as f64;
    let recipe = FinetuneRecipe {
        batch: o.finetune_batch,
        sequence: p + out,
    };
    Ok(Prediction {
        kernel,
        ttft_ms: prefill.seconds * 1e3,
        decode_ms_per_token: decode.seconds * 1e3 / steps,
        latency_ms: (prefill.seconds + decode.seconds) * 1e3,
        memory: memory::predict(&f, &s.hardware, &o.efficiency, o.batch, p, out),
        energy_j: energy::energy_j(&s.hardware, &[prefill, decode]),
        finetune: finetune::predict(&f, &s.hardware, &o.efficiency, &recipe),
        accuracy: accuracy.predict(c, s),
        prefill,
        decode,
    })
}
