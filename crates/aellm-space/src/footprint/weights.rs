//! Bytes a weight matrix takes in each storage format.

use super::operators::Operator;
use super::options::FootprintOptions;
use crate::WeightPrecision;

/// Bytes of one NF4 weight under QLoRA's double quantization (Dettmers et
/// al. 2023): 4 bits, an 8-bit absmax per block of 64, and an f32 constant
/// per 256 blocks (0.127 bits of constants per weight).
pub const NF4_BYTES_PER_WEIGHT: f64 = 0.5 + 1.0 / 64.0 + 4.0 / (64.0 * 256.0);

/// Bytes of one `input x output` matrix stored at `p`.
///
/// FP16: 2 bytes a weight. FP8: 1 byte a weight plus one scale per output
/// channel. INT8/INT4: the weight's bits plus, per group of
/// `group_size` inputs of each output, a scale and (if `zero_points`) a zero
/// point of the weight's width.
pub fn matrix_bytes(input: u64, output: u64, p: WeightPrecision, o: &FootprintOptions) -> f64 {
    let n = (input * output) as f64;
    match p {
        WeightPrecision::Fp16 => 2.0 * n,
        WeightPrecision::Fp8 => n + output as f64 * o.fp8_scale_bytes,
        WeightPrecision::Int8 | WeightPrecision::Int4 => {
            let bits = p.bits() as f64;
            let groups = output * input.div_ceil(o.group_size.max(1) as u64);
            let zero = if o.zero_points { bits / 8.0 } else { 0.0 };
            n * bits / 8.0 + groups as f64 * (o.group_scale_bytes + zero)
        }
    }
}

/// The precision an operator is stored at when the configuration asks for
/// `p`: the router always stays in floating point, the LM head too unless
/// the options quantize it.
pub fn stored_precision(
    op: &Operator,
    p: WeightPrecision,
    o: &FootprintOptions,
) -> Option<WeightPrecision> {
    use super::operators::OperatorKind::{LmHead, Router};
    match op.kind {
        Router => None,
        LmHead if !o.quantize_lm_head => Some(WeightPrecision::Fp16),
        _ => Some(p),
    }
}

/// Bytes of one copy of the operator's matrix in one layer at `p`
/// (float tensors at the options' float width).
pub fn operator_matrix_bytes(op: &Operator, p: WeightPrecision, o: &FootprintOptions) -> f64 {
    match stored_precision(op, p, o) {
        Some(q) => matrix_bytes(op.input, op.output, q, o),
        None => op.elements() as f64 * o.float_bytes,
    }
}
