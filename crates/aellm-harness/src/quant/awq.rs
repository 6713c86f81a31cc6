//! AWQ (Lin et al., 2024): protect the weights that meet large activations by scaling input
//! channel `j` of every weight up by `s_j` (and the input down by `s_j`) before round-to-nearest.
//!
//! `s = s_x^α`, with `s_x` the mean `|x|` of each input channel over the calibration rows,
//! normalised by `sqrt(max s · min s)` as the reference implementation does. α is searched on the
//! grid `k / grid`, `k = 0..grid` (α = 0 is plain RTN), picking the one minimising
//! `Σ_linears ‖Q(W·diag(s))·(X/s)ᵀ − W·Xᵀ‖²` on the calibration data. One `s` serves every linear
//! of the group, because they share the input it divides. Weight clipping search is not done.
//!
//! The loss is computed as `Σ (D·G) ⊙ D` with `D = W_eff − W` and `G = XᵀX` formed once per group:
//! the same quantity as `‖X·Dᵀ‖²` with `in²` rather than `rows · in` work per output channel,
//! and no large outputs subtracted from each other. Grid points run in parallel.

use super::QuantError;
use super::grid::{Bits, IntWeights};
use super::matrix::Matrix;
use super::rtn;
use candle_core::{Device, Tensor};
use rayon::prelude::*;

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
    let g = x.gram()?;
    let w_t = ws
        .iter()
        .map(Matrix::to_tensor)
        .collect::<candle_core::Result<Vec<_>>>()?;
    let losses = (0..grid)
        .into_par_iter()
        .map(|k| {
            let s = scales(&s_x, k as f32 / grid as f32);
            let ints = rtn::quantize_all(ws, Some(&s), bits, group_size)?;
            output_error(&ints, &s, &g, &w_t)
        })
        .collect::<Result<Vec<f32>, QuantError>>()?;
    // The first of equal losses, as the sequential scan kept only strict improvements.
    let mut best: Option<(usize, f32)> = None;
    for (k, &l) in losses.iter().enumerate() {
        if best.is_none_or(|(_, b)| l < b) {
            best = Some((k, l));
        }
    }
    let (k, loss) = best.expect("grid >= 1 is checked by QuantSpec::validate");
    let alpha = k as f32 / grid as f32;
    tracing::debug!(alpha, loss, "AWQ chose its scale");
    let s = scales(&s_x, alpha);
    let ints = rtn::quantize_all(ws, Some(&s), bits, group_size)?;
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

/// `Σ ‖(X/s)·Q(W·diag(s))ᵀ − X·Wᵀ‖²`, i.e. `Σ ‖X·Dᵀ‖²` with the effective weight
/// `W_eff = Q(W·diag(s))·diag(1/s)` and `D = W_eff − W`, computed as `Σ (D·G) ⊙ D`, `G = XᵀX`.
fn output_error(
    ints: &[IntWeights],
    s: &[f32],
    g: &Tensor,
    ws: &[Tensor],
) -> Result<f32, QuantError> {
    let inv_s = Tensor::from_vec(
        s.iter().map(|v| 1.0 / v).collect::<Vec<_>>(),
        s.len(),
        &Device::Cpu,
    )?;
    let mut total = 0f32;
    for (iw, w) in ints.iter().zip(ws) {
        let d = (Tensor::from_vec(iw.dequantize(), (iw.rows, iw.cols), &Device::Cpu)?
            .broadcast_mul(&inv_s)?
            - w)?;
        total += (d.matmul(g)? * &d)?.sum_all()?.to_scalar::<f32>()?;
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

    /// The Gram form of the loss is the direct `‖(X/s)·Q(W·diag(s))ᵀ − X·Wᵀ‖²`.
    #[test]
    fn gram_loss_equals_the_output_error() {
        let dev = Device::Cpu;
        let mat = |r, c, seed: u64| {
            let t = Tensor::randn(0f32, 1.0, (r, c), &dev).unwrap();
            let m = Matrix::from_tensor(&t, "m").unwrap();
            Matrix {
                data: m
                    .data
                    .iter()
                    .map(|v| v * (1.0 + (seed % 3) as f32))
                    .collect(),
                ..m
            }
        };
        let x = mat(48, 64, 0);
        let ws = [mat(8, 64, 1), mat(16, 64, 2)];
        let s = scales(&mean_abs(&x), 0.5);
        let ints = rtn::quantize_all(&ws, Some(&s), Bits::Four, 32).unwrap();
        let w_t: Vec<Tensor> = ws.iter().map(|w| w.to_tensor().unwrap()).collect();
        let fast = output_error(&ints, &s, &x.gram().unwrap(), &w_t).unwrap();
        let (xt, xs) = (
            x.to_tensor().unwrap(),
            x.scale_columns(&s.iter().map(|v| 1.0 / v).collect::<Vec<_>>()),
        );
        let mut direct = 0f32;
        for (iw, w) in ints.iter().zip(&w_t) {
            let q = Tensor::from_vec(iw.dequantize(), (iw.rows, iw.cols), &dev).unwrap();
            let y_q = xs.to_tensor().unwrap().matmul(&q.t().unwrap()).unwrap();
            let y = xt.matmul(&w.t().unwrap()).unwrap();
            direct += (y_q - y)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
        }
        assert!(direct > 0.0);
        assert!((fast - direct).abs() <= 1e-3 * direct, "{fast} vs {direct}");
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
