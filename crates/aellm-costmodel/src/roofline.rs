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
    /// Every part `n` times over.
    fn times(self, n: f64) -> PhaseTime {
        PhaseTime {
            seconds: self.seconds * n,
            compute_at_peak: self.compute_at_peak * n,
            memory_at_peak: self.memory_at_peak * n,
            overhead: self.overhead * n,
        }
    }

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
        self.phase(self.sides(flops, bytes, dequant, rate), launches)
    }

    /// A kernel's time: the longer side plus `launches` kernel launches.
    fn phase(&self, s: Sides, launches: f64) -> PhaseTime {
        let overhead = launches * self.efficiency.launch_us * 1e-6;
        PhaseTime {
            seconds: s.compute.max(s.memory) + overhead,
            compute_at_peak: s.compute_at_peak,
            memory_at_peak: s.memory_at_peak,
            overhead,
        }
    }

    /// The compute and memory times of a kernel before taking the longer.
    fn sides(&self, flops: f64, bytes: f64, dequant: bool, rate: f64) -> Sides {
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
        Sides {
            compute: c_eff / (e.compute * rate),
            memory: m / e.bandwidth,
            compute_at_peak: c,
            memory_at_peak: m,
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
        let calls = if k.launch_per_expert && op.kind == OperatorKind::Expert {
            layers * touched
        } else {
            layers
        };
        let launches = if quantized {
            calls * (1.0 + k.extra_launches_per_linear)
        } else {
            calls
        };
        let act = tokens * (op.input + op.output) as f64 * op.active_copies as f64 * layers;
        let act_bytes = if quantized {
            act * (ACTIVATION_BYTES + k.extra_activation_bytes)
        } else {
            act * ACTIVATION_BYTES
        };
        let flops = 2.0 * tokens * op.active_parameters() as f64;
        let rate = if quantized {
            self.efficiency.precision.get(k.precision)
        } else {
            1.0
        };
        self.kernel_time_at(
            flops,
            weights + copy + act_bytes,
            launches,
            k.weight_only && quantized,
            rate,
        )
    }

    /// Attention over the cache for `queries` new tokens per sequence of
    /// `batch`, the i-th attending to `first + i` positions.
    fn attention(&self, batch: f64, queries: f64, first: f64) -> PhaseTime {
        let (s, launches) = self.attention_sides(batch, queries, first);
        self.phase(s, launches)
    }

    /// The sides of [`Self::attention`] and its launches.
    fn attention_sides(&self, batch: f64, queries: f64, first: f64) -> (Sides, f64) {
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
        (self.sides(flops, kv + act, int8, 1.0), shape.layers as f64)
    }

    /// The attention of the decode steps whose new token attends to
    /// `first..=last` positions, summed in closed form: each side is linear
    /// in the context, so the sum of their maximum splits into at most two
    /// arithmetic series (a loop per token would take as long as the output
    /// is, and a calibration row may ask for a million tokens).
    fn decode_attention(&self, batch: f64, first: u64, last: u64) -> PhaseTime {
        let (lo, launches) = self.attention_sides(batch, 1.0, first as f64);
        let (hi, _) = self.attention_sides(batch, 1.0, last as f64);
        let steps = (last - first + 1) as f64;
        let line = |a: f64, b: f64| Line::through(first, a, last, b);
        let overhead = steps * launches * self.efficiency.launch_us * 1e-6;
        let busy = sum_of_max(
            line(lo.compute, hi.compute),
            line(lo.memory, hi.memory),
            first,
            last,
        );
        PhaseTime {
            seconds: busy + overhead,
            compute_at_peak: line(lo.compute_at_peak, hi.compute_at_peak).sum(first, last),
            memory_at_peak: line(lo.memory_at_peak, hi.memory_at_peak).sum(first, last),
            overhead,
        }
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
        t.add(self.latent_expansion(b * context.saturating_sub(1) as f64));
        t
    }

    /// MLA's up-projections applied again to `rows` cached positions (over
    /// the batch), where the kernel expands the whole latent cache each step
    /// (see [`Kernel::expands_latent_cache`]); nothing otherwise. Compute and
    /// the expanded keys and values written are both linear in `rows`, and no
    /// launch is added (the step's own up-projection launches it), so a sum
    /// over steps equals one call on the summed rows.
    fn latent_expansion(&self, rows: f64) -> PhaseTime {
        if !self.kernel.expands_latent_cache || rows <= 0.0 {
            return PhaseTime::default();
        }
        let f = self.footprint;
        let rate = self.efficiency.precision.get(self.kernel.precision);
        let mut t = PhaseTime::default();
        for op in f
            .operators()
            .iter()
            .filter(|o| o.name == "k_up" || o.name == "v_up")
        {
            let flops = 2.0 * rows * op.active_parameters() as f64;
            let bytes = rows * (op.output * op.layers) as f64 * ACTIVATION_BYTES;
            t.add(self.phase(self.sides(flops, bytes, false, rate), 0.0));
        }
        t
    }

    /// The `output - 1` decode steps after a prefill of `prompt` tokens: the
    /// i-th attends to `prompt + i` positions. Equal to the sum of
    /// [`Self::decode_step`] over the steps, in time independent of `output`.
    pub fn decode(&self, batch: u64, prompt: u64, output: u64) -> PhaseTime {
        if output < 2 {
            return PhaseTime::default();
        }
        let steps = (output - 1) as f64;
        let b = batch as f64;
        // Everything but attention is the same at every step.
        let mut t = self.forward(b, b).times(steps);
        t.add(self.decode_attention(b, prompt + 1, prompt + output - 1));
        // Step i re-expands prompt + i - 1 cached positions.
        let cached = steps * prompt as f64 + steps * (steps - 1.0) / 2.0;
        t.add(self.latent_expansion(b * cached));
        t
    }
}

