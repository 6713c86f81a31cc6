//! GPTQ (Frantar et al., 2023): quantize one input column at a time and push each column's
//! rounding error onto the columns not yet quantized, weighted by the inverse Hessian of the
//! layer's reconstruction error `‖WX − QX‖²`.
//!
//! `H = 2XᵀX/n` (the 1/n only rescales; damping is relative), columns whose input is always zero
//! are pinned (`H_ii = 1`, weights zeroed), `H += damp·mean(diag H)·I`, and `U` is the upper
//! Cholesky factor of `H⁻¹`. For column `i`: `q = Q(w_i)`, `e = (w_i − q)/U_ii`,
//! `w_j −= e·U_ij` for `j > i`. Columns go in blocks of about 128 with the updates beyond the block
//! applied once per block (the paper's lazy batch), which gives the same result as updating every
//! column each step. A group's scale is chosen when the group's first column comes up, from the
//! weights as already updated, on the same grid as the `Q4_0`/`Q8_0` blocks, so the result is
//! stored in the block format exactly.
//!
//! `XᵀX` is one f32 matrix multiply, as the reference implementation accumulates it; `H⁻¹` and
//! its factor are computed in f64, and the column sweep runs in f32 as the reference's does (half
//! the memory traffic, twice the SIMD lanes). Rows are independent given `U`, so chunks of rows
//! are quantized in parallel.

use super::grid::{Bits, IntWeights};
use super::matrix::Matrix;
use super::{QuantError, cholesky};
use candle_core::DType;
use half::f16;
use rayon::prelude::*;

/// Columns per lazy-update block, rounded to whole groups.
const BLOCK_COLUMNS: usize = 128;

/// Weight rows per parallel task: each row of `U` fetched from memory then serves this many rows
/// while it is still in cache, and a 576-row weight still splits into dozens of tasks.
const ROW_CHUNK: usize = 16;

/// The inverse-Hessian factor of one input distribution, shared by every linear reading it.
#[derive(Debug, Clone)]
pub(crate) struct Hessian {
    n: usize,
    /// Upper Cholesky factor of `H⁻¹`, row-major `n x n`.
    u: Vec<f32>,
    /// Input channels that are zero in every calibration row.
    dead: Vec<bool>,
}

impl Hessian {
    /// Builds `H` from calibration inputs `x` (`[rows, in]`, at least one row), damps and factors it.
    pub fn from_inputs(x: &Matrix, damp: f64) -> Result<Self, QuantError> {
        let n = x.cols;
        let mut h = gram(x)?;
        let scale = 2.0 / x.rows as f64;
        h.iter_mut().for_each(|v| *v *= scale);
        // Read off the inputs, not the f32 diagonal, which could underflow for tiny live inputs.
        let dead: Vec<bool> = x.column_abs_max().iter().map(|&m| m == 0.0).collect();
        for (i, _) in dead.iter().enumerate().filter(|(_, d)| **d) {
            h[i * n + i] = 1.0;
        }
        let mean_diag = (0..n).map(|i| h[i * n + i]).sum::<f64>() / n as f64;
        for i in 0..n {
            h[i * n + i] += damp * mean_diag;
        }
        let not_pd = |pivot| QuantError::NotPositiveDefinite { pivot, damp };
        let u = cholesky::inverse_upper(&h, n).map_err(not_pd)?;
        let u = u.into_iter().map(|v| v as f32).collect();
        Ok(Hessian { n, u, dead })
    }

    /// GPTQ of `w` (`[out, in]`, `in` equal to this Hessian's width and a multiple of `group_size`).
    pub fn quantize(
        &self,
        w: &Matrix,
        bits: Bits,
        group_size: usize,
        input: &str,
    ) -> Result<IntWeights, QuantError> {
        let n = self.n;
        debug_assert_eq!(w.cols, n);
        // Given U every row is independent (its own scales and errors), so chunks of rows run
        // in parallel and are stacked back in order.
        let parts = w
            .data
            .par_chunks(ROW_CHUNK * n.max(1))
            .map(|rows| self.quantize_rows(rows, bits, group_size, input))
            .collect::<Result<Vec<_>, _>>()?;
        let mut iw = IntWeights {
            rows: w.rows,
            cols: n,
            bits,
            q: Vec::with_capacity(w.data.len()),
            d: Vec::with_capacity(w.data.len() / super::BLOCK_SIZE),
        };
        let mut loss = 0f64;
        for (part, part_loss) in parts {
            iw.q.extend(part.q);
            iw.d.extend(part.d);
            loss += part_loss;
        }
        tracing::debug!(input, loss, "GPTQ quantized a weight");
        Ok(iw)
    }

