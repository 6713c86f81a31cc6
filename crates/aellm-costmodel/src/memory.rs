//! Peak memory of serving: weights, the whole sequence's KV cache,
//! activations at their widest (the prefill), and the runtime's own.

use crate::efficiency::Efficiency;
use aellm_space::HardwareSpec;
use aellm_space::footprint::{AttentionShape, Footprint, cached_kv_heads};
use serde::{Deserialize, Serialize};

/// Predicted peak memory, per device and over the node, in GB (10^9 bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryPrediction {
    /// Weights on one device (a 1/devices share under tensor parallelism).
    pub weights_gb: f64,
    /// KV cache for the whole sequence on one device.
    pub kv_cache_gb: f64,
    /// Activations of the prefill on one device (hidden states, the FFN's
    /// hidden, the logits of the last position).
    pub activations_gb: f64,
    /// The runtime's own (the efficiency factor `runtime_gb`).
    pub runtime_gb: f64,
    /// Sum of the above: one device's peak.
    pub per_device_gb: f64,
    /// Over every device of the node.
    pub total_gb: f64,
    /// Why it does not fit, when it does not.
    pub does_not_fit: Option<String>,
}

/// Devices that hold a copy of each cached key/value head: heads split
/// across devices, but each device needs at least one.
pub(crate) fn kv_share(f: &Footprint, devices: f64) -> f64 {
    let heads = match f.shape().attention {
        AttentionShape::Latent { .. } => 1.0,
        _ => cached_kv_heads(f.shape(), f.configuration().inference.kv_cache) as f64,
    };
    1.0 / devices.min(heads)
}

/// Peak memory of `batch` sequences of `prompt + output` tokens.
pub fn predict(
    f: &Footprint,
    hw: &HardwareSpec,
    e: &Efficiency,
    batch: u64,
    prompt: u64,
    output: u64,
) -> MemoryPrediction {
    let d = hw.devices.max(1) as f64;
    let s = f.shape();
    let weights = f.weight_bytes() / d;
    // The last generated token is not fed back: prompt + output - 1 positions are cached.
    let positions = (prompt + output).saturating_sub(1).max(1);
    let kv = f.kv_bytes(positions, batch) * kv_share(f, d);
    let tokens = (batch * prompt) as f64;
    let ffn_hidden = (s.ffn.width * s.ffn.top_k) as f64;
    let act = tokens * (4.0 * s.hidden as f64 + 2.0 * ffn_hidden) * 2.0 / d
        + (batch * s.vocab) as f64 * 4.0;
    let per = (weights + kv + act) / 1e9 + e.runtime_gb;
    let limit = hw.memory_per_device_gb();
    MemoryPrediction {
        weights_gb: weights / 1e9,
        kv_cache_gb: kv / 1e9,
        activations_gb: act / 1e9,
        runtime_gb: e.runtime_gb,
        per_device_gb: per,
        total_gb: per * d,
        does_not_fit: (per > limit).then(|| {
            format!(
                "needs {per:.1} GB per device ({:.1} GB weights, {:.1} GB KV cache), {} has {limit:.0} GB",
                weights / 1e9,
                kv / 1e9,
                hw.name
            )
        }),
    }
}
