//! QLoRA's frozen base: 4-bit NormalFloat (NF4) weights that stay quantized in memory, with a
//! matmul whose backward pass carries gradients to its input (Dettmers et al. 2023, §3).
//!
//! - [`Nf4Weight`]: an `[out, in]` weight stored as NF4 codes, two per byte, with one absmax
//!   per block of [`NF4_BLOCK`] = 64 input weights of a row; the absmax constants are kept as
//!   f32 or, with [`Constants::DoubleQuantized`], double-quantized to 8 bits in blocks of
//!   [`DQ_BLOCK`] = 256 (bitsandbytes' dynamic map with the mean subtracted). 4.5 bits per
//!   weight without double quantization, about 4.127 with it.
//! - [`Nf4Linear`]: `y = x·Wᵀ` through the custom op [`Nf4MatMul`], which dequantizes tiles of
//!   `W` on the fly in its forward pass and again in its backward pass (`∂x = ∂y·W`); `W` gets
//!   no gradient (it is frozen), so LoRA adapters above and below it train.
//!
//! An in-dim that is not a multiple of 64 is padded with zeros up to one (the padding is held
//! as code 7, exactly 0, so it changes no product) and cropped again on dequantization.

mod codes;
mod double_quant;
mod matmul;

pub use codes::NF4_CODES;
pub use double_quant::DQ_BLOCK;
pub use matmul::{Nf4Linear, Nf4MatMul};

use super::QuantError;
use super::matrix::Matrix;
use candle_core::{Device, Tensor};
use double_quant::DoubleQuantized;
use serde::{Deserialize, Serialize};

/// Input weights per NF4 block sharing one absmax (the paper's block size 64).
pub const NF4_BLOCK: usize = 64;

/// How the per-block absmax constants are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Constants {
    /// One f32 per block: 32/64 = 0.5 extra bits per weight.
    F32,
    /// Double quantization (QLoRA §3): 8-bit codes of the mean-subtracted constants with one
    /// f32 scale per 256 of them, 8/64 + 32/(64·256) ≈ 0.127 extra bits per weight.
    #[default]
    DoubleQuantized,
}

/// The stored absmax constants.
#[derive(Debug, Clone, PartialEq)]
enum Absmax {
    F32(Vec<f32>),
    Double(DoubleQuantized),
}

/// An `[out, in]` weight held in NF4: packed 4-bit codes and block constants, never as f32.
///
/// ```
/// use aellm_harness::quant::nf4::{Constants, Nf4Weight};
/// use candle_core::{Device, Tensor};
///
/// let w = Tensor::randn(0f32, 0.02, (128, 256), &Device::Cpu)?;
/// let q = Nf4Weight::quantize(&w, Constants::DoubleQuantized)?;
/// assert_eq!((q.out_dim(), q.in_dim()), (128, 256));
/// // 4 bits per weight plus about 0.127 bits of constants: under 13% of f32.
/// assert!(q.bytes() * 100 < 13 * 128 * 256 * 4);
/// let back = q.dequantize()?;
/// let err = (back - &w)?.abs()?.max_all()?.to_scalar::<f32>()?;
/// assert!(err < 0.02);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Nf4Weight {
    out_dim: usize,
    in_dim: usize,
    /// Row length in codes: `in_dim` rounded up to a multiple of [`NF4_BLOCK`].
    padded_in: usize,
    /// `out_dim · padded_in / 2` bytes, row-major, first code of each pair in the high nibble.
    packed: Vec<u8>,
    absmax: Absmax,
}

