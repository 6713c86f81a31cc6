//! Which tensor-core rate a configuration's matrix products run at on a
//! device, and whether its weights are dequantized on the fly.

use aellm_space::{HardwareSpec, Inference, QuantMethod, WeightPrecision};
use serde::{Deserialize, Serialize};

/// Which kernels run the model: a GPU inference engine's, or candle's on a
/// CPU (the harness here). They differ in what each precision costs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Runtime {
    /// Fused GPU kernels: weight-only INT4/INT8 dequantize in registers,
    /// W8A8 and FP8 on tensor cores where the data sheet has them, one
    /// grouped launch for all experts.
    #[default]
    Gpu,
    /// candle on a CPU: FP16 weights through its f16 GEMM, FP8 codes
    /// dequantized to an f32 copy on every call, INT8/INT4 blocks through
    /// its quantized matmul (activations to 8 bits, integer dot products),
    /// one matmul per expert routed to.
    CandleCpu,
}

/// How a configuration's linears execute on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kernel {
    /// Peak dense rate of one device for the products, in operations per second.
    pub peak_ops: f64,
    /// Whether weights are stored narrower than they are computed (weight-only
    /// INT4/INT8, or FP8 on a device without FP8 tensor cores): the kernel
    /// reads fewer bytes but dequantizes in registers and multiplies in FP16.
    pub weight_only: bool,
    /// Which path was chosen, for the figure's note.
    pub path: String,
    /// The weights' precision (picks the calibrated per-precision factor).
    pub precision: WeightPrecision,
    /// Bytes moved per weight element on every call beyond the stored
    /// weights (a dequantized copy written and read back), 0 on fused kernels.
    pub extra_bytes_per_weight: f64,
    /// Whether each routed expert is its own launch.
    pub launch_per_expert: bool,
    /// Whether MLA multiplies the whole latent cache by its up-projections
    /// at every decode step (the harness's candle MLA, without the weight
    /// absorption serving engines use), rather than the new token's only.
    #[serde(default)]
    pub expands_latent_cache: bool,
    /// Launches per quantized linear beyond its product (candle's CPU f16
    /// path casts the activations to f16 and the result back: 2).
    #[serde(default)]
    pub extra_launches_per_linear: f64,
    /// Bytes moved per activation element (input and output) of a quantized
    /// linear beyond the product's own (those casts: read 4 + write 2 on the
    /// way in, read 2 + write 4 on the way out: 6).
    #[serde(default)]
    pub extra_activation_bytes: f64,
}

/// The kernel for `inference` on `hw`, per device.
///
/// FP8 uses FP8 tensor cores where the data sheet has them (Ada, Hopper),
/// else weight-only FP8 in FP16; SmoothQuant (W8A8) uses INT8 tensor cores
/// where present; INT4 (RTN, GPTQ, AWQ) and weight-only INT8 compute in
/// FP16, since their activations stay in 16 bits.
pub fn kernel(hw: &HardwareSpec, inference: &Inference) -> Kernel {
    kernel_for(hw, inference, Runtime::Gpu)
}

/// The kernel for `inference` on `hw` under `runtime`.
pub fn kernel_for(hw: &HardwareSpec, inference: &Inference, runtime: Runtime) -> Kernel {
    match runtime {
        Runtime::Gpu => gpu_kernel(hw, inference),
        Runtime::CandleCpu => candle_cpu_kernel(hw, inference),
    }
}

/// candle on a CPU: every precision runs at the (f32) FMA rate of the
/// hardware description times its calibrated factor; FP8 also writes and
/// reads an f32 copy of its weights per call (4 + 4 bytes each); FP16 casts
/// the f32 activations to f16 before the product and the result back after
/// it (the harness's `QuantizedLinear`), two more passes over them.
fn candle_cpu_kernel(hw: &HardwareSpec, inference: &Inference) -> Kernel {
    let p = inference.weights;
    let casts = p == WeightPrecision::Fp16;
    let path = match p {
        WeightPrecision::Fp16 => "candle f16 GEMM (CPU)",
        WeightPrecision::Fp8 => "FP8 codes dequantized to f32 each call, f32 GEMM (CPU)",
        WeightPrecision::Int8 => "candle Q8_0 matmul, activations to 8 bits (CPU)",
        WeightPrecision::Int4 => "candle Q4_0 matmul, activations to 8 bits (CPU)",
    };
    Kernel {
        peak_ops: hw.peak.fp16 * 1e12 / hw.devices.max(1) as f64,
        weight_only: false,
        path: path.into(),
        precision: p,
        extra_bytes_per_weight: if p == WeightPrecision::Fp8 { 8.0 } else { 0.0 },
        launch_per_expert: true,
        expands_latent_cache: true,
        extra_launches_per_linear: if casts { 2.0 } else { 0.0 },
        extra_activation_bytes: if casts { 6.0 } else { 0.0 },
    }
}

