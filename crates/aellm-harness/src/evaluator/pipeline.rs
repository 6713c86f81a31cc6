//! One evaluation, stage by stage.

use super::HarnessEvaluator;
use crate::checkpoint::Weights;
use crate::convert;
use crate::error::{HarnessError, Result};
use crate::finetune::{FinetuneReport, finetune};
use crate::metrics::{self, EnergyMeter, accuracy};
use crate::model::{AttentionConfig, CachePrecision, FfnConfig, ModelConfig, Transformer};
use crate::quant::{self, QuantSpec};
use crate::tasks::{TaskFamily, Tokenizer, batch};
use aellm_space::{Attention, Configuration, Figure, Measurement, Moe, Scenario};
use candle_core::DType;
use candle_nn::VarBuilder;
use std::collections::BTreeMap;
use std::time::Instant;

/// The architecture stage applied to the base checkpoint.
pub(crate) fn convert_architecture(
    e: &HarnessEvaluator,
    base: &ModelConfig,
    w: &Weights,
    c: &Configuration,
) -> Result<(ModelConfig, Weights)> {
    let (cfg, w) = match c.architecture.attention {
        Attention::Mha => (*base, w.clone()),
        Attention::Mqa => convert::to_gqa(base, w, 1)?,
        Attention::Gqa { kv_groups } => convert::to_gqa(base, w, kv_groups as usize)?,
        Attention::Mla { latent_dim } => {
            let d = base.head_dim();
            if d < 4 {
                return Err(HarnessError::Unsupported(format!(
                    "MLA splits each head into a RoPE and a position-free part: heads of width {d} are too narrow (need >= 4)"
                )));
            }
            let rope =
                (((d as f64 * e.options.mla_rope_fraction) as usize) / 2 * 2).clamp(2, d - 2);
            convert::to_mla(base, w, latent_dim as usize, rope)?
        }
    };
    match c.architecture.moe {
        Moe::Dense => Ok((cfg, w)),
        Moe::Sparse { experts, top_k } => convert::to_moe(
            &cfg,
            &w,
            experts as usize,
            top_k as usize,
            e.options.moe_conversion,
            e.options.base.init_seed + 1,
        ),
    }
}

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
fn finetune_figures(extra: &mut BTreeMap<String, Figure>, ft: &FinetuneReport) {
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
        Figure::measured(c.optimizer_state_bytes as f64).with_how(
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

impl HarnessEvaluator {
    pub(crate) fn run(&self, c: &Configuration, s: &Scenario) -> Result<Measurement> {
        let start = Instant::now();
        let o = &self.options;
        let mut extra: BTreeMap<String, Figure> = BTreeMap::new();
        let recipe = self.recipe_for(&s.model)?;
        let family = TaskFamily::for_kind(s.task.kind);
        let task = recipe.task(family);
        let (base_w, trained) = self.base(&recipe)?;
        if let Some(t) = trained {
            extra.insert("base_pretrain_seconds".into(), Figure::measured(t));
        }

        // Architecture stage, then the short fine-tune that recovers accuracy.
        let t = Instant::now();
        let (cfg, w) = convert_architecture(self, &recipe.model, &base_w, c)?;
        let (tuned, ft) = finetune(
            &c.fine_tuning,
            cfg,
            &w,
            &task.train,
            &o.finetune,
            &self.device,
        )?;
        drop(w);
        extra.insert(
            "finetune_seconds".into(),
            Figure::measured(t.elapsed().as_secs_f64()),
        );
        finetune_figures(&mut extra, &ft);

        // Inference stage: KV-cache layout, calibration, quantization.
        let t = Instant::now();
        let (cfg, w, cache) = convert::kv_layout(&cfg, &tuned, c.inference.kv_cache)?;
        drop(tuned);
        let mut model =
            Transformer::load(VarBuilder::from_tensors(w, DType::F32, &self.device), &cfg)?;
        let calib: Vec<_> = task
            .train
            .iter()
            .take(o.calibration_examples.max(1))
            .collect();
        let batches = calib
            .chunks(16)
            .map(|chunk| Ok(batch(chunk, &self.device)?.input))
            .collect::<Result<Vec<_>>>()?;
        let rec = model.calibrate(&batches)?;
        let mut spec = QuantSpec::new(c.inference.weights, c.inference.method);
        spec.group_size = o.group_size;
        quant::quantize_model(&mut model, &rec, &spec)?;
        drop(rec);
        extra.insert(
            "quantize_seconds".into(),
            Figure::measured(t.elapsed().as_secs_f64()),
        );

        // Accuracy on the test split, through the configuration's cache.
        let n = o.test_examples.min(task.test.len());
        let acc = accuracy::score(&model, &Tokenizer, family, &task.test[..n], cache)?;

        // Latency, energy, peak memory.
        model.reset_routing_counters();
        let meter = EnergyMeter::detect(o.watts_per_core);
        let (p, out) = (s.task.prompt_tokens as usize, s.task.output_tokens as usize);
        let lat = metrics::latency::measure(&model, p, out, cache, o.latency, &meter)?;
        let weight_bytes = model.weight_bytes();
        // The counting allocator sees host memory only: on a GPU the figure is an estimate.
        let host_peak = lat.peak_run_bytes.filter(|_| self.device.is_cpu());
        let memory = match host_peak {
            Some(run) => Figure::measured((weight_bytes + run) as f64 / 1e9).with_how(
                "weights: bytes of the tensors the model holds; KV cache and activations: \
                 counting-allocator high-water mark during prefill + decode",
            ),
            None => Figure::estimated(
                (weight_bytes + lat.kv_cache_bytes + activation_estimate(&cfg, p)) as f64 / 1e9,
                "weights + KV cache bytes + an activation estimate from the layer shapes \
                 (install aellm_harness::CountingAllocator on a CPU to measure; candle exposes no CUDA pool high-water mark)",
            ),
        };
        let energy = Figure {
            value: lat.energy_j,
            provenance: meter.provenance(),
            std: None,
            how: Some(meter.how()),
        };

        extra.insert(
            "kv_cache_bytes".into(),
            Figure::measured(lat.kv_cache_bytes as f64)
                .with_how(format!("bytes the KV cache holds after {p} + {out} tokens")),
        );
        extra.insert(
            "weight_bytes".into(),
            Figure::measured(weight_bytes as f64)
                .with_how("bytes of every weight tensor, every expert included"),
        );
        let h = cfg.hidden as f64;
        let (macs, how) = match cfg.ffn_kind {
            FfnConfig::Dense => (
                cfg.ffn_macs_per_token() as f64,
                "every token runs the dense FFN".to_string(),
            ),
            FfnConfig::Moe {
                experts,
                expert_ffn,
                ..
            } => {
                let ept = model.measured_experts_per_token().unwrap_or(0.0);
                extra.insert("experts_per_token".into(), Figure::measured(ept));
                (
                    ept * 3.0 * h * expert_ffn as f64 + h * experts as f64,
                    format!(
                        "{ept:.2} routed experts per token (counted) x 3 x {h} x {expert_ffn} + router"
                    ),
                )
            }
        };
        extra.insert(
            "ffn_macs_per_token".into(),
            Figure::measured(macs * cfg.layers as f64)
                .with_how(format!("{how}, per layer, times {} layers", cfg.layers)),
        );
        extra.insert(
            "dense_ffn_macs_per_token".into(),
            Figure::estimated(
                (3 * cfg.hidden * recipe.model.ffn * cfg.layers) as f64,
                "the base model's dense FFN, from its shape",
            ),
        );
        extra.insert(
            "parameters".into(),
            Figure::measured(cfg.parameters() as f64),
        );
        extra.insert(
            "kv_heads".into(),
            Figure::measured(match cfg.attention {
                AttentionConfig::Standard { kv_heads } => kv_heads as f64,
                AttentionConfig::Latent { .. } => 0.0,
            }),
        );
        extra.insert(
            "evaluation_seconds".into(),
            Figure::measured(start.elapsed().as_secs_f64()),
        );
        if cache == CachePrecision::Int8 {
            extra.insert("kv_cache_int8".into(), Figure::measured(1.0));
        }

        let m = Measurement {
            accuracy: Figure::measured(acc).with_how(format!(
                "{:?} on {n} test examples of the synthetic {} task",
                family.metric(),
                family.name()
            )),
            latency_ms: Figure::measured(lat.median_ms).with_std(lat.std_ms).with_how(format!(
                "median of {} runs after {} warm-ups: prefill {p} + decode {out} tokens, batch 1",
                o.latency.repeats, o.latency.warmups
            )),
            memory_gb: memory,
            energy_j: energy,
            extra,
            evaluator: aellm_space::Evaluator::name(self),
        };
        m.check()
            .map_err(|e| HarnessError::Numerical(format!("measurement out of range: {e}")))?;
        Ok(m)
    }
}
