//! The factor GPTQ needs: the upper Cholesky factor of the inverse of a symmetric
//! positive-definite matrix, with faer's blocked, parallel Cholesky and inverse (f64).

use faer::linalg::solvers::{DenseSolveCore, LltError};
use faer::{Mat, Side};

/// `U` (`n x n`, row-major, upper triangular) with `Uᵀ U = a⁻¹`, as the GPTQ reference gets it:
/// factor `a`, invert from the factor, factor the inverse. `Err(pivot)` names the first pivot
/// where `a` (or, numerically, its inverse) proved not positive definite.
pub(crate) fn inverse_upper(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let pivot = |e: LltError| match e {
        LltError::NonPositivePivot { index } => index,
    };
    let a = Mat::from_fn(n, n, |i, j| a[i * n + j]);
    let inv = a.llt(Side::Lower).map_err(pivot)?.inverse();
    let l = inv.llt(Side::Lower).map_err(pivot)?;
    let l = l.L();
    // U = Lᵀ: row i of U is column i of L, from the diagonal down.
    let mut u = vec![0f64; n * n];
    for i in 0..n {
        for j in i..n {
            u[i * n + j] = l[(j, i)];
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

    #[test]
    fn the_factor_is_upper_and_inverts_the_matrix() {
        for n in [1, 9, 70] {
            let a = spd(n);
            let u = inverse_upper(&a, n).unwrap();
            assert!((0..n).all(|i| (0..i).all(|j| u[i * n + j] == 0.0)));
            assert!((0..n).all(|i| u[i * n + i] > 0.0));
            // a · (Uᵀ U) = I.
            let eye = matmul(&a, &matmul(&transpose(&u, n), &u, n), n);
            for (k, v) in eye.iter().enumerate() {
                let want = f64::from(u8::from(k / n == k % n));
                assert!((v - want).abs() < 1e-9, "n={n} [{k}] {v}");
            }
        }
    }

    #[test]
    fn indefinite_matrix_names_its_pivot() {
        let a = [1.0, 2.0, 2.0, 1.0];
        assert_eq!(inverse_upper(&a, 2), Err(1));
    }
}
