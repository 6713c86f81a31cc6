//! Best rank-r factorisation of a matrix (Eckart–Young), for MLA conversion.
//!
//! Written here because no linear-algebra crate is reachable from this
//! build (nalgebra is not in the offline registry); the matrices are small
//! (at most a few hundred wide), so a cyclic Jacobi eigensolver on the Gram
//! matrix is exact enough and fast.

use candle_core::{DType, Result, Tensor};

/// Eigenvalues (descending) and eigenvectors (columns, same order) of a
/// symmetric `n × n` matrix given row-major.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        let diag: f64 = (0..n).map(|i| a[i * n + i] * a[i * n + i]).sum();
        if off <= 1e-22 * diag.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j * n + j].total_cmp(&a[i * n + i]));
    let vals = order.iter().map(|&i| a[i * n + i]).collect();
    let mut vecs = vec![0.0; n * n];
    for (c, &i) in order.iter().enumerate() {
        for k in 0..n {
            vecs[k * n + c] = v[k * n + i];
        }
    }
    (vals, vecs)
}

/// The best rank-`r` factorisation `w ≈ up · down` of `w [m, n]`, with
/// `down [r, n] = Σ^½ Vᵀ` and `up [m, r] = U Σ^½` (the truncated SVD split
/// evenly between the two factors).
pub fn factorise(w: &Tensor, r: usize) -> Result<(Tensor, Tensor)> {
    let (m, n) = w.dims2()?;
    let wd = w.to_dtype(DType::F64)?;
    let gram: Vec<f64> = wd.t()?.matmul(&wd)?.flatten_all()?.to_vec1()?;
    let (vals, vecs) = symmetric_eigen(&gram, n);
    let r = r.min(n).min(m);
    let vr = Tensor::from_vec(vecs, (n, n), w.device())?.narrow(1, 0, r)?;
    let sigma: Vec<f64> = vals[..r]
        .iter()
        .map(|l| l.max(0.0).sqrt().max(1e-12))
        .collect();
    let s_half = Tensor::from_vec(
        sigma.iter().map(|s| s.sqrt()).collect::<Vec<_>>(),
        r,
        w.device(),
    )?;
    let s_inv_half = Tensor::from_vec(
        sigma.iter().map(|s| 1.0 / s.sqrt()).collect::<Vec<_>>(),
        r,
        w.device(),
    )?;
    let down = vr.t()?.broadcast_mul(&s_half.unsqueeze(1)?)?;
    let up = wd.matmul(&vr)?.broadcast_mul(&s_inv_half.unsqueeze(0)?)?;
    Ok((up.to_dtype(w.dtype())?, down.to_dtype(w.dtype())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn full_rank_reconstructs_and_truncation_error_is_the_dropped_spectrum() {
        let dev = Device::Cpu;
        let w = Tensor::randn(0f64, 1., (12, 7), &dev).unwrap();
        let (up, down) = factorise(&w, 7).unwrap();
        let err = (up.matmul(&down).unwrap() - &w)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap();
        assert!(err.to_scalar::<f64>().unwrap() < 1e-8);

        // Eckart–Young: the squared Frobenius error of rank r is the sum of the dropped eigenvalues.
        let gram: Vec<f64> = w
            .t()
            .unwrap()
            .matmul(&w)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let (vals, _) = symmetric_eigen(&gram, 7);
        let (up, down) = factorise(&w, 3).unwrap();
        let e2 = (up.matmul(&down).unwrap() - &w)
            .unwrap()
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap();
        let dropped: f64 = vals[3..].iter().sum();
        assert!((e2.to_scalar::<f64>().unwrap() - dropped).abs() < 1e-8 * dropped.max(1.0));
    }
}