fn gpu_kernel(hw: &HardwareSpec, inference: &Inference) -> Kernel {
    let p = inference.weights;
    let per_device = |tflops: f64| tflops * 1e12 / hw.devices.max(1) as f64;
    let fp16 = per_device(hw.peak.fp16);
    let native = |q: WeightPrecision, path: &str| Kernel {
        peak_ops: per_device(hw.peak.for_precision(q)),
        weight_only: false,
        path: path.into(),
        precision: p,
        extra_bytes_per_weight: 0.0,
        launch_per_expert: false,
        expands_latent_cache: false,
        extra_launches_per_linear: 0.0,
        extra_activation_bytes: 0.0,
    };
    let weight_only = |path: &str| Kernel {
        peak_ops: fp16,
        weight_only: true,
        path: path.into(),
        precision: p,
        extra_bytes_per_weight: 0.0,
        launch_per_expert: false,
        expands_latent_cache: false,
        extra_launches_per_linear: 0.0,
        extra_activation_bytes: 0.0,
    };
    match (inference.weights, inference.method) {
        (WeightPrecision::Fp16, _) => native(WeightPrecision::Fp16, "FP16 tensor cores"),
        (WeightPrecision::Fp8, _) if hw.computes_natively(WeightPrecision::Fp8) => {
            native(WeightPrecision::Fp8, "FP8 tensor cores (W8A8)")
        }
        (WeightPrecision::Fp8, _) => {
            weight_only("weight-only FP8, FP16 compute (no FP8 tensor cores)")
        }
        (WeightPrecision::Int8, Some(QuantMethod::SmoothQuant))
            if hw.computes_natively(WeightPrecision::Int8) =>
        {
            native(WeightPrecision::Int8, "INT8 tensor cores (W8A8)")
        }
        (WeightPrecision::Int8, _) => weight_only("weight-only INT8, FP16 compute"),
        (WeightPrecision::Int4, _) => weight_only("weight-only INT4, FP16 compute"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::{KvCache, presets};

    fn inf(weights: WeightPrecision, method: Option<QuantMethod>) -> Inference {
        Inference {
            weights,
            method,
            kv_cache: KvCache::Full,
        }
    }

    #[test]
    fn precision_support_follows_the_data_sheets() {
        let a100 = presets::hardware("a100-80gb").unwrap();
        let h100 = presets::hardware("h100-sxm").unwrap();
        // A100 has no FP8 tensor cores: FP8 weights are dequantized to FP16.
        let k = kernel(&a100, &inf(WeightPrecision::Fp8, None));
        assert!(k.weight_only && k.peak_ops == 312e12);
        let k = kernel(&h100, &inf(WeightPrecision::Fp8, None));
        assert!(!k.weight_only && k.peak_ops == 1978.9e12);
        // W8A8 on INT8 tensor cores; GPTQ INT8 is weight-only.
        let k = kernel(
            &a100,
            &inf(WeightPrecision::Int8, Some(QuantMethod::SmoothQuant)),
        );
        assert!(!k.weight_only && k.peak_ops == 624e12);
        let k = kernel(&a100, &inf(WeightPrecision::Int8, Some(QuantMethod::Gptq)));
        assert!(k.weight_only && k.peak_ops == 312e12);
        // INT4 computes in FP16 even where INT4 tensor cores exist.
        let k = kernel(&a100, &inf(WeightPrecision::Int4, Some(QuantMethod::Awq)));
        assert!(k.weight_only && k.peak_ops == 312e12);
        // A node's rate is per device.
        let node = presets::hardware("8x-h200").unwrap();
        let k = kernel(&node, &inf(WeightPrecision::Fp16, None));
        assert!((k.peak_ops - 989.4e12).abs() < 1e6);
    }
}