/// A kernel's compute and memory times (efficiency applied) and the same at peak.
#[derive(Debug, Clone, Copy)]
struct Sides {
    compute: f64,
    memory: f64,
    compute_at_peak: f64,
    memory_at_peak: f64,
}

/// `at + slope (x - from)` over integer `x`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Line {
    from: u64,
    at: f64,
    slope: f64,
}

impl Line {
    /// The line through `(x0, y0)` and `(x1, y1)` (flat when `x0 == x1`).
    fn through(x0: u64, y0: f64, x1: u64, y1: f64) -> Line {
        let slope = if x1 > x0 {
            (y1 - y0) / (x1 - x0) as f64
        } else {
            0.0
        };
        Line {
            from: x0,
            at: y0,
            slope,
        }
    }

    fn value(&self, x: u64) -> f64 {
        self.at + self.slope * (x as f64 - self.from as f64)
    }

    /// The sum of the line over `lo..=hi` (0 when `hi < lo`).
    fn sum(&self, lo: u64, hi: u64) -> f64 {
        if hi < lo {
            return 0.0;
        }
        let n = (hi - lo + 1) as f64;
        n * self.value(lo) + self.slope * n * (n - 1.0) / 2.0
    }
}

/// The sum over `lo..=hi` of the larger of two lines: the difference of two
/// lines changes sign at most once, so the range splits into the part where
/// one is larger and the part where the other is.
fn sum_of_max(a: Line, b: Line, lo: u64, hi: u64) -> f64 {
    if hi < lo {
        return 0.0;
    }
    let (d_lo, d_hi) = (a.value(lo) - b.value(lo), a.value(hi) - b.value(hi));
    let top = |d: f64| if d >= 0.0 { a } else { b };
    if (d_lo >= 0.0) == (d_hi >= 0.0) {
        return top(d_lo).sum(lo, hi);
    }
    // The last x on `lo`'s side of the crossing; near the crossing the lines
    // agree, so which one a boundary x is given to hardly matters.
    let cross = lo as f64 + d_lo / (d_lo - d_hi) * (hi - lo) as f64;
    let split = (cross.floor() as u64).clamp(lo, hi - 1);
    top(d_lo).sum(lo, split) + top(d_hi).sum(split + 1, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_of_max_matches_the_loop() {
        let lines = [
            Line::through(3, 1.0, 40, 9.0),
            Line::through(3, 5.0, 40, 2.0),
            Line::through(0, 4.0, 1, 4.0),
            Line::through(7, -2.0, 9, 30.0),
        ];
        for a in lines {
            for b in lines {
                for (lo, hi) in [(3, 40), (0, 0), (5, 6), (10, 9), (1, 100)] {
                    let by_loop: f64 = (lo..=hi).map(|x| a.value(x).max(b.value(x))).sum();
                    let closed = sum_of_max(a, b, lo, hi);
                    assert!(
                        (closed - by_loop).abs() <= 1e-9 * by_loop.abs().max(1.0),
                        "{a:?} {b:?} {lo}..={hi}: {closed} vs {by_loop}"
                    );
                }
            }
        }
    }
}
