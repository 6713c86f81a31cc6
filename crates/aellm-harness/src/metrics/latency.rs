//! Latency: prefill of the prompt plus decoding of the output, after
//! warm-up, median of repeats; with the cache's size and CPU time per run.

use super::energy::EnergyMeter;
use super::memory::CountingAllocator;
use crate::causal_lm::CausalLm;
use crate::error::{HarnessError, Result};
use crate::model::CachePrecision;
use candle_core::{D, Tensor};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Warm-up runs and timed repeats.
///
/// The paper uses 10 warm-ups and 100 repeats on a GPU; the defaults here
/// (2 and 5) keep one evaluation within seconds on a 2-core CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyOptions {
    /// Untimed runs first.
    pub warmups: usize,
    /// Timed runs; the median is reported.
    pub repeats: usize,
}

impl Default for LatencyOptions {
    fn default() -> Self {
        LatencyOptions {
            warmups: 2,
            repeats: 5,
        }
    }
}

impl LatencyOptions {
    /// The paper's protocol: 10 warm-ups, 100 repeats.
    pub fn paper() -> Self {
        LatencyOptions {
            warmups: 10,
            repeats: 100,
        }
    }
}

/// What the timed runs found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// Median wall-clock time of one run, ms.
    pub median_ms: f64,
    /// Standard deviation over the repeats, ms.
    pub std_ms: f64,
    /// Bytes held by the KV cache at the end of a run.
    pub kv_cache_bytes: usize,
    /// Energy per run (J), from the meter.
    pub energy_j: f64,
    /// Allocator high-water mark during a run above the bytes live before it
    /// (cache and activations); `None` when the counting allocator is not installed.
    pub peak_run_bytes: Option<usize>,
}

/// One inference generating `output` tokens greedily: the prefill yields
/// the first, each of `output - 1` decode steps one more.
fn run_once<M: CausalLm>(
    model: &M,
    prompt: &Tensor,
    output: usize,
    cache: CachePrecision,
) -> Result<usize> {
    let mut kv = model.new_cache(cache);
    // Logits of the last position only, prefill and decode alike, as a server computes them.
    let mut logits = model.forward_last(prompt, &mut kv)?;
    for _ in 1..output {
        let next = logits.argmax(D::Minus1)?;
        logits = model.forward_last(&next, &mut kv)?;
    }
    Ok(model.cache_bytes(&kv))
}

/// Times `model` on a `prompt`-token prompt and `output` generated tokens.
pub fn measure<M: CausalLm>(
    model: &M,
    prompt: usize,
    output: usize,
    cache: CachePrecision,
    options: LatencyOptions,
    meter: &EnergyMeter,
) -> Result<LatencyReport> {
    if prompt == 0 || options.repeats == 0 {
        return Err(HarnessError::Invalid(
            "latency needs a prompt of at least 1 token and at least 1 repeat".into(),
        ));
    }
    let vocab = model.vocab() as u32;
    if vocab < 3 {
        return Err(HarnessError::Invalid(format!(
            "latency prompts use token ids 2..vocab: a vocabulary of {vocab} is too small"
        )));
    }
    let ids: Vec<u32> = (0..prompt as u32)
        .map(|i| 2 + (i * 7) % (vocab - 2))
        .collect();
    let prompt_t = Tensor::from_vec(ids, (1, prompt), model.device())?;
    for _ in 0..options.warmups {
        crate::error::stop_if_cancelled()?;
        run_once(model, &prompt_t, output, cache)?;
    }
    let base = CountingAllocator::reset_peak();
    let mut times = Vec::with_capacity(options.repeats);
    let mut kv_bytes = 0;
    let e0 = meter.read();
    for _ in 0..options.repeats {
        crate::error::stop_if_cancelled()?;
        let t = Instant::now();
        kv_bytes = run_once(model, &prompt_t, output, cache)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let energy_j = meter.joules_since(e0) / options.repeats as f64;
    let peak_run_bytes =
        CountingAllocator::installed().then(|| CountingAllocator::peak().saturating_sub(base));
    times.sort_by(f64::total_cmp);
    let median_ms = if times.len() % 2 == 1 {
        times[times.len() / 2]
    } else {
        (times[times.len() / 2 - 1] + times[times.len() / 2]) / 2.0
    };
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let std_ms =
        (times.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / times.len() as f64).sqrt();
    Ok(LatencyReport {
        median_ms,
        std_ms,
        kv_cache_bytes: kv_bytes,
        energy_j,
        peak_run_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelConfig, seeded};
    use candle_core::Device;

    #[test]
    fn cache_holds_prompt_plus_output_and_the_median_is_positive() {
        let (_vm, m) = seeded(ModelConfig::tiny(20), 0, &Device::Cpu).unwrap();
        let meter = EnergyMeter::CpuTime {
            watts_per_core: 10.0,
        };
        let opts = LatencyOptions {
            warmups: 1,
            repeats: 3,
        };
        let r = measure(&m, 6, 4, CachePrecision::Full, opts, &meter).unwrap();
        assert!(r.median_ms > 0.0 && r.std_ms >= 0.0 && r.energy_j >= 0.0);
        // The last decoded token is not fed back, so 6 + 4 - 1 positions are cached:
        // 1 layer x (k + v) x 4 heads x 8 wide x 4 bytes each.
        assert_eq!(r.kv_cache_bytes, (6 + 4 - 1) * 2 * 4 * 8 * 4);
        assert!(measure(&m, 0, 4, CachePrecision::Full, opts, &meter).is_err());
    }
}
