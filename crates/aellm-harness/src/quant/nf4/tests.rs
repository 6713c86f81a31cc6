use super::codes::{self, NF4_CODES, ZERO_CODE};
use super::*;
use crate::model::tests::max_diff as max_abs_diff;
use crate::quant::grid::Bits;
use candle_core::{Device, Tensor, Var};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

fn gaussian(rows: usize, cols: usize, std: f32, seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = Normal::new(0f32, std).unwrap();
    let v: Vec<f32> = (0..rows * cols).map(|_| n.sample(&mut rng)).collect();
    Tensor::from_vec(v, (rows, cols), &Device::Cpu).unwrap()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// Acklam's inverse normal CDF (relative error < 1.2e-9), central region only.
fn normal_ppf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    assert!((0.02425..=0.97575).contains(&p));
    let q = p - 0.5;
    let r = q * q;
    let num = A.iter().fold(0.0, |acc, &a| acc * r + a) * q;
    let den = B.iter().fold(0.0, |acc, &b| acc * r + b) * r + 1.0;
    num / den
}

#[test]
fn code_table_is_the_papers_normal_quantiles() {
    assert_eq!(NF4_CODES.len(), 16);
    assert!(NF4_CODES.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(NF4_CODES[0], -1.0);
    assert_eq!(NF4_CODES[15], 1.0);
    assert_eq!(NF4_CODES[ZERO_CODE as usize], 0.0);
    // bitsandbytes' create_normal_map(offset=0.9677083): 8 positive quantiles at
    // linspace(offset, 0.5, 9)[:-1], 7 negative at linspace(offset, 0.5, 8)[:-1], exact 0,
    // all divided by the largest. A symmetric or uniform table fails this.
    let offset = 0.9677083f64;
    let lin = |steps: usize| -> Vec<f64> {
        (0..steps - 1)
            .map(|i| offset + (0.5 - offset) * i as f64 / (steps - 1) as f64)
            .collect()
    };
    let top = normal_ppf(offset);
    let mut want: Vec<f64> = lin(9).iter().map(|&p| normal_ppf(p) / top).collect();
    want.extend(lin(8).iter().map(|&p| -normal_ppf(p) / top));
    want.push(0.0);
    want.sort_by(f64::total_cmp);
    for (got, want) in NF4_CODES.iter().zip(&want) {
        assert!((f64::from(*got) - want).abs() < 2e-6, "{got} vs {want}");
    }
}

#[test]
fn nearest_picks_the_closest_level() {
    for (i, &c) in NF4_CODES.iter().enumerate() {
        assert_eq!(codes::nearest(c) as usize, i);
    }
    for k in -100..=100 {
        let v = k as f32 / 100.0;
        let q = codes::nearest(v) as usize;
        let best = NF4_CODES
            .iter()
            .map(|c| (c - v).abs())
            .fold(f32::MAX, f32::min);
        assert_eq!((NF4_CODES[q] - v).abs(), best);
    }
}

proptest! {
    #[test]
    fn pack_unpack_round_trips(codes in proptest::collection::vec(0u8..16, 0..200)) {
        let packed = codes::pack(&codes);
        prop_assert_eq!(packed.len(), codes.len().div_ceil(2));
        let back: Vec<u8> = packed.iter().flat_map(|&b| codes::unpack(b)).collect();
        prop_assert_eq!(&back[..codes.len()], &codes[..]);
        if codes.len() % 2 == 1 {
            prop_assert_eq!(back[codes.len()], ZERO_CODE);
        }
    }
}

#[test]
fn round_trip_error_is_at_most_half_the_largest_gap_times_block_absmax() {
    // 100 columns: the second block of each row is padded, which must not leak into the result.
    let w = gaussian(20, 100, 0.05, 1);
    let q = Nf4Weight::quantize(&w, Constants::F32).unwrap();
    let back = q.dequantize().unwrap();
    assert_eq!(back.dims(), &[20, 100]);
    let half_gap = NF4_CODES
        .windows(2)
        .map(|p| p[1] - p[0])
        .fold(0f32, f32::max)
        / 2.0;
    let (w, back) = (flat(&w), flat(&back));
    for (row_w, row_b) in w.chunks(100).zip(back.chunks(100)) {
        for (bw, bb) in row_w.chunks(NF4_BLOCK).zip(row_b.chunks(NF4_BLOCK)) {
            let absmax = bw.iter().fold(0f32, |m, v| m.max(v.abs()));
            for (a, b) in bw.iter().zip(bb) {
                assert!(
                    (a - b).abs() <= half_gap * absmax * (1.0 + 1e-6),
                    "{a} vs {b}"
                );
            }
            // The absmax itself is a level (±1) and survives exactly.
            let i = bw.iter().position(|v| v.abs() == absmax).unwrap();
            assert_eq!(bb[i], bw[i]);
        }
    }
}

#[test]
fn nf4_beats_uniform_int4_on_gaussian_weights() {
    let (rows, cols) = (64, 512);
    let w = gaussian(rows, cols, 0.02, 2);
    let nf4 = flat(
        &Nf4Weight::quantize(&w, Constants::F32)
            .unwrap()
            .dequantize()
            .unwrap(),
    );
    let w = flat(&w);
    // The crate's INT4 RTN rounding (all 16 levels, Q4_0's rule) with the same block of 64.
    let mut int4 = Vec::with_capacity(w.len());
    for block in w.chunks(NF4_BLOCK) {
        let b64: Vec<f64> = block.iter().map(|&v| f64::from(v)).collect();
        let d = Bits::Four.group_scale(&b64, "w").unwrap();
        int4.extend(
            b64.iter()
                .map(|&v| f32::from(Bits::Four.quantize(v, d)) * d.to_f32()),
        );
    }
    let mse =
        |q: &[f32]| w.iter().zip(q).map(|(a, b)| (a - b).powi(2)).sum::<f32>() / w.len() as f32;
    let (e_nf4, e_int4) = (mse(&nf4), mse(&int4));
    assert!(e_nf4 < 0.95 * e_int4, "NF4 MSE {e_nf4} vs INT4 {e_int4}");
}

#[test]
fn double_quantization_cuts_constants_to_about_0_127_bits_per_weight() {
    let (rows, cols) = (256, 1024);
    let params = (rows * cols) as f64;
    let w = gaussian(rows, cols, 0.02, 3);
    let single = Nf4Weight::quantize(&w, Constants::F32).unwrap();
    let double = Nf4Weight::quantize(&w, Constants::DoubleQuantized).unwrap();
    assert_eq!(double.constants(), Constants::DoubleQuantized);
    let code_bytes = rows * cols / 2;
    let blocks = rows * cols / NF4_BLOCK;
    assert_eq!(single.bytes(), code_bytes + 4 * blocks);
    assert_eq!(
        double.bytes(),
        code_bytes + blocks + 4 * blocks.div_ceil(DQ_BLOCK) + 4
    );
    let const_bits = |q: &Nf4Weight| (q.bytes() - code_bytes) as f64 * 8.0 / params;
    assert!((const_bits(&single) - 0.5).abs() < 1e-12);
    assert!(
        (const_bits(&double) - 0.127).abs() < 0.001,
        "{}",
        const_bits(&double)
    );
    // Memory check: both well under 15% of the f32 weight.
    let f32_bytes = 4 * rows * cols;
    assert!(single.bytes() as f64 <= 0.15 * f32_bytes as f64);
    assert!(double.bytes() as f64 <= 0.15 * f32_bytes as f64);

    // Dequantized weights move by at most code · |Δabsmax|, and Δabsmax is at most half the
    // dynamic map's widest gap (< 0.0071) times the second-level scale.
    let a = single.block_absmax();
    let mean = a.iter().sum::<f32>() / a.len() as f32;
    let scale2 = a.iter().fold(0f32, |m, v| m.max((v - mean).abs()));
    let (s, d) = (single.dequantize().unwrap(), double.dequantize().unwrap());
    let moved = max_abs_diff(&s, &d);
    assert!(moved > 0.0);
    assert!(moved <= 0.0071 * scale2 + 1e-7, "{moved} vs {scale2}");
    let err = |t: &Tensor| {
        (t - &w)
            .unwrap()
            .sqr()
            .unwrap()
            .mean_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    assert!(err(&d) < 1.02 * err(&s));
}

#[test]
fn zero_weights_and_bad_inputs() {
    let z = Tensor::zeros((3, 64), candle_core::DType::F32, &Device::Cpu).unwrap();
    let q = Nf4Weight::quantize(&z, Constants::DoubleQuantized).unwrap();
    assert_eq!(max_abs_diff(&q.dequantize().unwrap(), &z), 0.0);

    let v = Tensor::zeros(8, candle_core::DType::F32, &Device::Cpu).unwrap();
    let e = Nf4Weight::quantize(&v, Constants::F32).unwrap_err();
    assert!(matches!(e, QuantError::NotMatrix { .. }), "{e}");
    let nan = Tensor::new(&[[1f32, f32::NAN]], &Device::Cpu).unwrap();
    let e = Nf4Weight::quantize(&nan, Constants::F32).unwrap_err();
    assert!(matches!(e, QuantError::NonFinite { col: 1, .. }), "{e}");
    let empty = Tensor::zeros((0, 4), candle_core::DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(
        Nf4Weight::quantize(&empty, Constants::F32),
        Err(QuantError::EmptyWeight { .. })
    ));

    let layer = Nf4Linear::new(q);
    let x = Tensor::zeros((2, 5), candle_core::DType::F32, &Device::Cpu).unwrap();
    let msg = layer.forward(&x).unwrap_err().to_string();
    assert!(msg.contains("in-dim 64"), "{msg}");
}

#[test]
fn forward_equals_dense_matmul_of_the_dequantized_weight() {
    // 300 rows span two tiles; 96 columns pad the second block.
    let (out, inp) = (TILE_ROWS + 44, 96);
    let w = gaussian(out, inp, 0.05, 4);
    let layer = Nf4Linear::from_tensor(&w, Constants::DoubleQuantized).unwrap();
    let dense = layer.weight().dequantize().unwrap();
    let x = gaussian(6, inp, 1.0, 5).reshape((2, 3, inp)).unwrap();
    let y = layer.forward(&x).unwrap();
    assert_eq!(y.dims(), &[2, 3, out]);
    let want = x.broadcast_matmul(&dense.t().unwrap()).unwrap();
    assert!(max_abs_diff(&y, &want) < 1e-5);
    // A strided (transposed) input and a half-precision one take the same path.
    let xt = gaussian(inp, 4, 1.0, 6).t().unwrap();
    let want = xt.matmul(&dense.t().unwrap()).unwrap();
    assert!(max_abs_diff(&layer.forward(&xt).unwrap(), &want) < 1e-5);
    let yh = layer
        .forward(&xt.to_dtype(candle_core::DType::BF16).unwrap())
        .unwrap();
    assert_eq!(yh.dtype(), candle_core::DType::BF16);
}

use super::matmul::TILE_ROWS;

#[test]
fn lora_adapters_on_a_quantized_base_get_the_dense_reference_gradients() {
    let (out, inp, rank, n) = (TILE_ROWS + 8, 128, 4, 5);
    let w = gaussian(out, inp, 0.05, 7);
    let base = Nf4Linear::from_tensor(&w, Constants::DoubleQuantized).unwrap();
    let dense = base.weight().dequantize().unwrap();
    let x = Var::from_tensor(&gaussian(n, inp, 1.0, 8)).unwrap();
    let a = Var::from_tensor(&gaussian(rank, inp, 0.1, 9)).unwrap();
    let b = Var::from_tensor(&gaussian(out, rank, 0.1, 10)).unwrap();
    let lora = |x: &Tensor| {
        x.matmul(&a.as_tensor().t().unwrap())
            .unwrap()
            .matmul(&b.as_tensor().t().unwrap())
            .unwrap()
    };
    let loss = |y: Tensor| y.sqr().unwrap().sum_all().unwrap();

    let y = (base.forward(x.as_tensor()).unwrap() + lora(x.as_tensor())).unwrap();
    let g = loss(y).backward().unwrap();
    let y_ref = (x.as_tensor().matmul(&dense.t().unwrap()).unwrap() + lora(x.as_tensor())).unwrap();
    let g_ref = loss(y_ref).backward().unwrap();

    for (name, v) in [("x", &x), ("A", &a), ("B", &b)] {
        let got = g.get(v.as_tensor()).unwrap();
        let want = g_ref.get(v.as_tensor()).unwrap();
        let scale = max_abs_diff(want, &want.zeros_like().unwrap());
        assert!(scale > 0.0, "{name} got no gradient");
        assert!(max_abs_diff(got, want) <= 1e-4 * scale.max(1.0), "{name}");
    }
}

#[test]
fn adjoint_op_multiplies_by_w() {
    let w = gaussian(16, 64, 0.1, 11);
    let base = Nf4Linear::from_tensor(&w, Constants::F32).unwrap();
    let dense = base.weight().dequantize().unwrap();
    let g = gaussian(3, 16, 1.0, 12);
    let op = Nf4MatMul::new(std::sync::Arc::new(base.weight().clone())).transposed();
    let got = g.apply_op1(op).unwrap();
    assert!(max_abs_diff(&got, &g.matmul(&dense).unwrap()) < 1e-5);
}
