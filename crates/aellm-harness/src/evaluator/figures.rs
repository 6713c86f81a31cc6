//! The figures one evaluation reports, built from what each stage returned,
//! each with how it was obtained and its provenance.

use super::served::Served;
use crate::finetune::FinetuneReport;
use crate::metrics::{EnergyMeter, LatencyOptions, LatencyReport};
use crate::model::{AttentionConfig, CachePrecision, FfnConfig, ModelConfig};
use crate::tasks::TaskFamily;
use aellm_space::Figure;
use aellm_space::footprint::{Footprint, OperatorKind};
use std::collections::BTreeMap;

/// Bytes of activations a prefill of `p` tokens holds at its widest: the
/// residual stream and norms, one layer's attention scores and
/// probabilities, the FFN's hidden, and the logits (f32).
fn activation_estimate(cfg: &ModelConfig, p: usize) -> usize {
    let ffn = match cfg.ffn_kind {
        FfnConfig::Dense => cfg.ffn,
        FfnConfig::Moe {
            top_k, expert_ffn, ..
        } => top_k * expert_ffn,
    };
    4 * (p * (4 * cfg.hidden + 3 * ffn + cfg.vocab) + 2 * cfg.heads * p * p)
}

/// The fine-tuning stage's figures: losses and what it cost.
pub(crate) fn finetune(extra: &mut BTreeMap<String, Figure>, ft: &FinetuneReport) {
    let c = &ft.cost;
    let mut put = |k: &str, f: Figure| {
        extra.insert(k.into(), f);
    };
    put("finetune_loss_first", Figure::measured(ft.train.first_loss));
    put("finetune_loss_last", Figure::measured(ft.train.last_loss));
    let trainable = Figure::measured(c.trainable_parameters as f64).with_how(format!(
        "elements of the variables AdamW updates ({}; {} adapted layers)",
        ft.method,
        ft.adapted.len()
    ));
    put("finetune_trainable_parameters", trainable);
    put(
        "finetune_optimizer_state_bytes",
        // A formula over the counted elements, not a read of the optimizer's memory.
        Figure::estimated(
            c.optimizer_state_bytes as f64,
            "computed from the trainable elements: candle's AdamW holds two f32 moments each",
        ),
    );
    put(
        "finetune_weight_bytes",
        Figure::measured(c.weight_bytes as f64).with_how(
            "bytes of the weights the model holds while training (frozen base in its \
             storage format, NF4 for QLoRA, plus adapters)",
        ),
    );
    put(
        "finetune_peak_bytes",
        if c.peak_measured {
            Figure::measured(c.peak_bytes as f64).with_how(
                "weights as held while training (tensor bytes) + counting-allocator \
                 high-water mark over the training loop (gradients, AdamW moments, activations)",
            )
        } else {
            Figure::estimated(
                c.peak_bytes as f64,
                "weights as held + a gradient and two AdamW moments per trainable element \
                 (f32), activations not included (install aellm_harness::CountingAllocator \
                 on a CPU to measure)",
            )
        },
    );
    put(
        "finetune_seconds_per_step",
        Figure::measured(c.seconds_per_step).with_how(format!(
            "training-loop wall-clock over {} steps",
            ft.train.steps
        )),
    );
}

/// The accuracy figure: the task's metric on `n` test examples.
pub(crate) fn accuracy(acc: f64, n: usize, family: TaskFamily) -> Figure {
    Figure::measured(acc).with_how(format!(
        "{:?} on {n} test examples of the synthetic {} task",
        family.metric(),
        family.name()
    ))
}

/// The latency figure: the median of the timed runs. On a CPU it names the
/// threads candle used, since workers sharing a host run with fewer.
pub(crate) fn latency(
    lat: &LatencyReport,
    o: LatencyOptions,
    (p, out): (usize, usize),
    cpu: bool,
) -> Figure {
    let threads = if cpu {
        format!(", {} CPU threads", candle_core::utils::get_num_threads())
    } else {
        String::new()
    };
    Figure::measured(lat.median_ms)
        .with_std(lat.std_ms)
        .with_how(format!(
            "median of {} runs after {} warm-ups: prefill {p} + decode {out} tokens, batch 1{threads}",
            o.repeats, o.warmups
        ))
}

