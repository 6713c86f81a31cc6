//! A published or user-taken measurement the cost model can be checked and
//! calibrated against, and the model's prediction of the same quantity.

use crate::efficiency::Efficiency;
use crate::error::CostModelError;
use crate::kernel::Runtime;
use crate::predict;
use aellm_space::footprint::{Footprint, FootprintOptions};
use aellm_space::{Configuration, Inference, KvCache, QuantMethod, WeightPrecision, presets};
use serde::{Deserialize, Serialize};

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Generated tokens per second at the given batch, after `prompt` tokens.
    DecodeTokensPerS,
    /// Prompt tokens per second of a prefill of `prompt` tokens.
    PrefillTokensPerS,
    /// Time to first token of a `prompt`-token prefill, ms.
    TtftMs,
    /// Bytes of the weights in GiB (2^30 bytes), as llama.cpp prints them.
    WeightGib,
    /// Bytes of the weights in GB (10^9 bytes).
    WeightGb,
}

impl Metric {
    /// Whether the figure depends on the efficiency factors (memory does not).
    pub fn is_timing(self) -> bool {
        !matches!(self, Metric::WeightGib | Metric::WeightGb)
    }
}

/// How the weights were stored: decides group size, zero points and which
/// tensors are quantized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// llama.cpp's GGUF Q8_0 / Q4_0 / F16.
    Gguf,
    /// GPTQ/AWQ checkpoints (group 128, FP16 scale and 4-bit zero, FP16 head and embedding).
    Gptq,
}

impl Format {
    /// The footprint conventions of the format.
    pub fn footprint(self) -> FootprintOptions {
        match self {
            Format::Gguf => FootprintOptions::gguf(),
            Format::Gptq => FootprintOptions::default(),
        }
    }
}

/// One measurement: a row of a calibration or validation CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Model preset name.
    pub model: String,
    /// Hardware preset name.
    pub hardware: String,
    /// Weight precision.
    pub weights: WeightPrecision,
    /// Quantization method (empty for FP16/FP8).
    #[serde(default)]
    pub method: Option<QuantMethod>,
    /// Storage format.
    pub format: Format,
    /// Sequences at once.
    pub batch: u64,
    /// Prompt tokens (0 for a decode-only benchmark such as llama-bench's tg).
    pub prompt: u64,
    /// Generated tokens.
    pub output: u64,
    /// What was measured.
    pub metric: Metric,
    /// The figure.
    pub value: f64,
    /// Where it was published (a key of `docs/sources/validation.md`) or who took it.
    #[serde(default)]
    pub source: String,
}

impl Observation {
    fn configuration(&self) -> Configuration {
        Configuration {
            inference: Inference {
                weights: self.weights,
                method: self.method,
                kv_cache: KvCache::Full,
            },
            ..Default::default()
        }
    }

    /// The cost model's figure for this observation, in its unit, with factors `e`.
    pub fn predict(&self, e: &Efficiency) -> Result<f64, CostModelError> {
        let model = presets::model(&self.model)?;
        let hw = presets::hardware(&self.hardware)?;
        let f = Footprint::new(&model, &self.configuration(), self.format.footprint())?;
        let (b, p, o) = (self.batch.max(1), self.prompt, self.output);
        Ok(match self.metric {
            Metric::WeightGib => f.weight_bytes() / (1u64 << 30) as f64,
            Metric::WeightGb => f.weight_bytes() / 1e9,
            Metric::DecodeTokensPerS => {
                // `o` decode steps after the prompt (one more than `decode` counts).
                let (_, _, d) = predict::serve(&f, &hw, e, Runtime::Gpu, (b, p.max(1), o + 1));
                (b * o) as f64 / d.seconds
            }
            Metric::PrefillTokensPerS => {
                let (_, pre, _) = predict::serve(&f, &hw, e, Runtime::Gpu, (b, p, 1));
                (b * p) as f64 / pre.seconds
            }
            Metric::TtftMs => {
                predict::serve(&f, &hw, e, Runtime::Gpu, (b, p, 1))
                    .1
                    .seconds
                    * 1e3
            }
        })
    }

    /// Relative error of the prediction: predicted / measured - 1.
    pub fn error(&self, e: &Efficiency) -> Result<f64, CostModelError> {
        Ok(self.predict(e)? / self.value - 1.0)
    }
}

/// Reads observations from CSV with a header naming the fields of [`Observation`].
pub fn read_csv(text: &str, origin: &str) -> Result<Vec<Observation>, CostModelError> {
    let mut r = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    r.deserialize()
        .enumerate()
        .map(|(i, row)| {
            row.map_err(|e| e.to_string())
                .and_then(|o: Observation| o.check_sizes().map(|_| o))
                .map_err(|e| CostModelError::Read {
                    path: origin.into(),
                    message: format!("row {}: {e}", i + 1),
                })
        })
        .collect()
}

/// The most tokens a prompt or an output may have in a row: more than any
/// model's context. Predicting any size is quick (decode is summed in
/// closed form); a larger figure is a typo, such as three extra zeros.
pub const MAX_TOKENS: u64 = 1 << 20;
/// The most sequences at once a row may have.
pub const MAX_BATCH: u64 = 1 << 16;

impl Observation {
    /// Refuses sizes no benchmark has and figures no measurement gives (a
    /// zero or negative value would make every relative error infinite).
    fn check_sizes(&self) -> Result<(), String> {
        for (field, v, max) in [
            ("batch", self.batch, MAX_BATCH),
            ("prompt", self.prompt, MAX_TOKENS),
            ("output", self.output, MAX_TOKENS),
        ] {
            if v > max {
                return Err(format!("`{field}` is {v}; at most {max}"));
            }
        }
        if !(self.value.is_finite() && self.value > 0.0) {
            return Err(format!(
                "`value` is {}; a measurement is a positive number",
                self.value
            ));
        }
        Ok(())
    }
}
