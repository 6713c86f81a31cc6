//! Per-operator roofline time of prefill and decode: each operator takes the
//! longer of its compute at the achievable rate and its bytes at the
//! achievable bandwidth, plus kernel launches; tensor parallelism splits
//! every operator across the node's devices and adds two all-reduces per layer.

use crate::efficiency::Efficiency;
use crate::kernel::Kernel;
use aellm_space::HardwareSpec;
use aellm_space::footprint::{Footprint, Operator, OperatorKind, operator_matrix_bytes};
use serde::{Deserialize, Serialize};

/// Bytes of an activation element (FP16).
const ACTIVATION_BYTES: f64 = 2.0;
/// Element-wise kernels per layer beside the matrix products (two norms,
/// RoPE, the FFN's activation and the residual adds).
const ELEMENTWISE_LAUNCHES: f64 = 4.0;

/// Where the time of a phase goes, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseTime {
    /// Total.
    pub seconds: f64,
    /// The time the work would take at full peak compute (for utilisation).
    pub compute_at_peak: f64,
    /// The time its bytes would take at full peak bandwidth (for utilisation).
    pub memory_at_peak: f64,
    /// Kernel launches and all-reduces.
    pub overhead: f64,
}

impl PhaseTime {
    fn add(&mut self, o: PhaseTime) {
        self.seconds += o.seconds;
        self.compute_at_peak += o.compute_at_peak;
        self.memory_at_peak += o.memory_at_peak;
        self.overhead += o.overhead;
    }

    /// Fraction of the peak rate of the binding resource over the phase, in [0, 1].
    pub fn utilisation(&self) -> f64 {
        if self.seconds <= 0.0 {
            return 0.0;
        }
        (self.compute_at_peak.max(self.memory_at_peak) / self.seconds).clamp(0.0, 1.0)
    }
}

/// The roofline of one configuration on one node.
#[derive(Debug, Clone)]
pub struct Roofline<'a> {
    /// The counts.
    pub footprint: &'a Footprint,
    /// The node.
    pub hardware: &'a HardwareSpec,
    /// The kernel path of its linears.
    pub kernel: Kernel,
    /// The factors.
    pub efficiency: &'a Efficiency,
}

/// Distinct experts `tokens` tokens touch when each picks `k` of `e`
/// uniformly: `e (1 - (1 - k/e)^tokens)`.
pub fn expected_distinct_experts(e: u64, k: u64, tokens: f64) -> f64 {
    if e <= 1 {
        return 1.0;
    }
    let e = e as f64;
    e * (1.0 - (1.0 - k as f64 / e).powf(tokens))
}

