//! Best rank-r factorisation of a matrix (Eckart–Young), for MLA conversion:
//! the eigenvectors of its Gram matrix by faer's symmetric eigensolver (the
//! hand-written Jacobi sweeps it replaced took minutes on a 30-layer model).

use candle_core::{DType, Result, Tensor};
use faer::{Mat, Side};

/// Eigenvalues (descending) and eigenvectors (columns, same order) of a
/// symmetric `n × n` matrix given row-major. Fails only if the eigensolver
/// does not converge (a matrix holding NaN or infinities).
pub fn symmetric_eigen(a: &[f64], n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    if a.len() != n * n {
        candle_core::bail!("symmetric_eigen: {} values for a {n} x {n} matrix", a.len());
    }
    let m = Mat::from_fn(n, n, |i, j| a[i * n + j]);
    let evd = m
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| candle_core::Error::Msg(format!("eigensolver did not converge: {e:?}")))?;
    let (s, u) = (evd.S().column_vector(), evd.U());
    // faer sorts ascending; the callers want the largest first.
    let vals = (0..n).rev().map(|i| s[i]).collect();
    let mut vecs = vec![0.0; n * n];
    for (c, i) in (0..n).rev().enumerate() {
        for k in 0..n {
            vecs[k * n + c] = u[(k, i)];
        }
    }
    Ok((vals, vecs))
}

/// The best rank-`r` factorisation `w ≈ up · down` of `w [m, n]`, with
/// `down [r, n] = Σ^½ Vᵀ` and `up [m, r] = U Σ^½` (the truncated SVD split
/// evenly between the two factors).
pub fn factorise(w: &Tensor, r: usize) -> Result<(Tensor, Tensor)> {
    let (m, n) = w.dims2()?;
    let wd = w.to_dtype(DType::F64)?;
    let gram: Vec<f64> = wd.t()?.matmul(&wd)?.flatten_all()?.to_vec1()?;
    let (vals, vecs) = symmetric_eigen(&gram, n)?;
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
        let (vals, _) = symmetric_eigen(&gram, 7).unwrap();
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

    /// Time of one factorisation at SmolLM2's MLA shape (keys without RoPE and
    /// values of 9 heads stacked, 576 wide): `cargo test --release -p
    /// aellm-harness --lib factorise_timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn factorise_timing_at_smollm_shape() {
        let w = Tensor::randn(0f32, 1., (1008, 576), &Device::Cpu).unwrap();
        let t = std::time::Instant::now();
        let (up, down) = factorise(&w, 160).unwrap();
        println!("factorise 1008x576 to rank 160: {:?}", t.elapsed());
        assert_eq!(up.dims2().unwrap(), (1008, 160));
        assert_eq!(down.dims2().unwrap(), (160, 576));
    }
}
