//! The hardware a configuration is served on.

use crate::config::WeightPrecision;
use serde::{Deserialize, Serialize};

/// Peak dense throughput per precision, in tera-operations per second.
///
/// `None` means the device has no native units for that precision; such
/// weights are dequantised and run at the FP16 rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Throughput {
    /// FP16/BF16 tensor throughput (TFLOPS).
    pub fp16: f64,
    /// FP8 tensor throughput (TFLOPS).
    #[serde(default)]
    pub fp8: Option<f64>,
    /// INT8 tensor throughput (TOPS).
    #[serde(default)]
    pub int8: Option<f64>,
    /// INT4 tensor throughput (TOPS).
    #[serde(default)]
    pub int4: Option<f64>,
}

impl Throughput {
    /// Peak rate for compute at a precision, falling back to FP16 where the
    /// device has no native units for it.
    pub fn for_precision(&self, p: WeightPrecision) -> f64 {
        match p {
            WeightPrecision::Fp16 => Some(self.fp16),
            WeightPrecision::Fp8 => self.fp8,
            WeightPrecision::Int8 => self.int8,
            WeightPrecision::Int4 => self.int4,
        }
        .unwrap_or(self.fp16)
    }
}

/// An accelerator (or a node of them) with its data-sheet figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareSpec {
    /// Name, e.g. `h100-sxm`.
    pub name: String,
    /// Device memory in GB (10^9 bytes), summed over devices.
    pub memory_gb: f64,
    /// Power budget in watts (board power / TDP, summed over devices).
    pub power_w: f64,
    /// Peak dense throughput per precision, summed over devices.
    pub peak: Throughput,
    /// Memory bandwidth in GB/s, summed over devices.
    pub bandwidth_gbs: f64,
    /// Number of devices.
    #[serde(default = "one")]
    pub devices: u32,
    /// Bandwidth of one device's link to the others in GB/s, both directions
    /// summed as data sheets state it (NVLink, or the PCIe slot where there
    /// is none). Absent: unknown, and a multi-device split cannot be costed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interconnect_gbs: Option<f64>,
    /// Power drawn while idle in W, summed over devices. Absent: unknown
    /// (a power model then assumes a stated share of `power_w`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_power_w: Option<f64>,
}

impl HardwareSpec {
    /// Memory of one device in GB.
    pub fn memory_per_device_gb(&self) -> f64 {
        self.memory_gb / self.devices.max(1) as f64
    }

    /// Memory bandwidth of one device in GB/s.
    pub fn bandwidth_per_device_gbs(&self) -> f64 {
        self.bandwidth_gbs / self.devices.max(1) as f64
    }

    /// Whether the tensor cores compute natively at `p` (FP16 always; the
    /// others where the data sheet gives them a rate).
    pub fn computes_natively(&self, p: WeightPrecision) -> bool {
        match p {
            WeightPrecision::Fp16 => true,
            WeightPrecision::Fp8 => self.peak.fp8.is_some(),
            WeightPrecision::Int8 => self.peak.int8.is_some(),
            WeightPrecision::Int4 => self.peak.int4.is_some(),
        }
    }
}

fn one() -> u32 {
    1
}