    /// The blocked column procedure on whole rows `w` (row-major, `n` wide); returns their
    /// integers and scales and their share of the loss.
    fn quantize_rows(
        &self,
        w: &[f32],
        bits: Bits,
        group_size: usize,
        input: &str,
    ) -> Result<(IntWeights, f64), QuantError> {
        let (n, u) = (self.n, &self.u);
        let rows = w.len() / n;
        let mut wf: Vec<f32> = w.to_vec();
        for row in wf.chunks_exact_mut(n) {
            for (v, _) in row.iter_mut().zip(&self.dead).filter(|(_, d)| **d) {
                *v = 0.0;
            }
        }
        let block = group_size * (BLOCK_COLUMNS / group_size).max(1);
        let mut iw = IntWeights::zeros(rows, n, bits);
        let mut d_row = vec![f16::ZERO; rows];
        let mut err = vec![0f32; rows * block];
        let mut group = vec![0f64; group_size];
        let mut loss = 0f64;
        for i1 in (0..n).step_by(block) {
            let i2 = (i1 + block).min(n);
            for i in i1..i2 {
                if i % group_size == 0 {
                    // The group lies inside this block (blocks are whole groups), fully updated.
                    for (r, d) in d_row.iter_mut().enumerate() {
                        for (g, &v) in group.iter_mut().zip(&wf[r * n + i..]) {
                            *g = f64::from(v);
                        }
                        *d = bits.group_scale(&group, input)?;
                        iw.set_scale(r, i, group_size, *d);
                    }
                }
                let uii = u[i * n + i];
                let u_row = &u[i * n + i + 1..i * n + i2];
                for (r, &d) in d_row.iter().enumerate() {
                    let row = &mut wf[r * n..(r + 1) * n];
                    let wv = row[i];
                    let q = bits.quantize(f64::from(wv), d);
                    iw.q[r * n + i] = q;
                    let e = (wv - f32::from(q) * d.to_f32()) / uii;
                    loss += f64::from(e * e) / 2.0;
                    err[r * block + i - i1] = e;
                    for (wj, &uij) in row[i + 1..i2].iter_mut().zip(u_row) {
                        *wj -= e * uij;
                    }
                }
            }
            self.lazy_update(&mut wf, &err, block, i1, i2);
        }
        Ok((iw, loss))
    }

    /// Lazy batch: the errors of block `i1..i2` reach the later columns in one pass. Each row
    /// still takes the block's errors in column order, so the sums match the per-row order.
    fn lazy_update(&self, wf: &mut [f32], err: &[f32], block: usize, i1: usize, i2: usize) {
        let (n, u) = (self.n, &self.u);
        for k in 0..i2 - i1 {
            // One row of U, kept in cache across the chunk's rows.
            let u_row = &u[(i1 + k) * n + i2..(i1 + k + 1) * n];
            for (row, errs) in wf.chunks_exact_mut(n).zip(err.chunks_exact(block)) {
                let e = errs[k];
                if e == 0.0 {
                    continue;
                }
                for (wj, &uij) in row[i2..].iter_mut().zip(u_row) {
                    *wj -= e * uij;
                }
            }
        }
    }
}

