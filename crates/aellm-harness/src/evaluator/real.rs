//! One evaluation of a real checkpoint (the scenario's model names one):
//! its weights held in memory once, the architecture conversion and a short
//! fine-tune on real text and the science questions' train split (cached on
//! disk by model, architecture and fine-tuning), the inference stage with
//! quantizers calibrated on real text, then multiple-choice accuracy,
//! perplexity on held-out text, latency, peak memory and energy.

use super::figures;
use super::pipeline::convert_architecture;
use super::preflight;
use super::real_base::RealBase;
use super::served::Served;
use super::tuned_store::{TunedEntry, TunedStore};
use super::{HARNESS_VERSION, HarnessEvaluator};
use crate::checkpoint::Weights;
use crate::convert;
use crate::error::{HarnessError, Result};
use crate::finetune::finetune_with;
use crate::metrics::accuracy;
use crate::model::{CachePrecision, ModelConfig, Transformer};
use crate::pretrained::data::MC_CHANCE;
use crate::pretrained::perplexity::perplexity;
use crate::quant::{self, QuantSpec};
use crate::tasks::TaskFamily;
use aellm_space::{Configuration, Figure, Measurement, Scenario};
use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

impl HarnessEvaluator {
    /// The checkpoint `name`, read once per evaluator.
    fn real_base(&self, checkpoint: &str) -> Result<Arc<RealBase>> {
        let mut held = self.real.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = held.get(checkpoint) {
            return Ok(b.clone());
        }
        let b = Arc::new(RealBase::load(
            checkpoint,
            &self.options.real,
            &self.device,
        )?);
        held.insert(checkpoint.to_string(), b.clone());
        Ok(b)
    }

    /// Measures `c` on the checkpoint `checkpoint` (see the module's notes).
    pub(crate) fn run_real(
        &self,
        c: &Configuration,
        s: &Scenario,
        checkpoint: &str,
    ) -> Result<Measurement> {
        let start = Instant::now();
        let ro = &self.options.real;
        let t = Instant::now();
        let base = self.real_base(checkpoint)?;
        let mut extra: BTreeMap<String, Figure> = BTreeMap::new();
        extra.insert(
            "checkpoint_read_seconds".into(),
            Figure::measured(t.elapsed().as_secs_f64())
                .with_how("0 when the evaluator already held the checkpoint in memory"),
        );
        let (cfg, tuned) = self.real_train_stage(&base, c, &mut extra)?;
        let served = self.real_inference_stage(&base, cfg, tuned, c, &mut extra)?;

        let t = Instant::now();
        // Quality is measured on the dequantized weights of weight-only layers (see
        // `quant::weight_only_reference`); the copy is dropped before latency and memory.
        let reference = quant::weight_only_reference(&served.model)?;
        let scored = reference.as_ref().unwrap_or(&served.model);
        let on = if reference.is_some() {
            "; INT4/FP8/FP16 layers as their dequantized weights in f32"
        } else {
            ""
        };
        let acc = accuracy::score(
            scored,
            &base.tokenizer,
            TaskFamily::Choice,
            &base.mc_eval,
            served.cache,
        )?;
        let n = base.mc_eval.len();
        let se = (acc * (1.0 - acc) / n.max(1) as f64).sqrt();
        let accuracy = Figure::measured(acc).with_std(se).with_how(format!(
            "multiple-choice accuracy by the log-likelihood of each answer on the {n} {:?} \
             questions of the project's science set (chance {MC_CHANCE}), standing in for the \
             scenario's task `{}`; std = binomial standard error{on}",
            ro.mc_split, s.task.name
        ));
        extra.insert(
            "accuracy_seconds".into(),
            Figure::measured(t.elapsed().as_secs_f64()),
        );
        self.real_perplexity(&base, scored, served.cache, on, &mut extra)?;
        drop(reference);
        self.finish(&served, c, s, accuracy, extra, ro.latency, start)
    }

    /// Perplexity on the held-out tokens of `model`, through the configuration's cache.
    fn real_perplexity(
        &self,
        base: &RealBase,
        model: &Transformer,
        cache: CachePrecision,
        on: &str,
        extra: &mut BTreeMap<String, Figure>,
    ) -> Result<()> {
        let t = Instant::now();
        let window = self.options.real.ppl_window;
        let ppl = perplexity(model, &base.ppl_ids, window, cache)?;
        let (lo, hi) = ppl.interval();
        extra.insert(
            "perplexity".into(),
            Figure::measured(ppl.perplexity)
                .with_std((hi - lo) / 2.0)
                .with_how(format!(
                    "exp(mean negative log-likelihood) over {} held-out tokens of Persuasion \
                     (test chapters) in {} windows of {window}; std = half the exp(mean ± 1 s.e.) \
                     interval, s.e. from the windows' spread{on}",
                    ppl.tokens, ppl.windows
                )),
        );
        extra.insert(
            "perplexity_seconds".into(),
            Figure::measured(t.elapsed().as_secs_f64()),
        );
        Ok(())
    }

