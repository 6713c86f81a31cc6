//! Round-to-nearest: each group of `group_size` input channels of a row gets its own symmetric
//! scale, and every weight is rounded to the nearest level. The baseline every other method beats.

use super::QuantError;
use super::grid::{Bits, IntWeights};
use super::matrix::Matrix;

/// RTN of `w` (`[out, in]`) with groups along the input dimension.
pub(crate) fn quantize(
    w: &Matrix,
    bits: Bits,
    group_size: usize,
    input: &str,
) -> Result<IntWeights, QuantError> {
    let mut iw = IntWeights::zeros(w.rows, w.cols, bits);
    let mut group = vec![0f64; group_size];
    for r in 0..w.rows {
        let row = w.row(r);
        for c0 in (0..w.cols).step_by(group_size) {
            for (g, &v) in group.iter_mut().zip(&row[c0..c0 + group_size]) {
                *g = f64::from(v);
            }
            let d = bits.group_scale(&group, input)?;
            iw.set_scale(r, c0, group_size, d);
            for (k, &v) in group.iter().enumerate() {
                iw.q[r * w.cols + c0 + k] = bits.quantize(v, d);
            }
        }
    }
    Ok(iw)
}

/// RTN of every weight of a group, each first scaled by `diag(s)` along its input channels
/// (AWQ, SmoothQuant) or as is (`s = None`). Errors name `weights[i]`.
pub(crate) fn quantize_all(
    ws: &[Matrix],
    s: Option<&[f32]>,
    bits: Bits,
    group_size: usize,
) -> Result<Vec<IntWeights>, QuantError> {
    ws.iter()
        .enumerate()
        .map(|(i, w)| {
            let name = format!("weights[{i}]");
            match s {
                Some(s) => quantize(&w.scale_columns(s), bits, group_size, &name),
                None => quantize(w, bits, group_size, &name),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_at_most_half_a_step_and_groups_share_scales() {
        let cols = 64;
        let data: Vec<f32> = (0..2 * cols)
            .map(|i| ((i * 37) % 23) as f32 - 11.0)
            .collect();
        let w = Matrix {
            rows: 2,
            cols,
            data,
        };
        for bits in [Bits::Four, Bits::Eight] {
            let iw = quantize(&w, bits, 64, "w").unwrap();
            // A 64-wide group repeats its scale over both blocks of 32.
            assert_eq!(iw.scale(0, 0), iw.scale(0, 40));
            let deq = iw.dequantize();
            for (i, (&a, &b)) in w.data.iter().zip(&deq).enumerate() {
                let step = iw.scale(i / cols, i % cols).to_f32().abs();
                // Only INT4's top level clamps (the other sign got -8): up to one step there.
                let bound = if iw.q[i] == 7 && bits == Bits::Four {
                    1.0
                } else {
                    0.5
                };
                assert!((a - b).abs() <= step * (bound + 1e-3), "{a} vs {b}");
            }
        }
    }
}
