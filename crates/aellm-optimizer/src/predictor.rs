//! What the search asks of a model of the objectives.

use aellm_space::{Configuration, Objectives};
use serde::{Deserialize, Serialize};

/// A predicted outcome: the mean of each objective and one standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Predicted objectives.
    pub mean: Objectives,
    /// One standard deviation per objective.
    pub std: Objectives,
}

impl Prediction {
    /// The standard deviations in the order of [`Objectives::NAMES`], for
    /// loops over the four objectives.
    pub fn spread(&self) -> [f64; 4] {
        let s = &self.std;
        [s.accuracy, s.latency_ms, s.memory_gb, s.energy_j]
    }
}

/// Predicts the objectives of configurations in one scenario, in a batch
/// (surrogates predict a matrix much faster than row by row).
pub trait Predictor: Send + Sync {
    /// One prediction per configuration, in order.
    fn predict(&self, configurations: &[Configuration]) -> Vec<Prediction>;
}

#[cfg(test)]
pub(crate) mod toy {
    //! A made-up, closed-form model of the objectives for testing the search
    //! (its numbers mean nothing; they only give the search a known front).
    use super::*;
    use aellm_space::{
        Attention, FineTuneMethod, KvCache, Moe, QuantMethod, Space, WeightPrecision,
    };

    /// The toy objectives of a configuration.
    pub fn objectives(c: &Configuration) -> Objectives {
        let (mut acc, mut lat, mut mem) = (0.70, 100.0, 14.0);
        let (wacc, wmem, wlat) = match c.inference.weights {
            WeightPrecision::Fp16 => (0.0, 1.0, 1.0),
            WeightPrecision::Fp8 => (-0.006, 0.52, 0.75),
            WeightPrecision::Int8 => (-0.01, 0.53, 0.8),
            WeightPrecision::Int4 => (-0.03, 0.3, 0.6),
        };
        acc += wacc;
        mem *= wmem;
        lat *= wlat;
        acc += match c.inference.method {
            Some(QuantMethod::Gptq) => 0.012,
            Some(QuantMethod::Awq) => 0.015,
            Some(QuantMethod::SmoothQuant) => 0.006,
            _ => 0.0,
        };
        if c.inference.method == Some(QuantMethod::SmoothQuant) {
            lat *= 0.85;
        }
        let kv = match c.architecture.attention {
            Attention::Mha => 2.0,
            Attention::Mqa => {
                acc -= 0.025;
                2.0 / 32.0
            }
            Attention::Gqa { kv_groups } => {
                acc -= 0.04 / kv_groups as f64;
                2.0 * kv_groups as f64 / 32.0
            }
            Attention::Mla { latent_dim } => {
                acc -= 0.004;
                latent_dim as f64 / 2048.0
            }
        };
        let kv = if c.inference.kv_cache == KvCache::Int8 {
            kv / 2.0
        } else {
            kv
        };
        mem += kv;
        lat += 20.0 * kv;
        if let Moe::Sparse { experts, top_k } = c.architecture.moe {
            acc += 0.01 * top_k as f64;
            mem *= 1.0 + 0.6 * (experts - 1) as f64;
            lat *= 0.8 + 0.1 * top_k as f64;
        }
        acc += match c.fine_tuning.method {
            FineTuneMethod::Full => 0.02,
            _ => 0.01 * (c.fine_tuning.rank.unwrap_or(8) as f64).log2() / 7.0,
        };
        Objectives {
            accuracy: acc,
            latency_ms: lat,
            memory_gb: mem,
            energy_j: 0.3 * lat + 0.5 * mem,
        }
    }

    /// A predictor that returns the toy objectives with a small made-up spread.
    pub struct Toy;
    impl Predictor for Toy {
        fn predict(&self, cs: &[Configuration]) -> Vec<Prediction> {
            cs.iter()
                .map(|c| Prediction {
                    mean: objectives(c),
                    std: Objectives {
                        accuracy: 0.001,
                        latency_ms: 1.0,
                        memory_gb: 0.1,
                        energy_j: 0.5,
                    },
                })
                .collect()
        }
    }

    /// A space of 144 configurations.
    pub fn small_space() -> Space {
        let mut s = Space::paper();
        s.attention = vec![
            Attention::Mha,
            Attention::Mqa,
            Attention::Gqa { kv_groups: 4 },
        ];
        s.moe = vec![Moe::Dense];
        s.methods = vec![FineTuneMethod::Full, FineTuneMethod::Lora];
        s.ranks = vec![8, 32];
        s.alpha_ratios = vec![2.0];
        s.kv_caches = vec![KvCache::Full, KvCache::Int8];
        s
    }
}