impl Nf4Weight {
    /// Quantizes an `[out, in]` weight of any float dtype on any device.
    ///
    /// Each block of 64 input weights of a row is divided by its absmax and rounded to the
    /// nearest of the 16 [`NF4_CODES`]. Errors on a tensor that is not 2-D, is empty or holds a
    /// non-finite value.
    pub fn quantize(weight: &Tensor, constants: Constants) -> Result<Self, QuantError> {
        let w = Matrix::from_tensor(weight, "weight")?;
        if w.rows == 0 || w.cols == 0 {
            return Err(QuantError::EmptyWeight {
                input: "weight".into(),
                rows: w.rows,
                cols: w.cols,
            });
        }
        let padded_in = w.cols.div_ceil(NF4_BLOCK) * NF4_BLOCK;
        let mut codes = Vec::with_capacity(w.rows * padded_in);
        let mut absmax = Vec::with_capacity(w.rows * padded_in / NF4_BLOCK);
        let mut block = [0f32; NF4_BLOCK];
        for r in 0..w.rows {
            for chunk in w.row(r).chunks(NF4_BLOCK) {
                block.fill(0.0);
                block[..chunk.len()].copy_from_slice(chunk);
                let m = block.iter().fold(0f32, |m, v| m.max(v.abs()));
                absmax.push(m);
                codes.extend(block.iter().map(|&v| {
                    if m > 0.0 {
                        codes::nearest(v / m)
                    } else {
                        codes::ZERO_CODE
                    }
                }));
            }
        }
        let absmax = match constants {
            Constants::F32 => Absmax::F32(absmax),
            Constants::DoubleQuantized => Absmax::Double(DoubleQuantized::quantize(&absmax)),
        };
        tracing::debug!(
            rows = w.rows,
            cols = w.cols,
            ?constants,
            "quantized a weight to NF4"
        );
        Ok(Nf4Weight {
            out_dim: w.rows,
            in_dim: w.cols,
            padded_in,
            packed: codes::pack(&codes),
            absmax,
        })
    }

    /// Output features (rows of `W`).
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// Input features (columns of `W`), before padding.
    pub fn in_dim(&self) -> usize {
        self.in_dim
    }

    /// How the block constants are stored.
    pub fn constants(&self) -> Constants {
        match self.absmax {
            Absmax::F32(_) => Constants::F32,
            Absmax::Double(_) => Constants::DoubleQuantized,
        }
    }

    /// Bytes of storage held: packed codes, block constants and, with double quantization, the
    /// second-level scales and mean. The 16-entry NF4 table and the 256-entry 8-bit map are
    /// shared constants, not counted.
    pub fn bytes(&self) -> usize {
        self.packed.len()
            + match &self.absmax {
                Absmax::F32(a) => 4 * a.len(),
                Absmax::Double(d) => d.bytes(),
            }
    }

    /// The block constants as the dequantizer uses them (double quantization undone).
    fn block_absmax(&self) -> Vec<f32> {
        match &self.absmax {
            Absmax::F32(a) => a.clone(),
            Absmax::Double(d) => d.dequantize(),
        }
    }

    /// Writes rows `start..start + n` of `W` (unpadded, `n · in_dim` values) into `out`.
    fn dequantize_rows_into(&self, absmax: &[f32], start: usize, n: usize, out: &mut [f32]) {
        let blocks_per_row = self.padded_in / NF4_BLOCK;
        let bytes_per_row = self.padded_in / 2;
        let mut row_buf = vec![0f32; self.padded_in];
        for (i, dst) in out.chunks_exact_mut(self.in_dim).take(n).enumerate() {
            let r = start + i;
            let row = &self.packed[r * bytes_per_row..(r + 1) * bytes_per_row];
            let scales = &absmax[r * blocks_per_row..(r + 1) * blocks_per_row];
            for ((vals, bytes), &s) in row_buf
                .chunks_exact_mut(NF4_BLOCK)
                .zip(row.chunks_exact(NF4_BLOCK / 2))
                .zip(scales)
            {
                for (pair, &b) in vals.chunks_exact_mut(2).zip(bytes) {
                    let [hi, lo] = codes::unpack(b);
                    pair[0] = NF4_CODES[hi as usize] * s;
                    pair[1] = NF4_CODES[lo as usize] * s;
                }
            }
            dst.copy_from_slice(&row_buf[..self.in_dim]);
        }
    }

    /// The weight as an f32 `[out, in]` tensor on the CPU. Allocates the full f32 matrix: for
    /// reference and fallback use; [`Nf4Linear`] never keeps it.
    pub fn dequantize(&self) -> candle_core::Result<Tensor> {
        let mut out = vec![0f32; self.out_dim * self.in_dim];
        self.dequantize_rows_into(&self.block_absmax(), 0, self.out_dim, &mut out);
        Tensor::from_vec(out, (self.out_dim, self.in_dim), &Device::Cpu)
    }
}

#[cfg(test)]
mod tests;
