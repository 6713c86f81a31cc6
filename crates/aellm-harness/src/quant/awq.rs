//! AWQ (Lin et al., 2024): protect the weights that meet large activations by scaling input
//! channel `j` of every weight up by `s_j` (and the input down by `s_j`) before round-to-nearest.
//!
//! `s = s_x^α`, with `s_x` the mean `|x|` of each input channel over the calibration rows,
//! normalised by `sqrt(max s · min s)` as the reference implementation does. α is searched on the
//! grid `k / grid`, `k = 0..grid` (α = 0 is plain RTN), picking the one minimising
//! `Σ_linears ‖Q(W·diag(s))·(X/s)ᵀ − W·Xᵀ‖²` on the calibration data. One `s` serves every linear
//! of the group, because they share the input it divides. Weight clipping search is not done.

use super::QuantError;
use super::grid::{Bits, IntWeights};
use super::matrix::Matrix;
use super::rtn;
use candle_core::{Device, Tensor};

/// The floor on `s_x` before the power, so silent channels give a finite scale.
const MIN_ACTIVATION: f32 = 1e-4;

/// AWQ of the group `ws` against calibration inputs `x`; returns the integers and `s`.
pub(crate) fn quantize(
    ws: &[Matrix],
    x: &Matrix,
    bits: Bits,
    group_size: usize,
    grid: usize,
) -> Result<(Vec<IntWeights>, Vec<f32>), QuantError> {
    let s_x = mean_abs(x);
    let xt = x.to_tensor()?;
    let reference = ws
        .iter()
        .map(|w| xt.matmul(&w.to_tensor()?.t()?))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let mut best: Option<(f32, f32, Vec<IntWeights>, Vec<f32>)> = None;
    for k in 0..grid {
        let alpha = k as f32 / grid as f32;
        let s = scales(&s_x, alpha);
        let ints = rtn::quantize_all(ws, Some(&s), bits, group_size)?;
        let loss = output_error(&ints, &s, &xt, &reference)?;
        tracing::trace!(alpha, loss, "AWQ grid point");
        if best.as_ref().is_none_or(|b| loss < b.0) {
            best = Some((loss, alpha, ints, s));
        }
    }
    let (loss, alpha, ints, s) = best.expect("grid >= 1 is checked by QuantSpec::validate");
    tracing::debug!(alpha, loss, "AWQ chose its scale");
    Ok((ints, s))
}

/// Mean `|x|` per input channel.
fn mean_abs(x: &Matrix) -> Vec<f32> {
    let mut m = vec![0f32; x.cols];
    for r in 0..x.rows {
        for (mj, &v) in m.iter_mut().zip(x.row(r)) {
            *mj += v.abs();
        }
    }
    m.iter().map(|v| v / x.rows as f32).collect()
}

/// `s_x^α`, normalised so `max s · min s = 1`.
fn scales(s_x: &[f32], alpha: f32) -> Vec<f32> {
    let s: Vec<f32> = s_x
        .iter()
        .map(|v| v.max(MIN_ACTIVATION).powf(alpha))
        .collect();
    let max = s.iter().copied().fold(f32::MIN, f32::max);
    let min = s.iter().copied().fold(f32::MAX, f32::min);
    let norm = (max * min).sqrt();
    s.iter().map(|v| v / norm).collect()
}

/// `Σ ‖(X/s)·Q(W·diag(s))ᵀ − X·Wᵀ‖²`, i.e. with the effective weight `Q(W·diag(s))·diag(1/s)`.
fn output_error(
    ints: &[IntWeights],
    s: &[f32],
    xt: &Tensor,
    reference: &[Tensor],
) -> Result<f32, QuantError> {
    let inv_s = Tensor::from_vec(
        s.iter().map(|v| 1.0 / v).collect::<Vec<_>>(),
        s.len(),
        &Device::Cpu,
    )?;
    let mut total = 0f32;
    for (iw, y) in ints.iter().zip(reference) {
        let w_eff = Tensor::from_vec(iw.dequantize(), (iw.rows, iw.cols), &Device::Cpu)?
            .broadcast_mul(&inv_s)?;
        total += (xt.matmul(&w_eff.t()?)? - y)?
            .sqr()?
            .sum_all()?
            .to_scalar::<f32>()?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_follow_activation_magnitude_and_are_normalised() {
        let s = scales(&[1.0, 4.0, 16.0], 0.5);
        // s ∝ s_x^0.5 = [1, 2, 4], normalised by sqrt(4·1) = 2.
        for (a, b) in s.iter().zip([0.5, 1.0, 2.0]) {
            assert!((a - b).abs() < 1e-6);
        }
        assert!(scales(&[0.0, 3.0], 0.0).iter().all(|&v| v == 1.0));
    }

    #[test]
    fn mean_abs_per_channel() {
        let x = Matrix {
            rows: 2,
            cols: 2,
            data: vec![1.0, -2.0, -3.0, 0.0],
        };
        assert_eq!(mean_abs(&x), vec![2.0, 1.0]);
    }
}
