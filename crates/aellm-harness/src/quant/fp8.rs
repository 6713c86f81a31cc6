//! FP8 E4M3 weights with one f32 scale per output channel.
//!
//! Each row is scaled so its largest magnitude lands on E4M3's largest finite value, then every
//! weight is rounded to the nearest E4M3 number (`float8::F8E4M3`, round-to-nearest-even) and
//! kept as its 8-bit code. candle has no FP8 matmul on CPU, so the codes are decoded (a 256-entry
//! table, then the row scale) just before the matmul; only the codes and scales are held.

use super::matrix::Matrix;
use float8::F8E4M3;

/// E4M3 codes and per-row scales: `w[r][c] ≈ decode(codes[r][c]) · scales[r]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fp8Weights {
    pub rows: usize,
    pub cols: usize,
    pub codes: Vec<u8>,
    pub scales: Vec<f32>,
}

/// The largest finite E4M3 value, read off the decode table: the crate's `F8E4M3::MAX` constant
/// (code 0x7D) is not the largest finite code its own conversion produces (0x7E, 448, as in the
/// OCP E4M3 format).
fn max_finite() -> f32 {
    decode_table().into_iter().fold(0f32, f32::max)
}

/// Per-output-channel E4M3 quantization of `w`.
pub(crate) fn quantize(w: &Matrix) -> Fp8Weights {
    let max = max_finite();
    let mut codes = Vec::with_capacity(w.data.len());
    let mut scales = Vec::with_capacity(w.rows);
    for r in 0..w.rows {
        let row = w.row(r);
        let amax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = if amax > 0.0 { amax / max } else { 1.0 };
        scales.push(scale);
        // The clamp keeps a value that rounds up past the largest finite one off infinity.
        codes.extend(
            row.iter()
                .map(|&v| F8E4M3::from_f32((v / scale).clamp(-max, max)).to_bits()),
        );
    }
    Fp8Weights {
        rows: w.rows,
        cols: w.cols,
        codes,
        scales,
    }
}

/// Every code's value (codes we never write, NaN and infinities, decode to 0).
pub(crate) fn decode_table() -> Vec<f32> {
    (0..=255u8)
        .map(|b| F8E4M3::from_bits(b).to_f32())
        .map(|v| if v.is_finite() { v } else { 0.0 })
        .collect()
}

#[cfg(test)]
impl Fp8Weights {
    /// `decode(code) · scale`, row-major.
    pub fn dequantize(&self) -> Vec<f32> {
        let table = decode_table();
        self.codes
            .iter()
            .enumerate()
            .map(|(i, &c)| table[c as usize] * self.scales[i / self.cols])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_error_is_within_three_mantissa_bits() {
        let data: Vec<f32> = (0..64).map(|i| (i as f32 - 31.5) * 0.37).collect();
        let w = Matrix {
            rows: 2,
            cols: 32,
            data,
        };
        let f = quantize(&w);
        let deq = f.dequantize();
        for (r, row) in w.data.chunks(32).enumerate() {
            let amax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            for (c, &v) in row.iter().enumerate() {
                let e = (v - deq[r * 32 + c]).abs();
                // Normal E4M3 numbers have 3 mantissa bits: a relative error of at most 2^-4;
                // below the normal range the absolute error is bounded by the subnormal step.
                let subnormal_step = f.scales[r] * 2f32.powi(-9);
                assert!(
                    e <= v.abs() / 16.0 + subnormal_step,
                    "{v} -> {}",
                    deq[r * 32 + c]
                );
            }
            // The largest weight is representable exactly (it is the top of the scale).
            let imax = row.iter().position(|v| v.abs() == amax).unwrap();
            assert!((deq[r * 32 + imax] - row[imax]).abs() <= 1e-5 * amax);
        }
    }

    #[test]
    fn table_is_finite_and_symmetric() {
        let t = decode_table();
        assert!(t.iter().all(|v| v.is_finite()));
        assert_eq!(t[0x01], -t[0x81]);
        assert_eq!(max_finite(), 448.0);
        assert_eq!(F8E4M3::from_f32(448.0).to_bits(), 0x7E);
    }
}
