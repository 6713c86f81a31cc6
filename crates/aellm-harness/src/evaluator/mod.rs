//! [`HarnessEvaluator`]: the [`Evaluator`] that measures configurations for real.

mod figures;
mod footprint;
mod machine;
mod options;
mod pipeline;
mod preflight;
mod real;
mod real_base;
mod real_options;
mod served;
mod store;
mod tuned_store;

pub use footprint::{footprint, footprint_options};
pub use machine::{
    TINY_MODEL, cores, default_task, model_spec, space_for, this_machine, tiny_model,
};
pub use options::{HarnessOptions, default_cache_dir};
pub use real_options::RealOptions;
pub use store::MeasurementStore;

use crate::base::{self, BaseRecipe};
use crate::checkpoint::Weights;
use crate::error::HarnessError;
use crate::model::{AttentionConfig, FfnConfig, ModelConfig};
use crate::tasks::Tokenizer;
use aellm_space::{Configuration, EvalError, Evaluator, Measurement, ModelSpec, Scenario, Space};
use candle_core::Device;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Changes whenever the harness measures (or labels) differently; part of
/// every stored key. m3: formula figures (parameters, optimizer state, KV
/// heads) are labelled estimated. m4: tuned weights are detached from the
/// training graph, so a served model no longer holds one (peak memory of
/// full fine-tunes fell), and real checkpoints are measured. m5: MHA on a
/// GQA checkpoint repeats its key/value heads (it kept them before); INT4
/// and FP8 quality of real checkpoints on their dequantized weights. m6:
/// a GQA-style cache keeps a divisor of the key/value heads (9 heads: 3, was
/// refused), so stored refusals are not served. m7: latency runs compute
/// the logits of the last position only (a prefill's LM head ran on every
/// position), FP16 quality of real checkpoints on their f16 weights in f32,
/// MLA's factorisation by faer's eigensolver.
pub const HARNESS_VERSION: &str = concat!("aellm-harness ", env!("CARGO_PKG_VERSION"), " m7");

/// Measures a configuration on a real candle model: converts the cached
/// pretrained base to the configuration's architecture, fine-tunes it
/// briefly, applies the KV-cache layout and quantization, then measures
/// accuracy on the task's test split, latency, peak memory and energy.
///
/// Evaluations run one at a time (the counting allocator and energy meter
/// are process-wide); outcomes are stored on disk, failures included.
///
/// ```no_run
/// use aellm_harness::{HarnessEvaluator, HarnessOptions};
/// use aellm_space::{Configuration, Evaluator};
///
/// let e = HarnessEvaluator::new(HarnessOptions::default());
/// let s = HarnessEvaluator::default_scenario();
/// let m = e.evaluate(&Configuration::default(), &s).unwrap();
/// println!("accuracy {} latency {}", m.accuracy, m.latency_ms);
/// ```
#[derive(Debug)]
pub struct HarnessEvaluator {
    options: HarnessOptions,
    device: Device,
    bases: Mutex<HashMap<String, Arc<Weights>>>,
    real: Mutex<HashMap<String, Arc<real_base::RealBase>>>,
    running: Mutex<()>,
}

impl HarnessEvaluator {
    /// An evaluator on the CPU (or GPU 0 with the `cuda` feature).
    pub fn new(options: HarnessOptions) -> Self {
        HarnessEvaluator {
            options,
            device: crate::device::best(),
            bases: Mutex::new(HashMap::new()),
            real: Mutex::new(HashMap::new()),
            running: Mutex::new(()),
        }
    }

    /// Its options.
    pub fn options(&self) -> &HarnessOptions {
        &self.options
    }

    /// The default scenario: `aellm-tiny`, the arithmetic task, this machine
    /// (its power, throughput and bandwidth are estimates; see [`this_machine`]).
    pub fn default_scenario() -> Scenario {
        Scenario::new(
            tiny_model(),
            default_task(),
            this_machine(HarnessOptions::default().watts_per_core),
        )
    }

    /// The default scenario for this evaluator's own base model.
    pub fn scenario(&self) -> Scenario {
        Scenario::new(
            model_spec(TINY_MODEL, &self.options.base.model, 1024),
            default_task(),
            this_machine(self.options.watts_per_core),
        )
    }

    /// The paper's space adapted to the default small model.
    pub fn space() -> Space {
        space_for(&tiny_model())
    }

