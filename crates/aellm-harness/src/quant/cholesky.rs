//! Cholesky factorisation and inverse of a symmetric positive-definite matrix, in f64.
//!
//! Written out rather than pulling in nalgebra: GPTQ needs exactly three dense O(n³) loops
//! (factor, invert, factor again) on matrices of the layer's in-dim, and the workspace has no
//! linear-algebra crate with a Cholesky; these are the textbook algorithms, tested below.

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
        for i in j + 1..n {
            let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            l[i * n + j] = (a[i * n + j] - dot) / djj;
        }
    }
    Ok(l)
}

/// `(L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹` from the lower factor `l`.
pub(crate) fn inverse_from_lower(l: &[f64], n: usize) -> Vec<f64> {
    // M = L⁻¹ (lower triangular), by forward substitution, one column at a time.
    let mut m = vec![0f64; n * n];
    for c in 0..n {
        m[c * n + c] = 1.0 / l[c * n + c];
        for i in c + 1..n {
            let s: f64 = (c..i).map(|k| l[i * n + k] * m[k * n + c]).sum();
            m[i * n + c] = -s / l[i * n + i];
        }
    }
    // (Mᵀ M)[i][j] = Σ_k M[k][i] M[k][j], over k >= max(i, j) where both are non-zero.
    let mut inv = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let v: f64 = (i..n).map(|k| m[k * n + i] * m[k * n + j]).sum();
            inv[i * n + j] = v;
            inv[j * n + i] = v;
        }
    }
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
