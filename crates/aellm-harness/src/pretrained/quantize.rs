//! Quantizing a loaded real checkpoint with calibration on real text.
//!
//! The calibration data are token sequences cut from the train split of the
//! prose ([`super::data::real_text`]), spread evenly over it; they run once
//! through the full-precision model, which records every calibration
//! group's inputs ([`Transformer::calibrate`]). The same record then serves
//! every method: [`quantize_model`] (FP16, FP8, INT8/INT4 by RTN, GPTQ, AWQ
//! or SmoothQuant) or [`quantize_model_nf4`] (4-bit NormalFloat). Each layer
//! is calibrated on the inputs the full-precision model gives it, not on a
//! partly quantized model's.
//!
//! ```no_run
//! use aellm_harness::pretrained::{data, load, quantize::{Calibration, Scheme}};
//! use aellm_harness::quant::{QuantMethod, QuantSpec, WeightPrecision};
//! let dev = candle_core::Device::Cpu;
//! let p = load("smollm2-135m", &dev)?;
//! let base = p.transformer(&dev)?;
//! let train = p.tokenizer.encode(&data::real_text(data::Split::Train)?)?;
//! let rec = Calibration::default().record(&base, &train)?;
//! let mut q = base.clone();
//! let spec = QuantSpec::new(WeightPrecision::Int4, Some(QuantMethod::Gptq));
//! Scheme::Quant(spec).apply(&mut q, &rec)?;
//! assert!(q.weight_bytes() < base.weight_bytes() / 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{HarnessError, Result};
use crate::model::{Recorder, Transformer};
use crate::quant::{QuantMethod, QuantSpec, WeightPrecision, quantize_model, quantize_model_nf4};
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// How much real text calibrates the quantizers: `sequences` windows of
/// `seq_len` tokens each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calibration {
    /// Windows of text.
    pub sequences: usize,
    /// Tokens per window.
    pub seq_len: usize,
}

impl Default for Calibration {
    /// 8 windows of 256 tokens (2,048 tokens), as many as GPTQ's and AWQ's
    /// papers use in order of magnitude; not tuned (`examples/real_quant_choices.rs`
    /// compares it with 512 tokens on the validation split).
    fn default() -> Self {
        Calibration {
            sequences: 8,
            seq_len: 256,
        }
    }
}

impl Calibration {
    /// Tokens in all.
    pub fn tokens(&self) -> usize {
        self.sequences * self.seq_len
    }

    /// The windows `[1, seq_len]` on `model`'s device, spread evenly over
    /// `ids` (the first starts at 0, the last ends at the end).
    pub fn batches<M: crate::CausalLm>(&self, model: &M, ids: &[u32]) -> Result<Vec<Tensor>> {
        if self.sequences == 0 || self.seq_len < 2 || ids.len() < self.tokens() {
            return Err(HarnessError::Invalid(format!(
                "calibration of {} windows of {} tokens from a text of {} tokens: give at \
                 least one window of 2 or more tokens, and no more tokens than the text holds",
                self.sequences,
                self.seq_len,
                ids.len()
            )));
        }
        let span = ids.len() - self.seq_len;
        let last = (self.sequences - 1).max(1);
        (0..self.sequences)
            .map(|i| {
                let start = span * i / last;
                let w = &ids[start..start + self.seq_len];
                Ok(Tensor::new(w, model.device())?.unsqueeze(0)?)
            })
            .collect()
    }

    /// Every calibration group's inputs on these windows of `ids`, recorded
    /// on the full-precision `model`.
    pub fn record(&self, model: &Transformer, ids: &[u32]) -> Result<Recorder> {
        let batches = self.batches(model, ids)?;
        Ok(model.calibrate(&batches)?)
    }
}

/// A precision a real model's linears are put in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Scheme {
    /// FP16, FP8, or INT8/INT4 with a method, by [`quantize_model`].
    Quant(QuantSpec),
    /// QLoRA's 4-bit NormalFloat with double-quantized constants, by
    /// [`quantize_model_nf4`] (no calibration).
    Nf4,
}

