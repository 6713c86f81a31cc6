//! Cholesky factorisation and inverse of a symmetric positive-definite matrix, in f64.
//!
//! Written out rather than pulling in nalgebra: GPTQ needs exactly three dense O(n³) loops
//! (factor, invert, factor again) on matrices of the layer's in-dim, and the workspace has no
//! linear-algebra crate with a Cholesky; these are the textbook algorithms, tested below.

use rayon::prelude::*;

/// Lower factor `L` of `a` (`n x n`, row-major): `a = L Lᵀ`. `Err(j)` names the pivot where
/// `a` proved not positive definite.
pub(crate) fn lower(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0f64; n * n];
    for j in 0..n {
        let lj = &l[j * n..j * n + j];
        let d = a[j * n + j] - lj.iter().map(|v| v * v).sum::<f64>();
        if !(d > 0.0 && d.is_finite()) {
            return Err(j);
        }
        let djj = d.sqrt();
        l[j * n + j] = djj;
        // The rows below j each take one dot product with row j: independent, so in parallel.
        let (done, below) = l.split_at_mut((j + 1) * n);
        let lj = &done[j * n..j * n + j];
        below.par_chunks_mut(n).enumerate().for_each(|(r, li)| {
            let i = j + 1 + r;
            let dot: f64 = li[..j].iter().zip(lj).map(|(x, y)| x * y).sum();
            li[j] = (a[i * n + j] - dot) / djj;
        });
    }
    Ok(l)
}

/// `(L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹` from the lower factor `l`.
pub(crate) fn inverse_from_lower(l: &[f64], n: usize) -> Vec<f64> {
    // T = (L⁻¹)ᵀ, stored row-major so that both loops below read rows (contiguous memory)
    // rather than columns; row c of T is column c of L⁻¹, found by forward substitution
    // independently of the others, so rows run in parallel. Same sums in the same order as
    // the column-wise textbook loop.
    let mut t = vec![0f64; n * n];
    t.par_chunks_mut(n.max(1)).enumerate().for_each(|(c, tc)| {
        tc[c] = 1.0 / l[c * n + c];
        for i in c + 1..n {
            let s: f64 = (c..i).map(|k| l[i * n + k] * tc[k]).sum();
            tc[i] = -s / l[i * n + i];
        }
    });
    // (Mᵀ M)[i][j] = Σ_k T[i][k] T[j][k], over k >= max(i, j) where both are non-zero.
    let mut inv = vec![0f64; n * n];
    inv.par_chunks_mut(n.max(1))
        .enumerate()
        .for_each(|(i, row)| {
            for (j, v) in row.iter_mut().enumerate() {
                let k0 = i.max(j);
                *v = t[i * n + k0..(i + 1) * n]
                    .iter()
                    .zip(&t[j * n + k0..(j + 1) * n])
                    .map(|(a, b)| a * b)
                    .sum();
            }
        });
    inv
}

/// Upper factor `U` of `a`: `a = Uᵀ U` (the transpose of the lower factor).
pub(crate) fn upper(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let l = lower(a, n)?;
    let mut u = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            u[j * n + i] = l[i * n + j];
        }
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
        let mut c = vec![0f64; n * n];
        for i in 0..n {
            for k in 0..n {
                for j in 0..n {
                    c[i * n + j] += a[i * n + k] * b[k * n + j];
                }
            }
        }
        c
    }

    fn transpose(a: &[f64], n: usize) -> Vec<f64> {
        (0..n * n).map(|i| a[(i % n) * n + i / n]).collect()
    }

    fn spd(n: usize) -> Vec<f64> {
        // B Bᵀ + I with a fixed, non-symmetric B.
        let b: Vec<f64> = (0..n * n)
            .map(|i| ((i * 7919) % 13) as f64 / 13.0 - 0.5)
            .collect();
        let mut a = matmul(&b, &transpose(&b, n), n);
        for i in 0..n {
            a[i * n + i] += 1.0;
        }
        a
    }

    fn assert_close(a: &[f64], b: &[f64]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-9, "{x} vs {y}");
        }
    }

    #[test]
    fn factors_reconstruct_and_inverse_inverts() {
        let n = 9;
        let a = spd(n);
        let l = lower(&a, n).unwrap();
        assert_close(&matmul(&l, &transpose(&l, n), n), &a);
        let u = upper(&a, n).unwrap();
        assert_close(&matmul(&transpose(&u, n), &u, n), &a);
        assert!((0..n).all(|i| (0..i).all(|j| u[i * n + j] == 0.0)));
        let inv = inverse_from_lower(&l, n);
        let eye: Vec<f64> = (0..n * n)
            .map(|i| f64::from(u8::from(i / n == i % n)))
            .collect();
        assert_close(&matmul(&a, &inv, n), &eye);
    }

    #[test]
    fn indefinite_matrix_names_its_pivot() {
        let a = [1.0, 2.0, 2.0, 1.0];
        assert_eq!(lower(&a, 2), Err(1));
    }
}
