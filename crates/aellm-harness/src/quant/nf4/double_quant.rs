//! Double quantization (QLoRA §3): the per-block f32 absmax constants are themselves quantized
//! to 8 bits in blocks of 256, as bitsandbytes does with `compress_statistics=True`.
//!
//! Faithful to bitsandbytes: subtract the mean of the constants (they are all positive, so
//! centring them uses the signed code's both halves), then blockwise-quantize with the signed
//! 8-bit *dynamic* map (`create_dynamic_map(signed=True)`), one f32 absmax per 256 constants.

use std::sync::OnceLock;

/// Constants per second-level block (the paper's block size 256).
pub const DQ_BLOCK: usize = 256;

/// bitsandbytes' signed 8-bit dynamic map, sorted: 0, 1 and, for each decade `10^(i-6)`,
/// `i = 0..7`, `2^i` evenly spaced fractions in `(0.1, 1)` of both signs: 256 values.
pub(super) fn dynamic_map() -> &'static [f32; 256] {
    static MAP: OnceLock<[f32; 256]> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut data = Vec::with_capacity(256);
        for i in 0..7i32 {
            let items = (1usize << i) + 1;
            let step = 0.9 / (items - 1) as f64;
            let decade = 10f64.powi(i - 6);
            for k in 0..items - 1 {
                // Mean of two neighbouring boundaries of linspace(0.1, 1, items).
                let mean = 0.1 + step * (k as f64 + 0.5);
                data.push((decade * mean) as f32);
                data.push((-decade * mean) as f32);
            }
        }
        data.push(0.0);
        data.push(1.0);
        data.sort_by(f32::total_cmp);
        let mut map = [0f32; 256];
        map.copy_from_slice(&data);
        map
    })
}

/// Index of the map value nearest to `v`.
fn nearest(map: &[f32; 256], v: f32) -> u8 {
    let hi = map.partition_point(|&m| m < v).min(255);
    let lo = hi.saturating_sub(1);
    let best = if (v - map[lo]).abs() <= (map[hi] - v).abs() {
        lo
    } else {
        hi
    };
    best as u8
}

/// Absmax constants stored as 8-bit codes, one f32 scale per [`DQ_BLOCK`] codes, and their mean.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DoubleQuantized {
    codes: Vec<u8>,
    scales: Vec<f32>,
    offset: f32,
}

impl DoubleQuantized {
    /// Quantizes the constants `c` (finite).
    pub fn quantize(c: &[f32]) -> Self {
        let map = dynamic_map();
        let offset = if c.is_empty() {
            0.0
        } else {
            (c.iter().map(|&v| f64::from(v)).sum::<f64>() / c.len() as f64) as f32
        };
        let mut codes = Vec::with_capacity(c.len());
        let mut scales = Vec::with_capacity(c.len().div_ceil(DQ_BLOCK));
        for block in c.chunks(DQ_BLOCK) {
            let scale = block.iter().fold(0f32, |m, &v| m.max((v - offset).abs()));
            scales.push(scale);
            codes.extend(block.iter().map(|&v| {
                let x = if scale > 0.0 {
                    (v - offset) / scale
                } else {
                    0.0
                };
                nearest(map, x)
            }));
        }
        DoubleQuantized {
            codes,
            scales,
            offset,
        }
    }

    /// The constants as stored: `map[code] · scale + offset`.
    pub fn dequantize(&self) -> Vec<f32> {
        let map = dynamic_map();
        self.codes
            .chunks(DQ_BLOCK)
            .zip(&self.scales)
            .flat_map(|(block, &s)| {
                block
                    .iter()
                    .map(move |&q| map[q as usize] * s + self.offset)
            })
            .collect()
    }

    /// Bytes held: one per code, four per scale, four for the offset.
    pub fn bytes(&self) -> usize {
        self.codes.len() + 4 * self.scales.len() + 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_map_is_bitsandbytes_signed_map() {
        let m = dynamic_map();
        assert!(m.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(m[0], -0.99296875);
        assert_eq!(m[255], 1.0);
        assert_eq!(m.iter().filter(|&&v| v == 0.0).count(), 1);
        // Smallest magnitude: 1e-6 times the midpoint of linspace(0.1, 1, 2).
        let smallest = m.iter().map(|v| v.abs()).filter(|&v| v > 0.0);
        let smallest = smallest.fold(f32::MAX, f32::min);
        assert!((smallest - 0.55e-6).abs() < 1e-12);
    }

    #[test]
    fn round_trip_error_is_small_relative_to_the_block_scale() {
        let c: Vec<f32> = (0..600)
            .map(|i| 0.01 + 0.002 * ((i * 37) % 101) as f32)
            .collect();
        let dq = DoubleQuantized::quantize(&c);
        let back = dq.dequantize();
        assert_eq!(back.len(), c.len());
        for (block, (orig, got)) in c
            .chunks(DQ_BLOCK)
            .zip(c.chunks(DQ_BLOCK).zip(back.chunks(DQ_BLOCK)))
        {
            let scale = block
                .iter()
                .fold(0f32, |m, &v| m.max((v - dq.offset).abs()));
            for (a, b) in orig.iter().zip(got) {
                // The dynamic map's widest gap near ±1 is 0.9/64 / 1 ≈ 0.0141 of the scale.
                assert!((a - b).abs() <= 0.0071 * scale + 1e-7, "{a} vs {b}");
            }
        }
        assert_eq!(dq.bytes(), 600 + 4 * 3 + 4);
    }
}