    /// What the tuned-weights cache keys on: the checkpoint, the
    /// architecture, the fine-tuning and every option the fine-tune reads.
    fn tuned_key(&self, base: &RealBase, c: &Configuration) -> String {
        let o = &self.options;
        format!(
            "{HARNESS_VERSION}|{}|{}|{}|{}|{}|{}|{}",
            base.identity,
            serde_json::to_string(&c.architecture).unwrap_or_default(),
            serde_json::to_string(&c.fine_tuning).unwrap_or_default(),
            serde_json::to_string(&o.real.finetune).unwrap_or_default(),
            o.real.text_tokens,
            serde_json::to_string(&o.moe_conversion).unwrap_or_default(),
            o.mla_rope_fraction,
        )
    }

    /// The conversion and the fine-tune, or their stored result.
    fn real_train_stage(
        &self,
        base: &RealBase,
        c: &Configuration,
        extra: &mut BTreeMap<String, Figure>,
    ) -> Result<(ModelConfig, Weights)> {
        let store = TunedStore::new(self.options.cache_dir.join("tuned"));
        let key = self.tuned_key(base, c);
        let t = Instant::now();
        if self.options.store_measurements
            && let Some((entry, w)) = store.get(&key, &self.device)
        {
            extra.insert(
                "tuned_weights_read_seconds".into(),
                Figure::measured(t.elapsed().as_secs_f64()).with_how(
                    "converted and fine-tuned weights read from the cache (same model, \
                     architecture and fine-tuning); the finetune_* figures are those of the \
                     run that stored them",
                ),
            );
            extra.insert(
                "finetune_seconds".into(),
                Figure::measured(entry.seconds).with_how("when the stored weights were made"),
            );
            figures::finetune(extra, &entry.report);
            return Ok((entry.config, w));
        }
        let (cfg, w) = convert_architecture(&self.options, &base.config, &base.weights, c)?;
        preflight::inference_stage_can_run(&cfg, c, self.options.group_size)?;
        let ro = &self.options.real;
        let sources = [base.text_train.as_slice(), base.mc_train.as_slice()];
        let (tuned, report) = finetune_with(
            &base.tokenizer,
            &c.fine_tuning,
            cfg,
            &w,
            &sources,
            &ro.finetune,
            &self.device,
        )?;
        let seconds = t.elapsed().as_secs_f64();
        extra.insert(
            "finetune_seconds".into(),
            Figure::measured(seconds).with_how(format!(
                "conversion + {} fine-tuning steps of {} sequences, alternating real text \
                 ({} tokens each) and science train questions",
                ro.finetune.recipe.steps, ro.finetune.recipe.batch, ro.text_tokens
            )),
        );
        figures::finetune(extra, &report);
        if self.options.store_measurements {
            let entry = TunedEntry {
                config: cfg,
                report,
                seconds,
            };
            store.put(&key, &entry, &tuned);
        }
        Ok((cfg, tuned))
    }

    /// KV-cache layout, calibration on real text, quantization.
    fn real_inference_stage(
        &self,
        base: &RealBase,
        cfg: ModelConfig,
        tuned: Weights,
        c: &Configuration,
        extra: &mut BTreeMap<String, Figure>,
    ) -> Result<Served> {
        let t = Instant::now();
        let (config, w, cache) = convert::kv_layout(&cfg, &tuned, c.inference.kv_cache)?;
        drop(tuned);
        let vb = VarBuilder::from_tensors(w, DType::F32, &self.device);
        let mut model = Transformer::load(vb, &config)?;
        if base.calibration.is_empty() {
            return Err(HarnessError::Invalid(
                "no real-text calibration sequences (the train text is too short)".into(),
            ));
        }
        let ids: Vec<u32> = base.calibration.concat();
        let len = base.calibration[0].len();
        let batch = Tensor::from_vec(ids, (base.calibration.len(), len), &self.device)?;
        let rec = model.calibrate(&[batch])?;
        let mut spec = QuantSpec::new(c.inference.weights, c.inference.method);
        spec.group_size = self.options.group_size;
        quant::quantize_model(&mut model, &rec, &spec)?;
        extra.insert(
            "quantize_seconds".into(),
            Figure::measured(t.elapsed().as_secs_f64()).with_how(format!(
                "KV-cache layout, calibration on {} real-text sequences of {len} tokens \
                 (train chapters), quantization",
                base.calibration.len()
            )),
        );
        extra.insert(
            "checkpoint_bits_per_weight".into(),
            Figure::measured(base.precision.bits_per_weight).with_how(format!(
                "the file stores {} ({}); the harness works on it dequantized, so the \
                 FP16 configuration is the dequantized file",
                base.precision.name, base.name
            )),
        );
        Ok(Served {
            model,
            config,
            cache,
        })
    }
}