/// Peak memory: measured with the counting allocator on a CPU, estimated otherwise.
pub(crate) fn memory(served: &Served, lat: &LatencyReport, p: usize, cpu: bool) -> Figure {
    let weight_bytes = served.model.weight_bytes();
    // The counting allocator sees host memory only: on a GPU the figure is an estimate.
    match lat.peak_run_bytes.filter(|_| cpu) {
        Some(run) => Figure::measured((weight_bytes + run) as f64 / 1e9).with_how(
            "weights: bytes of the tensors the model holds; KV cache and activations: \
             counting-allocator high-water mark during prefill + decode",
        ),
        None => Figure::estimated(
            (weight_bytes + lat.kv_cache_bytes + activation_estimate(&served.config, p)) as f64
                / 1e9,
            "weights + KV cache bytes + an activation estimate from the layer shapes \
             (install aellm_harness::CountingAllocator on a CPU to measure; candle exposes no CUDA pool high-water mark)",
        ),
    }
}

/// Energy per inference, as the meter read it.
pub(crate) fn energy(lat: &LatencyReport, meter: &EnergyMeter) -> Figure {
    Figure {
        value: lat.energy_j,
        provenance: meter.provenance(),
        std: None,
        how: Some(meter.how()),
    }
}

/// What the served model holds and runs: KV-cache and weight bytes,
/// FFN multiply-adds per token (routing counted for MoE), parameters and
/// key/value heads. `counts` is the configuration's footprint, `base` the
/// base model's (same configuration, original architecture).
pub(crate) fn structure(
    extra: &mut BTreeMap<String, Figure>,
    served: &Served,
    lat: &LatencyReport,
    counts: &Footprint,
    base: &Footprint,
    (p, out): (usize, usize),
) {
    let cfg = &served.config;
    let mut put = |k: &str, f: Figure| {
        extra.insert(k.into(), f);
    };
    put(
        "kv_cache_bytes",
        Figure::measured(lat.kv_cache_bytes as f64)
            .with_how(format!("bytes the KV cache holds after {p} + {out} tokens")),
    );
    put(
        "weight_bytes",
        Figure::measured(served.model.weight_bytes() as f64)
            .with_how("bytes of every weight tensor, every expert included"),
    );
    let (macs, how) = ffn_macs(served, counts);
    if let Some(ept) = served.model.measured_experts_per_token() {
        put("experts_per_token", Figure::measured(ept));
    }
    put("ffn_macs_per_token", macs.with_how(how));
    put(
        "dense_ffn_macs_per_token",
        Figure::estimated(
            base.macs().ffn,
            "the base model's dense FFN, from its shape (aellm_space::footprint)",
        ),
    );
    // Properties of the configuration's shape, not reads of a counter.
    put(
        "parameters",
        Figure::estimated(cfg.parameters() as f64, "from the model's shape"),
    );
    put(
        "kv_heads",
        Figure::estimated(
            match cfg.attention {
                AttentionConfig::Standard { kv_heads } => kv_heads as f64,
                AttentionConfig::Latent { .. } => 0.0,
            },
            "the served attention's key/value heads (0: a latent cache)",
        ),
    );
    if served.cache == CachePrecision::Int8 {
        put(
            "kv_cache_int8",
            Figure::estimated(1.0, "the configuration's KV-cache precision"),
        );
    }
}

/// FFN multiply-adds per token over every layer: the footprint's count for
/// a dense FFN; for MoE the experts each token was routed to (counted while
/// the latency runs decoded) times one expert's count, plus the router.
fn ffn_macs(served: &Served, counts: &Footprint) -> (Figure, String) {
    let layers = served.config.layers;
    match served.config.ffn_kind {
        FfnConfig::Dense => (
            Figure::estimated(counts.macs().ffn, "aellm_space::footprint"),
            format!("every token runs the dense FFN, over {layers} layers"),
        ),
        FfnConfig::Moe { .. } => {
            let ept = served.model.measured_experts_per_token().unwrap_or(0.0);
            let per = |kind| -> f64 {
                counts
                    .operators()
                    .iter()
                    .filter(|o| o.kind == kind)
                    .map(|o| (o.elements() * o.layers) as f64)
                    .sum()
            };
            let macs = ept * per(OperatorKind::Expert) + per(OperatorKind::Router);
            // Counted routing times a formula count: as weak as the formula.
            (
                Figure::estimated(macs, "counted routing x aellm_space::footprint"),
                format!(
                    "{ept:.2} routed experts per token (counted) x one expert's multiply-adds \
                     + the router (aellm_space::footprint), over {layers} layers"
                ),
            )
        }
    }
}