/// Input channels per integer scale for the real model: candle's Q8_0/Q4_0
/// blocks hold one scale per 32 weights, so a larger group saves no byte.
pub const GROUP_SIZE: usize = 32;
/// GPTQ's dampening (1% of the mean Hessian diagonal): the GPTQ paper's
/// default, not tuned here.
pub const GPTQ_DAMP: f64 = 0.01;
/// SmoothQuant's migration strength: the SmoothQuant paper's default, not
/// tuned here.
pub const SMOOTHQUANT_ALPHA: f64 = 0.5;

impl Scheme {
    /// `precision` by `method` with the settings of the real model
    /// ([`GROUP_SIZE`], [`GPTQ_DAMP`], [`SMOOTHQUANT_ALPHA`]; AWQ's 20 grid points).
    pub fn with_defaults(precision: WeightPrecision, method: Option<QuantMethod>) -> Scheme {
        Scheme::Quant(QuantSpec {
            group_size: GROUP_SIZE,
            gptq_damp: GPTQ_DAMP,
            smoothquant_alpha: SMOOTHQUANT_ALPHA,
            ..QuantSpec::new(precision, method)
        })
    }

    /// The schemes the real-model figures compare: INT8 RTN, INT8
    /// SmoothQuant (W8A8), INT4 RTN, INT4 GPTQ, INT4 AWQ, FP8 and NF4.
    pub fn compared() -> Vec<Scheme> {
        use QuantMethod::{Awq, Gptq, Rtn, SmoothQuant};
        use WeightPrecision::{Fp8, Int4, Int8};
        vec![
            Scheme::with_defaults(Int8, Some(Rtn)),
            Scheme::with_defaults(Int8, Some(SmoothQuant)),
            Scheme::with_defaults(Int4, Some(Rtn)),
            Scheme::with_defaults(Int4, Some(Gptq)),
            Scheme::with_defaults(Int4, Some(Awq)),
            Scheme::with_defaults(Fp8, None),
            Scheme::Nf4,
        ]
    }

    /// Short label: `INT4 GPTQ`, `FP8`, `NF4`.
    pub fn label(&self) -> String {
        match self {
            Scheme::Quant(s) => match s.method {
                Some(m) => format!("{} {m}", s.precision),
                None => s.precision.to_string(),
            },
            Scheme::Nf4 => "NF4".into(),
        }
    }

    /// Quantizes `model` in place with the inputs `calib` recorded on it
    /// (see [`Calibration::record`]).
    pub fn apply(&self, model: &mut Transformer, calib: &Recorder) -> Result<()> {
        match self {
            Scheme::Quant(spec) => quantize_model(model, calib, spec),
            Scheme::Nf4 => quantize_model_nf4(model),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, seeded};
    use candle_core::Device;

    #[test]
    fn windows_are_spread_over_the_text_and_checked() {
        let (_vm, m) = seeded(ModelConfig::tiny(20), 1, &Device::Cpu).unwrap();
        let ids: Vec<u32> = (0..100).map(|i| i % 20).collect();
        let c = Calibration {
            sequences: 3,
            seq_len: 10,
        };
        let b = c.batches(&m, &ids).unwrap();
        let firsts: Vec<u32> = b
            .iter()
            .map(|t| t.get(0).unwrap().get(0).unwrap().to_scalar().unwrap())
            .collect();
        // Starts 0, 45, 90.
        assert_eq!(firsts, vec![0, 5, 10]);
        assert_eq!(b[2].dims(), &[1, 10]);
        assert!(c.batches(&m, &ids[..20]).is_err());
        let one = Calibration {
            sequences: 1,
            seq_len: 10,
        };
        assert_eq!(one.batches(&m, &ids).unwrap().len(), 1);
    }

    #[test]
    fn labels_name_precision_and_method() {
        let s = QuantSpec::new(WeightPrecision::Int4, Some(QuantMethod::Gptq));
        assert_eq!(Scheme::Quant(s).label(), "INT4 GPTQ");
        assert_eq!(Scheme::Nf4.label(), "NF4");
        let labels: Vec<String> = Scheme::compared().iter().map(Scheme::label).collect();
        assert_eq!(
            labels,
            [
                "INT8 RTN",
                "INT8 SmoothQuant",
                "INT4 RTN",
                "INT4 GPTQ",
                "INT4 AWQ",
                "FP8",
                "NF4"
            ]
        );
        for s in Scheme::compared() {
            if let Scheme::Quant(spec) = s {
                assert!(spec.validate().is_ok(), "{}", s.label());
            }
        }
    }
}
