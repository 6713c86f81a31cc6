//! The integer grid every integer method rounds onto: levels, the per-group scale, and the
//! integers-plus-scales result that [`blocks`](super::blocks) writes out.
//!
//! A group's scale `d` is rounded to f16 *before* any weight is rounded, so `q·d` is exactly the
//! value candle's `Q8_0`/`Q4_0` blocks dequantize to, and GPTQ compensates the true error.

use super::{BLOCK_SIZE, QuantError};
use half::f16;

/// Integer width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bits {
    /// `Q4_0`: 16 levels `-8..=7`.
    Four,
    /// `Q8_0`: symmetric levels `-127..=127`.
    Eight,
}

impl Bits {
    /// Lowest level.
    pub fn qmin(self) -> i32 {
        match self {
            Bits::Four => -8,
            Bits::Eight => -127,
        }
    }

    /// Highest level.
    pub fn qmax(self) -> i32 {
        match self {
            Bits::Four => 7,
            Bits::Eight => 127,
        }
    }

    /// The symmetric scale of one group, rounded to f16.
    ///
    /// INT8: `d = max|w| / 127`. INT4 follows ggml's `Q4_0` rule: `d = m / -8` with `m` the
    /// signed weight of largest magnitude, so that weight lands exactly on level -8 and the other
    /// sign gets levels up to 7: all 16 levels are used, where `max|w| / 7` would waste one.
    pub fn group_scale(self, group: &[f64], input: &str) -> Result<f16, QuantError> {
        let m = group
            .iter()
            .copied()
            .fold(0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        let d = match self {
            Bits::Four => m / -8.0,
            Bits::Eight => m.abs() / 127.0,
        };
        let d16 = f16::from_f64(d);
        if !d16.is_finite() {
            return Err(QuantError::OutOfRange {
                input: input.to_string(),
                value: m,
                format: "an f16 block scale (|w| up to about 65504 x 127 for INT8, x 8 for INT4)",
            });
        }
        Ok(d16)
    }

    /// `w` rounded to the nearest level of scale `d`.
    pub fn quantize(self, w: f64, d: f16) -> i8 {
        let d = d.to_f64();
        if d == 0.0 {
            return 0;
        }
        ((w / d).round() as i32).clamp(self.qmin(), self.qmax()) as i8
    }
}

/// Integer weights: `w[r][c] ≈ q[r][c] · d[r][c / 32]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IntWeights {
    pub rows: usize,
    pub cols: usize,
    pub bits: Bits,
    /// Row-major integers, each within `bits`' levels.
    pub q: Vec<i8>,
    /// One f16 scale per block of 32 along each row (a larger group repeats its scale).
    pub d: Vec<f16>,
}

impl IntWeights {
    /// All-zero weights to be filled in.
    pub fn zeros(rows: usize, cols: usize, bits: Bits) -> Self {
        IntWeights {
            rows,
            cols,
            bits,
            q: vec![0; rows * cols],
            d: vec![f16::ZERO; rows * cols / BLOCK_SIZE],
        }
    }

    /// Sets the scale of columns `c0..c0 + len` of row `r`.
    pub fn set_scale(&mut self, r: usize, c0: usize, len: usize, d: f16) {
        let per_row = self.cols / BLOCK_SIZE;
        for b in c0 / BLOCK_SIZE..(c0 + len) / BLOCK_SIZE {
            self.d[r * per_row + b] = d;
        }
    }

    /// Scale of weight `(r, c)`.
    pub fn scale(&self, r: usize, c: usize) -> f16 {
        self.d[r * (self.cols / BLOCK_SIZE) + c / BLOCK_SIZE]
    }

    /// `q · d` row-major, computed as candle dequantizes (`q as f32 * d.to_f32()`).
    pub fn dequantize(&self) -> Vec<f32> {
        (0..self.rows * self.cols)
            .map(|i| {
                let (r, c) = (i / self.cols, i % self.cols);
                self.q[i] as f32 * self.scale(r, c).to_f32()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int4_puts_the_largest_weight_on_minus_eight() {
        let g = [0.5, -0.25, 1.6, -1.0];
        let d = Bits::Four.group_scale(&g, "w").unwrap();
        assert_eq!(Bits::Four.quantize(1.6, d), -8);
        // The opposite sign reaches +7 at most.
        assert_eq!(Bits::Four.quantize(-1.6, d), 7);
        let d8 = Bits::Eight.group_scale(&g, "w").unwrap();
        assert_eq!(Bits::Eight.quantize(1.6, d8), 127);
        assert_eq!(Bits::Eight.quantize(-1.6, d8), -127);
    }

    #[test]
    fn zero_group_and_overflow() {
        let d = Bits::Four.group_scale(&[0.0; 4], "w").unwrap();
        assert_eq!(Bits::Four.quantize(0.3, d), 0);
        assert!(matches!(
            Bits::Four.group_scale(&[1e7], "w"),
            Err(QuantError::OutOfRange { .. })
        ));
    }
}
