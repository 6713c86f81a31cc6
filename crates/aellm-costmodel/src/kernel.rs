//! Which tensor-core rate a configuration's matrix products run at on a
//! device, and whether its weights are dequantized on the fly.

use aellm_space::{HardwareSpec, Inference, QuantMethod, WeightPrecision};
use serde::{Deserialize, Serialize};

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
}

/// The kernel for `inference` on `hw`, per device.
///
/// FP8 uses FP8 tensor cores where the data sheet has them (Ada, Hopper),
/// else weight-only FP8 in FP16; SmoothQuant (W8A8) uses INT8 tensor cores
/// where present; INT4 (RTN, GPTQ, AWQ) and weight-only INT8 compute in
/// FP16, since their activations stay in 16 bits.
pub fn kernel(hw: &HardwareSpec, inference: &Inference) -> Kernel {
    let per_device = |tflops: f64| tflops * 1e12 / hw.devices.max(1) as f64;
    let fp16 = per_device(hw.peak.fp16);
    let native = |p: WeightPrecision, path: &str| Kernel {
        peak_ops: per_device(hw.peak.for_precision(p)),
        weight_only: false,
        path: path.into(),
    };
    let weight_only = |path: &str| Kernel {
        peak_ops: fp16,
        weight_only: true,
        path: path.into(),
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
