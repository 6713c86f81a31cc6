//! Writes our integers and scales as candle's own block formats, byte for byte.
//!
//! Layouts, checked against candle-core 0.11.1 `src/quantized/k_quants.rs` (both `#[repr(C)]`):
//! - `BlockQ8_0 { d: f16, qs: [i8; 32] }`, 34 bytes: `w[j] = d · qs[j]`.
//! - `BlockQ4_0 { d: f16, qs: [u8; 16] }`, 18 bytes: `w[j] = d · ((qs[j] & 0x0F) − 8)` and
//!   `w[j + 16] = d · ((qs[j] >> 4) − 8)`: the low nibbles hold the first half of the block.
//!
//! The fields are `pub(crate)` in candle, so the blocks are handed over as bytes through
//! `QStorage::from_data`, which reinterprets them in place and asserts 2-byte alignment (for the
//! f16): hence [`aligned`].

use super::BLOCK_SIZE;
use super::grid::{Bits, IntWeights};
use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::{Device, Result};
use std::borrow::Cow;

/// The candle block format for `bits`.
pub(crate) fn dtype(bits: Bits) -> GgmlDType {
    match bits {
        Bits::Four => GgmlDType::Q4_0,
        Bits::Eight => GgmlDType::Q8_0,
    }
}

/// The blocks' bytes, row by row, block by block, in candle's in-memory layout.
pub(crate) fn to_bytes(iw: &IntWeights) -> Vec<u8> {
    let blocks = iw.q.chunks_exact(BLOCK_SIZE).zip(&iw.d);
    let mut out = Vec::with_capacity(iw.d.len() * dtype(iw.bits).type_size());
    for (qs, d) in blocks {
        // repr(C) f16: the native-endian bytes of its bits.
        out.extend_from_slice(&d.to_bits().to_ne_bytes());
        match iw.bits {
            Bits::Eight => out.extend(qs.iter().map(|&q| q as u8)),
            Bits::Four => {
                let (lo, hi) = qs.split_at(BLOCK_SIZE / 2);
                out.extend(
                    lo.iter()
                        .zip(hi)
                        .map(|(&a, &b)| ((a + 8) as u8) | (((b + 8) as u8) << 4)),
                );
            }
        }
    }
    out
}

/// A `[rows, cols]` quantized tensor on `device` holding exactly these integers and scales.
pub(crate) fn to_qtensor(iw: &IntWeights, device: &Device) -> Result<QTensor> {
    let bytes = to_bytes(iw);
    let mut buf = Vec::new();
    let view = aligned(&bytes, &mut buf);
    let storage = QStorage::from_data(Cow::Borrowed(view), device, dtype(iw.bits))?;
    QTensor::new(storage, (iw.rows, iw.cols))
}

/// `bytes` at a 2-byte-aligned address, copied into `buf` at an even offset when they are not,
/// so candle's alignment assertion holds without `unsafe`.
fn aligned<'a>(bytes: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    if (bytes.as_ptr() as usize).is_multiple_of(2) {
        return bytes;
    }
    buf.resize(bytes.len() + 1, 0);
    let off = buf.as_ptr() as usize % 2;
    buf[off..off + bytes.len()].copy_from_slice(bytes);
    &buf[off..off + bytes.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;
    use proptest::prelude::*;

    fn int_weights(bits: Bits, rows: usize, cols: usize, seed: u64) -> IntWeights {
        let mut iw = IntWeights::zeros(rows, cols, bits);
        let span = (bits.qmax() - bits.qmin() + 1) as u64;
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        for q in iw.q.iter_mut() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *q = (bits.qmin() as i64 + ((state >> 33) % span) as i64) as i8;
        }
        for (i, d) in iw.d.iter_mut().enumerate() {
            *d = f16::from_f32(if i % 3 == 0 {
                -0.013
            } else {
                0.5 + i as f32 * 0.01
            });
        }
        iw
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        /// candle's own dequantize of our bytes gives exactly our integers times our scales.
        #[test]
        fn candle_dequantizes_our_blocks_exactly(rows in 1usize..5, blocks in 1usize..4, seed: u64, four: bool) {
            let bits = if four { Bits::Four } else { Bits::Eight };
            let iw = int_weights(bits, rows, blocks * BLOCK_SIZE, seed);
            let qt = to_qtensor(&iw, &Device::Cpu).unwrap();
            prop_assert_eq!(qt.dtype(), dtype(bits));
            prop_assert_eq!(qt.storage_size_in_bytes(), to_bytes(&iw).len());
            let deq = qt.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            prop_assert_eq!(deq, iw.dequantize());
        }
    }

    #[test]
    fn byte_layout_matches_k_quants() {
        let mut iw = IntWeights::zeros(1, 32, Bits::Four);
        iw.q[0] = -8;
        iw.q[16] = 7;
        iw.d[0] = f16::ONE;
        let b = to_bytes(&iw);
        assert_eq!(b.len(), 18);
        assert_eq!(&b[..2], &f16::ONE.to_bits().to_ne_bytes());
        // element 0 in the low nibble (0 = -8 + 8), element 16 in the high nibble (15 = 7 + 8).
        assert_eq!(b[2], 0xF0);
        assert_eq!(b[3], 0x88);
        let mut iw8 = IntWeights::zeros(1, 32, Bits::Eight);
        iw8.q[1] = -127;
        let b8 = to_bytes(&iw8);
        assert_eq!(b8.len(), 34);
        assert_eq!(b8[3], (-127i8) as u8);
    }

    #[test]
    fn misaligned_bytes_are_realigned() {
        let src = [1u8, 2, 3, 4, 5];
        let mut buf = Vec::new();
        let v = aligned(&src[1..], &mut buf);
        assert_eq!(v, &[2, 3, 4, 5]);
        assert!((v.as_ptr() as usize).is_multiple_of(2));
    }
}
