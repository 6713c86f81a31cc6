//! Efficiency factors: how much of the data sheet real kernels reach, and
//! the fixed costs on top. These are what calibration fits.

use crate::error::CostModelError;
use aellm_space::WeightPrecision;
use serde::{Deserialize, Serialize};

/// A multiplier on the achievable compute rate of the linears, per weight
/// precision: how much faster (> 1) or slower (< 1) that precision's kernel
/// runs than `compute` says. 1 everywhere on a GPU's data-sheet rates; on a
/// CPU the kernels of each precision differ (candle's f16 GEMM, its
/// integer dot products for INT8/INT4), so calibration fits each.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrecisionFactors {
    /// FP16 weights.
    pub fp16: f64,
    /// FP8 weights.
    pub fp8: f64,
    /// INT8 weights.
    pub int8: f64,
    /// INT4 weights.
    pub int4: f64,
}

impl Default for PrecisionFactors {
    fn default() -> Self {
        PrecisionFactors {
            fp16: 1.0,
            fp8: 1.0,
            int8: 1.0,
            int4: 1.0,
        }
    }
}

impl PrecisionFactors {
    /// The factor of `p`.
    pub fn get(&self, p: WeightPrecision) -> f64 {
        match p {
            WeightPrecision::Fp16 => self.fp16,
            WeightPrecision::Fp8 => self.fp8,
            WeightPrecision::Int8 => self.int8,
            WeightPrecision::Int4 => self.int4,
        }
    }

    /// Sets the factor of `p`.
    pub fn set(&mut self, p: WeightPrecision, v: f64) {
        match p {
            WeightPrecision::Fp16 => self.fp16 = v,
            WeightPrecision::Fp8 => self.fp8 = v,
            WeightPrecision::Int8 => self.int8 = v,
            WeightPrecision::Int4 => self.int4 = v,
        }
    }
}

/// The fractions and overheads that turn data-sheet peaks into predicted times.
///
/// ```
/// let e = aellm_costmodel::Efficiency::default();
/// e.check().unwrap();
/// assert!(e.bandwidth < 1.0 && e.compute < 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Efficiency {
    /// Achievable fraction of the peak tensor throughput (large matrix products).
    pub compute: f64,
    /// Achievable fraction of the peak memory bandwidth (streaming weights).
    pub bandwidth: f64,
    /// Fixed cost of one kernel launch, in microseconds; each operator of
    /// each layer is one or more launches.
    pub launch_us: f64,
    /// Extra compute of a weight-only INT4/INT8/FP8 kernel, as a fraction of
    /// its FP16 compute (dequantizing in registers costs instructions).
    pub dequant_overhead: f64,
    /// Achievable fraction of the interconnect's one-way bandwidth in an all-reduce.
    pub interconnect: f64,
    /// Fixed latency of one all-reduce, in microseconds.
    pub allreduce_us: f64,
    /// Memory the runtime holds beside weights, cache and activations
    /// (CUDA context, allocator slack), in GB per device.
    pub runtime_gb: f64,
    /// Per-precision multipliers on the linears' compute rate.
    pub precision: PrecisionFactors,
}

impl Default for Efficiency {
    /// Uncalibrated starting values: 60% of peak compute and 80% of peak
    /// bandwidth (what tuned GEMM and streaming kernels usually reach, see
    /// `docs/costmodel.md`), 5 µs a launch, 10% dequantization overhead,
    /// 70% of NVLink in an all-reduce with 10 µs latency, 0.5 GB runtime.
    fn default() -> Self {
        Efficiency {
            compute: 0.6,
            bandwidth: 0.8,
            launch_us: 5.0,
            dequant_overhead: 0.1,
            interconnect: 0.7,
            allreduce_us: 10.0,
            runtime_gb: 0.5,
            precision: PrecisionFactors::default(),
        }
    }
}

impl Efficiency {
    /// Checks every factor is in range; the error names the factor.
    pub fn check(&self) -> Result<(), CostModelError> {
        let fraction = [
            ("compute", self.compute),
            ("bandwidth", self.bandwidth),
            ("interconnect", self.interconnect),
        ];
        for (field, value) in fraction {
            if !(value > 0.0 && value <= 1.0) {
                return Err(CostModelError::BadFactor {
                    field,
                    allowed: "in (0, 1]",
                    value,
                });
            }
        }
        let non_negative = [
            ("launch_us", self.launch_us),
            ("dequant_overhead", self.dequant_overhead),
            ("allreduce_us", self.allreduce_us),
            ("runtime_gb", self.runtime_gb),
        ];
        for p in WeightPrecision::ALL {
            let value = self.precision.get(p);
            if !(value.is_finite() && value > 0.0) {
                return Err(CostModelError::BadFactor {
                    field: "precision",
                    allowed: "finite and > 0 for every precision",
                    value,
                });
            }
        }
        for (field, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(CostModelError::BadFactor {
                    field,
                    allowed: "finite and >= 0",
                    value,
                });
            }
        }
        Ok(())
    }
}
