//! One evaluation, stage by stage: the cached base, the architecture
//! conversion and a short fine-tune, the inference stage (KV-cache layout,
//! calibration, quantization), then the measurements. The figures each
//! stage reports are built in `figures`.

use super::figures;
use super::footprint::footprint;
use super::served::Served;
use super::{HarnessEvaluator, HarnessOptions};
use crate::base::BaseRecipe;
use crate::checkpoint::Weights;
use crate::convert;
use crate::error::{HarnessError, Result};
use crate::finetune::finetune;
use crate::metrics::{self, EnergyMeter, LatencyOptions, accuracy};
use crate::model::{AttentionConfig, ModelConfig, Transformer};
use crate::quant::{self, QuantSpec};
use crate::tasks::{Task, TaskFamily, Tokenizer, batch};
use aellm_space::{Attention, Configuration, Figure, Measurement, Moe, Scenario};
use candle_core::DType;
use candle_nn::VarBuilder;
use std::collections::BTreeMap;
use std::time::Instant;

/// The architecture stage applied to the base checkpoint.
pub(crate) fn convert_architecture(
    o: &HarnessOptions,
    base: &ModelConfig,
    w: &Weights,
    c: &Configuration,
) -> Result<(ModelConfig, Weights)> {
    let (cfg, w) = match c.architecture.attention {
        // A GQA checkpoint becomes MHA by repeating its key/value heads (same function).
        Attention::Mha => match base.attention {
            AttentionConfig::Standard { kv_heads } if kv_heads < base.heads => {
                convert::to_mha(base, w)?
            }
            _ => (*base, w.clone()),
        },
        Attention::Mqa => convert::to_gqa(base, w, 1)?,
        Attention::Gqa { kv_groups } => convert::to_gqa(base, w, kv_groups as usize)?,
        Attention::Mla { latent_dim } => {
            // MLA starts from MHA: a GQA checkpoint repeats its key/value heads first.
            let (base, w) = &match base.attention {
                AttentionConfig::Standard { kv_heads } if kv_heads < base.heads => {
                    convert::to_mha(base, w)?
                }
                _ => (*base, w.clone()),
            };
            let d = base.head_dim();
            if d < 4 {
                return Err(HarnessError::Unsupported(format!(
                    "MLA splits each head into a RoPE and a position-free part: heads of width {d} are too narrow (need >= 4)"
                )));
            }
            let rope = (((d as f64 * o.mla_rope_fraction) as usize) / 2 * 2).clamp(2, d - 2);
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
            o.moe_conversion,
            o.base.init_seed + 1,
        ),
    }
}

impl HarnessEvaluator {
    pub(crate) fn run(&self, c: &Configuration, s: &Scenario) -> Result<Measurement> {
        if let Some(checkpoint) = &s.model.checkpoint {
            return self.run_real(c, s, checkpoint);
        }
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
        let (cfg, tuned) = self.train_stage(&recipe, &base_w, c, &task, &mut extra)?;
        let served = self.inference_stage(cfg, tuned, c, &task, &mut extra)?;

        // Accuracy on the test split, through the configuration's cache.
        let n = o.test_examples.min(task.test.len());
        let acc = accuracy::score(
            &served.model,
            &Tokenizer,
            family,
            &task.test[..n],
            served.cache,
        )?;
        let accuracy = figures::accuracy(acc, n, family);
        self.finish(&served, c, s, accuracy, extra, o.latency, start)
    }

    /// Latency, energy and peak memory of the served model, its structure
    /// figures, and the measurement with `accuracy`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finish(
        &self,
        served: &Served,
        c: &Configuration,
        s: &Scenario,
        accuracy: Figure,
        mut extra: BTreeMap<String, Figure>,
        latency: LatencyOptions,
        start: Instant,
    ) -> Result<Measurement> {
        let o = &self.options;
        served.model.reset_routing_counters();
        let meter = EnergyMeter::detect(o.watts_per_core);
        let (p, out) = (s.task.prompt_tokens as usize, s.task.output_tokens as usize);
        let lat = metrics::latency::measure(&served.model, p, out, served.cache, latency, &meter)?;
        let counts = footprint(o, &s.model, c)?;
        let base_counts = footprint(
            o,
            &s.model,
            &Configuration {
                architecture: Default::default(),
                ..*c
            },
        )?;
        figures::structure(&mut extra, served, &lat, &counts, &base_counts, (p, out));
        extra.insert(
            "evaluation_seconds".into(),
            Figure::measured(start.elapsed().as_secs_f64()),
        );
        let m = Measurement {
            accuracy,
            latency_ms: figures::latency(&lat, latency, (p, out), self.device.is_cpu()),
            memory_gb: figures::memory(served, &lat, p, self.device.is_cpu()),
            energy_j: figures::energy(&lat, &meter),
            extra,
            evaluator: aellm_space::Evaluator::name(self),
        };
        m.check()
            .map_err(|e| HarnessError::Numerical(format!("measurement out of range: {e}")))?;
        Ok(m)
    }

    /// The architecture stage, then the short fine-tune that recovers accuracy.
    fn train_stage(
        &self,
        recipe: &BaseRecipe,
        base: &Weights,
        c: &Configuration,
        task: &Task,
        extra: &mut BTreeMap<String, Figure>,
    ) -> Result<(ModelConfig, Weights)> {
        let t = Instant::now();
        let (cfg, w) = convert_architecture(&self.options, &recipe.model, base, c)?;
        super::preflight::inference_stage_can_run(&cfg, c, self.options.group_size)?;
        let (tuned, ft) = finetune(
            &c.fine_tuning,
            cfg,
            &w,
            &task.train,
            &self.options.finetune,
            &self.device,
        )?;
        extra.insert(
            "finetune_seconds".into(),
            Figure::measured(t.elapsed().as_secs_f64()),
        );
        figures::finetune(extra, &ft);
        Ok((cfg, tuned))
    }

    /// The inference stage: KV-cache layout, calibration on training
    /// examples, quantization.
    fn inference_stage(
        &self,
        cfg: ModelConfig,
        tuned: Weights,
        c: &Configuration,
        task: &Task,
        extra: &mut BTreeMap<String, Figure>,
    ) -> Result<Served> {
        let o = &self.options;
        let t = Instant::now();
        let (config, w, cache) = convert::kv_layout(&cfg, &tuned, c.inference.kv_cache)?;
        drop(tuned);
        let vb = VarBuilder::from_tensors(w, DType::F32, &self.device);
        let mut model = Transformer::load(vb, &config)?;
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
        extra.insert(
            "quantize_seconds".into(),
            Figure::measured(t.elapsed().as_secs_f64()),
        );
        Ok(Served {
            model,
            config,
            cache,
        })
    }
}
