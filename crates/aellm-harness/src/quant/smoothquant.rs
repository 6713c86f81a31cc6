//! SmoothQuant (Xiao et al., 2023): move activation outliers into the weights so both quantize
//! well to 8 bits (W8A8).
//!
//! `s_j = max|X_j|^α / max|W_j|^(1−α)` per input channel `j` (the weight maximum over every
//! linear of the group, which share the input), `W' = W·diag(s)`, `X' = X/s`. `W'` is rounded to
//! INT8 `Q8_0` blocks; the activations are quantized to 8 bits at run time by candle's quantized
//! matmul itself (see [`QuantizedLinear`](super::QuantizedLinear)'s `forward`): per row, in blocks
//! of 32 (or 256 on candle's x86 VNNI path) with one scale each, which is finer than the paper's
//! per-token scale, so smoothing matters less here than in the paper's setting, but still does
//! (see the tests).

use super::QuantError;
use super::grid::{Bits, IntWeights};
use super::matrix::Matrix;
use super::rtn;

/// The reference implementation's floor on the maxima and on `s`.
const FLOOR: f32 = 1e-5;

/// The smoothing factors from per-channel activation and weight maxima.
pub(crate) fn smoothing_scales(x_absmax: &[f32], w_absmax: &[f32], alpha: f64) -> Vec<f32> {
    let alpha = alpha as f32;
    x_absmax
        .iter()
        .zip(w_absmax)
        .map(|(&xa, &wa)| (xa.max(FLOOR).powf(alpha) / wa.max(FLOOR).powf(1.0 - alpha)).max(FLOOR))
        .collect()
}

/// SmoothQuant of the group `ws` against calibration inputs `x`; returns the integers and `s`.
pub(crate) fn quantize(
    ws: &[Matrix],
    x: &Matrix,
    bits: Bits,
    group_size: usize,
    alpha: f64,
) -> Result<(Vec<IntWeights>, Vec<f32>), QuantError> {
    let mut w_absmax = vec![0f32; x.cols];
    for w in ws {
        for (m, v) in w_absmax.iter_mut().zip(w.column_abs_max()) {
            *m = m.max(v);
        }
    }
    let s = smoothing_scales(&x.column_abs_max(), &w_absmax, alpha);
    let ints = rtn::quantize_all(ws, Some(&s), bits, group_size)?;
    Ok((ints, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_activation_and_weight_maxima() {
        // α = 0.5: after smoothing, max|X_j/s_j| = max|W_j·s_j| = sqrt(max|X_j|·max|W_j|).
        let xa = [100.0, 1.0, 4.0];
        let wa = [0.01, 1.0, 0.25];
        let s = smoothing_scales(&xa, &wa, 0.5);
        for j in 0..3 {
            let balanced = (xa[j] * wa[j]).sqrt();
            assert!((xa[j] / s[j] - balanced).abs() < 1e-4 * balanced);
            assert!((wa[j] * s[j] - balanced).abs() < 1e-4 * balanced);
        }
        // α = 0 leaves activations alone up to the weights' own range.
        let s0 = smoothing_scales(&xa, &wa, 0.0);
        assert!((s0[1] - 1.0).abs() < 1e-6);
    }
}
