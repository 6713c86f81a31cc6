//! Hardware from vendors' data sheets (dense, non-sparse tensor throughput).
//! Every figure's source, and which are assumptions rather than data-sheet
//! figures (idle power), is listed in `docs/sources/hardware.md`.

use crate::{HardwareSpec, Throughput};

/// A hardware preset as a constant (converted to a [`HardwareSpec`] on use).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HardwarePreset {
    /// Name.
    pub name: &'static str,
    /// Memory in GB.
    pub memory_gb: f64,
    /// Board power / TDP in W.
    pub power_w: f64,
    /// Dense FP16 tensor TFLOPS.
    pub fp16: f64,
    /// Dense FP8 tensor TFLOPS, if supported.
    pub fp8: Option<f64>,
    /// Dense INT8 tensor TOPS, if supported.
    pub int8: Option<f64>,
    /// Dense INT4 tensor TOPS, if supported.
    pub int4: Option<f64>,
    /// Memory bandwidth in GB/s.
    pub bandwidth_gbs: f64,
    /// Devices.
    pub devices: u32,
    /// One device's link to the others in GB/s, both directions (NVLink,
    /// or the PCIe slot where there is none).
    pub interconnect_gbs: f64,
    /// Idle power in W, summed over devices: an assumption, not a data-sheet figure.
    pub idle_power_w: f64,
}

impl HardwarePreset {
    /// The preset as a [`HardwareSpec`].
    pub fn spec(&self) -> HardwareSpec {
        HardwareSpec {
            name: self.name.into(),
            memory_gb: self.memory_gb,
            power_w: self.power_w,
            peak: Throughput {
                fp16: self.fp16,
                fp8: self.fp8,
                int8: self.int8,
                int4: self.int4,
            },
            bandwidth_gbs: self.bandwidth_gbs,
            devices: self.devices,
            interconnect_gbs: Some(self.interconnect_gbs),
            idle_power_w: Some(self.idle_power_w),
        }
    }
}

/// NVIDIA GeForce RTX 4090 (Ada Lovelace whitepaper: FP16 tensor with FP32
/// accumulate 165.2 TFLOPS, FP8 330.3, INT8 660.6, INT4 1321.2; 24 GB GDDR6X
/// at 1008 GB/s; 450 W; no NVLink: PCIe 4.0 x16, 64 GB/s both ways).
pub const RTX_4090: HardwarePreset = HardwarePreset {
    name: "rtx-4090",
    memory_gb: 24.0,
    power_w: 450.0,
    fp16: 165.2,
    fp8: Some(330.3),
    int8: Some(660.6),
    int4: Some(1321.2),
    bandwidth_gbs: 1008.0,
    devices: 1,
    interconnect_gbs: 64.0,
    idle_power_w: 30.0,
};

/// NVIDIA A100 80GB SXM (data sheet: FP16 312 TFLOPS, INT8 624 TOPS, INT4
/// 1248 TOPS, no FP8; 80 GB HBM2e at 2039 GB/s; 400 W; NVLink 600 GB/s).
pub const A100_80GB: HardwarePreset = HardwarePreset {
    name: "a100-80gb",
    memory_gb: 80.0,
    power_w: 400.0,
    fp16: 312.0,
    fp8: None,
    int8: Some(624.0),
    int4: Some(1248.0),
    bandwidth_gbs: 2039.0,
    devices: 1,
    interconnect_gbs: 600.0,
    idle_power_w: 60.0,
};

/// NVIDIA H100 SXM (data sheet: FP16 989.4 TFLOPS dense, FP8 1978.9, INT8
/// 1978.9 TOPS, no INT4 tensor cores; 80 GB HBM3 at 3350 GB/s; 700 W;
/// NVLink 900 GB/s).
pub const H100_SXM: HardwarePreset = HardwarePreset {
    name: "h100-sxm",
    memory_gb: 80.0,
    power_w: 700.0,
    fp16: 989.4,
    fp8: Some(1978.9),
    int8: Some(1978.9),
    int4: None,
    bandwidth_gbs: 3350.0,
    devices: 1,
    interconnect_gbs: 900.0,
    idle_power_w: 80.0,
};

/// NVIDIA H100 PCIe (data sheet: FP16 756 TFLOPS dense, FP8 1513, INT8 1513
/// TOPS, no INT4 tensor cores; 80 GB HBM2e at 2000 GB/s; 350 W; NVLink bridge 600 GB/s).
pub const H100_PCIE: HardwarePreset = HardwarePreset {
    name: "h100-pcie",
    memory_gb: 80.0,
    power_w: 350.0,
    fp16: 756.0,
    fp8: Some(1513.0),
    int8: Some(1513.0),
    int4: None,
    bandwidth_gbs: 2000.0,
    devices: 1,
    interconnect_gbs: 600.0,
    idle_power_w: 60.0,
};

/// NVIDIA H200 SXM (data sheet: H100's compute; 141 GB HBM3e at 4800 GB/s;
/// 700 W; NVLink 900 GB/s).
pub const H200_SXM: HardwarePreset = HardwarePreset {
    name: "h200-sxm",
    memory_gb: 141.0,
    power_w: 700.0,
    fp16: 989.4,
    fp8: Some(1978.9),
    int8: Some(1978.9),
    int4: None,
    bandwidth_gbs: 4800.0,
    devices: 1,
    interconnect_gbs: 900.0,
    idle_power_w: 80.0,
};

/// An HGX node of 8 H200 SXM (eight times one H200: 1128 GB, 38.4 TB/s, 5.6 kW
/// of GPU power), every GPU at 900 GB/s into the NVSwitch fabric.
pub const H200_X8: HardwarePreset = HardwarePreset {
    name: "8x-h200",
    memory_gb: 8.0 * 141.0,
    power_w: 8.0 * 700.0,
    fp16: 8.0 * 989.4,
    fp8: Some(8.0 * 1978.9),
    int8: Some(8.0 * 1978.9),
    int4: None,
    bandwidth_gbs: 8.0 * 4800.0,
    devices: 8,
    interconnect_gbs: 900.0,
    idle_power_w: 8.0 * 80.0,
};

/// Every hardware preset.
pub const HARDWARE: &[HardwarePreset] =
    &[RTX_4090, A100_80GB, H100_SXM, H100_PCIE, H200_SXM, H200_X8];