/// `XᵀX` as a row-major `n x n` f64 matrix: accumulated in f32, the precision GPTQ's reference
/// accumulates `H` in, then widened and mirrored so it is exactly symmetric.
fn gram(x: &Matrix) -> Result<Vec<f64>, QuantError> {
    let n = x.cols;
    let mut h = x
        .gram()?
        .to_dtype(DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    for i in 0..n {
        for j in 0..i {
            h[i * n + j] = h[j * n + i];
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With uncorrelated inputs of equal variance H is a multiple of I, U is diagonal, no error
    /// is pushed anywhere, and GPTQ must reduce to RTN exactly.
    #[test]
    fn reduces_to_rtn_when_inputs_are_orthogonal() {
        let n = 64;
        // Rows of a scaled identity: XᵀX = 4·I.
        let x = Matrix {
            rows: n,
            cols: n,
            data: (0..n * n)
                .map(|i| if i / n == i % n { 2.0 } else { 0.0 })
                .collect(),
        };
        let w = Matrix {
            rows: 3,
            cols: n,
            data: (0..3 * n)
                .map(|i| ((i * 31) % 17) as f32 / 17.0 - 0.5)
                .collect(),
        };
        let h = Hessian::from_inputs(&x, 0.01).unwrap();
        for bits in [Bits::Four, Bits::Eight] {
            let g = h.quantize(&w, bits, 32, "w").unwrap();
            let r = super::super::rtn::quantize(&w, bits, 32, "w").unwrap();
            assert_eq!(g, r);
        }
    }

    /// The paper's algorithm without lazy batching: every column's error updates every later
    /// column at once. Same integers as the blocked version.
    fn unblocked(h: &Hessian, w: &Matrix, bits: Bits, group: usize) -> IntWeights {
        let n = h.n;
        let mut wf: Vec<f32> = w.data.clone();
        let mut iw = IntWeights::zeros(w.rows, n, bits);
        for r in 0..w.rows {
            let row = &mut wf[r * n..(r + 1) * n];
            let mut d = half::f16::ZERO;
            for i in 0..n {
                if i % group == 0 {
                    let g: Vec<f64> = row[i..i + group].iter().map(|&v| f64::from(v)).collect();
                    d = bits.group_scale(&g, "w").unwrap();
                    iw.set_scale(r, i, group, d);
                }
                let q = bits.quantize(f64::from(row[i]), d);
                iw.q[r * n + i] = q;
                let e = (row[i] - f32::from(q) * d.to_f32()) / h.u[i * n + i];
                for (wj, &uij) in row[i + 1..]
                    .iter_mut()
                    .zip(&h.u[i * n + i + 1..(i + 1) * n])
                {
                    *wj -= e * uij;
                }
            }
        }
        iw
    }

    #[test]
    fn lazy_batches_match_the_unblocked_algorithm() {
        // 320 columns: two full blocks of 128 and a partial one, so the lazy update runs.
        let (rows, n, samples) = (4, 320, 400);
        let x = Matrix {
            rows: samples,
            cols: n,
            data: (0..samples * n)
                .map(|i| {
                    let (r, c) = (i / n, i % n);
                    // Correlated channels: each mixes two shared signals.
                    ((r * 7 + c / 3) % 11) as f32 - 5.0 + ((r * 13 + c * 17) % 7) as f32 * 0.3
                })
                .collect(),
        };
        let w = Matrix {
            rows,
            cols: n,
            data: (0..rows * n)
                .map(|i| ((i * 7919) % 201) as f32 / 100.0 - 1.0)
                .collect(),
        };
        let h = Hessian::from_inputs(&x, 0.01).unwrap();
        for (bits, group) in [(Bits::Four, 32), (Bits::Eight, 64)] {
            let blocked = h.quantize(&w, bits, group, "w").unwrap();
            let reference = unblocked(&h, &w, bits, group);
            // Only floating-point summation order differs: allow a rare flipped rounding tie.
            let same = blocked
                .q
                .iter()
                .zip(&reference.q)
                .filter(|(a, b)| a == b)
                .count();
            assert!(
                same * 1000 >= 999 * blocked.q.len(),
                "{same} of {}",
                blocked.q.len()
            );
        }
    }

    #[test]
    fn dead_input_channels_zero_their_weights() {
        let x = Matrix {
            rows: 40,
            cols: 32,
            data: (0..40 * 32)
                .map(|i| {
                    if i % 32 == 5 {
                        0.0
                    } else {
                        ((i * 13) % 7) as f32 - 3.0
                    }
                })
                .collect(),
        };
        let w = Matrix {
            rows: 2,
            cols: 32,
            data: vec![1.0; 64],
        };
        let g = Hessian::from_inputs(&x, 0.01)
            .unwrap()
            .quantize(&w, Bits::Eight, 32, "w")
            .unwrap();
        assert_eq!(g.q[5], 0);
        assert_eq!(g.q[32 + 5], 0);
    }

    /// Deterministic pseudo-normal-ish values in [-1, 1) with correlated channels.
    fn synthetic(rows: usize, cols: usize, seed: u64) -> Matrix {
        let mut s = seed;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
        };
        let mut data = Vec::with_capacity(rows * cols);
        for _ in 0..rows {
            let shared = next();
            data.extend((0..cols).map(|_| next() + 0.5 * shared));
        }
        Matrix { rows, cols, data }
    }

    /// Timing at SmolLM2-135M's shapes (576 hidden, 1536 MLP, 2048 calibration rows). Run with
    /// `cargo test --release -p aellm-harness --lib gptq_timing_at_smollm_shapes -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing run, prints seconds"]
    fn gptq_timing_at_smollm_shapes() {
        for (out, n) in [(1536, 576), (576, 1536)] {
            let x = synthetic(2048, n, 7 + n as u64);
            let w = synthetic(out, n, 11 + out as u64);
            let t = std::time::Instant::now();
            let h = Hessian::from_inputs(&x, 0.01).unwrap();
            let t_h = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            h.quantize(&w, Bits::Four, 32, "w").unwrap();
            let t_q = t.elapsed().as_secs_f64();
            println!("{out}x{n}: hessian {t_h:.3}s, quantize {t_q:.3}s");
        }
    }
}