    /// Whether this evaluator can measure `m`: a real checkpoint when its
    /// dense f32 weights fit in the memory available now (the error names
    /// the model, its size and the memory), otherwise a model it can build
    /// and pre-train itself ([`HarnessEvaluator::recipe_for`]).
    pub fn can_measure(&self, m: &ModelSpec) -> Result<(), HarnessError> {
        match &m.checkpoint {
            Some(_) => crate::pretrained::memory::ensure_fits_here(&m.name, m.parameters)
                .map_err(|e| HarnessError::Unsupported(e.to_string())),
            None => self.recipe_for(m).map(|_| ()),
        }
    }

    /// The base recipe for a scenario's model: the evaluator's own when the
    /// shape matches, otherwise the same training recipe at that shape.
    pub fn recipe_for(&self, m: &ModelSpec) -> Result<BaseRecipe, HarnessError> {
        if m.parameters > self.options.max_parameters {
            return Err(HarnessError::Unsupported(format!(
                "model `{}` has {} parameters; the CPU harness builds models of at most {} \
                 (HarnessOptions::max_parameters): use a smaller ModelSpec or another evaluator",
                m.name, m.parameters, self.options.max_parameters
            )));
        }
        let own = self.options.base;
        let shape = (
            own.model.layers,
            own.model.hidden,
            own.model.heads,
            own.model.ffn,
        );
        if shape
            == (
                m.layers as usize,
                m.hidden as usize,
                m.heads as usize,
                m.ffn as usize,
            )
        {
            return Ok(own);
        }
        let model = ModelConfig {
            vocab: Tokenizer.vocab(),
            hidden: m.hidden as usize,
            layers: m.layers as usize,
            heads: m.heads as usize,
            ffn: m.ffn as usize,
            attention: AttentionConfig::Standard {
                kv_heads: m.heads as usize,
            },
            ffn_kind: FfnConfig::Dense,
            ..own.model
        };
        model
            .check()
            .map_err(|e| HarnessError::Unsupported(format!("model `{}`: {e}", m.name)))?;
        Ok(BaseRecipe { model, ..own })
    }

    /// The pretrained base for `recipe`, from memory, disk, or trained now.
    pub fn base(&self, recipe: &BaseRecipe) -> Result<(Arc<Weights>, Option<f64>), HarnessError> {
        let key = recipe.key();
        if let Some(w) = self.bases.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok((w, None));
        }
        let b = base::pretrained(recipe, &self.options.cache_dir, &self.device)?;
        let w = Arc::new(b.weights);
        if let Ok(mut m) = self.bases.lock() {
            m.insert(key, w.clone());
        }
        Ok((w, b.trained_seconds))
    }

    fn store_key(&self, c: &Configuration, s: &Scenario) -> String {
        format!(
            "{HARNESS_VERSION}|{}|{}|{}",
            c.key(),
            serde_json::to_string(s).unwrap_or_default(),
            serde_json::to_string(&self.options_fingerprint()).unwrap_or_default()
        )
    }

    fn options_fingerprint(&self) -> HarnessOptions {
        HarnessOptions {
            cache_dir: Default::default(),
            store_measurements: true,
            ..self.options.clone()
        }
    }

    fn store(&self) -> Option<MeasurementStore> {
        self.options
            .store_measurements
            .then(|| MeasurementStore::new(self.options.cache_dir.join("measurements")))
    }
}

impl Evaluator for HarnessEvaluator {
    /// The harness, its measurement version and a fingerprint of its
    /// options, so a study never mixes figures from harnesses that measure
    /// differently.
    fn name(&self) -> String {
        let options = serde_json::to_string(&self.options_fingerprint()).unwrap_or_default();
        let hash = blake3::hash(options.as_bytes()).to_hex();
        format!("{HARNESS_VERSION} (options {})", &hash[..8])
    }

    fn evaluate(&self, c: &Configuration, s: &Scenario) -> Result<Measurement, EvalError> {
        EvalError::check_valid(c, &s.model)?;
        let key = self.store_key(c, s);
        let store = self.store();
        if let Some(hit) = store.as_ref().and_then(|st| st.get(&key)) {
            return hit;
        }
        let _one_at_a_time = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = self.run(c, s).map_err(|e| match e {
            HarnessError::Unsupported(reason) => EvalError::Unsupported {
                evaluator: self.name(),
                reason,
            },
            // Candle reports exhausted host or device memory only in its
            // message; the rest are other failures.
            e => EvalError::from_message(format!("{c}: {e}")),
        });
        if let Err(e) = &outcome {
            tracing::warn!("{c}: {e}");
        }
        // Unsupported and invalid outcomes are cheap to recompute and may
        // change with the code; measurements and failures are kept.
        if let Some(st) = store
            && !matches!(outcome, Err(EvalError::Unsupported { .. }))
        {
            st.put(&key, &outcome);
        }
        outcome
    }
}