impl Roofline<'_> {
    fn devices(&self) -> f64 {
        self.hardware.devices.max(1) as f64
    }

    /// One kernel: `flops` and `bytes` over the node, `launches` on each device.
    fn kernel_time(&self, flops: f64, bytes: f64, launches: f64, dequant: bool) -> PhaseTime {
        self.kernel_time_at(flops, bytes, launches, dequant, 1.0)
    }

    /// [`Self::kernel_time`] with the compute rate scaled by `rate` (a
    /// linear's per-precision factor).
    fn kernel_time_at(
        &self,
        flops: f64,
        bytes: f64,
        launches: f64,
        dequant: bool,
        rate: f64,
    ) -> PhaseTime {
        let d = self.devices();
        let (peak, bw) = (
            self.kernel.peak_ops,
            self.hardware.bandwidth_per_device_gbs() * 1e9,
        );
        let (c, m) = (flops / d / peak, bytes / d / bw);
        let e = self.efficiency;
        // Dequantizing in registers adds instructions, not bytes: it slows
        // the compute side (prefill) and hides under memory time in decode.
        let c_eff = if dequant {
            c * (1.0 + e.dequant_overhead)
        } else {
            c
        };
        let busy = (c_eff / (e.compute * rate)).max(m / e.bandwidth);
        let overhead = launches * e.launch_us * 1e-6;
        PhaseTime {
            seconds: busy + overhead,
            compute_at_peak: c,
            memory_at_peak: m,
            overhead,
        }
    }

    /// One operator over every layer for `tokens` tokens at once.
    fn operator(&self, op: &Operator, tokens: f64) -> PhaseTime {
        let f = self.footprint;
        let p = f.configuration().inference.weights;
        let touched = match op.kind {
            OperatorKind::Expert => expected_distinct_experts(op.copies, op.active_copies, tokens),
            _ => op.copies as f64,
        };
        let layers = op.layers as f64;
        let weights = operator_matrix_bytes(op, p, f.options()) * touched * layers;
        let k = &self.kernel;
        let quantized = op.kind != OperatorKind::Router
            && (op.kind != OperatorKind::LmHead || f.options().quantize_lm_head);
        // A dequantized copy is written and read back on every call.
        let copy = if quantized {
            k.extra_bytes_per_weight * (op.elements() as f64) * touched * layers
        } else {
            0.0
        };
        let launches = if k.launch_per_expert && op.kind == OperatorKind::Expert {
            layers * touched
        } else {
            layers
        };
        let act = tokens * (op.input + op.output) as f64 * op.active_copies as f64 * layers;
        let flops = 2.0 * tokens * op.active_parameters() as f64;
        let rate = if quantized {
            self.efficiency.precision.get(k.precision)
        } else {
            1.0
        };
        self.kernel_time_at(
            flops,
            weights + copy + act * ACTIVATION_BYTES,
            launches,
            k.weight_only && quantized,
            rate,
        )
    }

    /// Attention over the cache for `queries` new tokens per sequence of
    /// `batch`, the i-th attending to `first + i` positions.
    fn attention(&self, batch: f64, queries: f64, first: f64) -> PhaseTime {
        let f = self.footprint;
        let macs = f.macs();
        let positions = queries * first + queries * (queries - 1.0) / 2.0;
        let flops = 2.0 * batch * macs.attention_per_position * positions;
        // Read the cache once per step (decode) or write it once (prefill),
        // plus the queries' and outputs' activations.
        let cache_tokens = if queries > 1.0 { queries } else { first };
        let kv = f.kv_bytes_per_token() * batch * cache_tokens * self.kv_replication();
        let shape = f.shape();
        let act = 2.0
            * batch
            * queries
            * (shape.heads * shape.head_dim * shape.layers) as f64
            * ACTIVATION_BYTES;
        let int8 = f.configuration().inference.kv_cache == aellm_space::KvCache::Int8;
        self.kernel_time(flops, kv + act, shape.layers as f64, int8)
    }

    /// How many times the node holds the cache (see [`crate::memory::kv_share`]).
    pub fn kv_replication(&self) -> f64 {
        self.devices() * crate::memory::kv_share(self.footprint, self.devices())
    }

    /// Norms, RoPE, activation functions and residual adds of every layer.
    fn elementwise(&self, tokens: f64) -> PhaseTime {
        let s = self.footprint.shape();
        let bytes = tokens * s.hidden as f64 * 8.0 * ACTIVATION_BYTES * s.layers as f64;
        self.kernel_time(0.0, bytes, ELEMENTWISE_LAUNCHES * s.layers as f64, false)
    }

    /// Two all-reduces of the hidden states per layer (after attention and
    /// after the FFN, as Megatron-style tensor parallelism does), ring
    /// algorithm: each device sends and receives `2 (d - 1) / d` of the data.
    fn all_reduces(&self, tokens: f64) -> PhaseTime {
        let d = self.devices();
        if d <= 1.0 {
            return PhaseTime::default();
        }
        let s = self.footprint.shape();
        let e = self.efficiency;
        let one_way = self.hardware.interconnect_gbs.unwrap_or(0.0) * 1e9 / 2.0 * e.interconnect;
        let bytes = tokens * s.hidden as f64 * ACTIVATION_BYTES * 2.0 * (d - 1.0) / d;
        let per = if one_way > 0.0 {
            bytes / one_way
        } else {
            f64::INFINITY
        };
        let n = 2.0 * s.layers as f64;
        let t = n * (per + e.allreduce_us * 1e-6);
        PhaseTime {
            seconds: t,
            overhead: t,
            ..Default::default()
        }
    }

    /// Every operator for `tokens` tokens at once (LM head for `lm_tokens`).
    fn forward(&self, tokens: f64, lm_tokens: f64) -> PhaseTime {
        let mut t = PhaseTime::default();
        for op in self.footprint.operators() {
            let n = if op.kind == OperatorKind::LmHead {
                lm_tokens
            } else {
                tokens
            };
            t.add(self.operator(op, n));
        }
        t.add(self.elementwise(tokens));
        t.add(self.all_reduces(tokens));
        t
    }

    /// Prefill of `prompt` tokens for each of `batch` sequences (logits of the last position only).
    pub fn prefill(&self, batch: u64, prompt: u64) -> PhaseTime {
        let (b, p) = (batch as f64, prompt as f64);
        let mut t = self.forward(b * p, b);
        t.add(self.attention(b, p, 1.0));
        t
    }

    /// One decode step of `batch` sequences whose new token attends to `context` positions.
    pub fn decode_step(&self, batch: u64, context: u64) -> PhaseTime {
        let b = batch as f64;
        let mut t = self.forward(b, b);
        t.add(self.attention(b, 1.0, context as f64));
        t
    }

    /// The `output - 1` decode steps after a prefill of `prompt` tokens.
    pub fn decode(&self, batch: u64, prompt: u64, output: u64) -> PhaseTime {
        let mut t = PhaseTime::default();
        for i in 1..output {
            t.add(self.decode_step(batch, prompt + i));
        }
        t
    }
}
