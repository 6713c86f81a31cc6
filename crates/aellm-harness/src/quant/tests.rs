//! Each method against a property only the real algorithm has, on small random layers whose
//! inputs are correlated and carry a few outlier channels, as LLM activations do.

use super::*;
use candle_core::{DType, Module};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

const IN: usize = 128;
const N: usize = 256;
/// Input channels 30x larger than the rest.
const OUTLIERS: [usize; 4] = [3, 40, 77, 100];

/// `‖a − b‖ / ‖b‖` over all elements.
pub(crate) fn relative_error(a: &Tensor, b: &Tensor) -> f32 {
    let d = (a - b).unwrap().sqr().unwrap().sum_all().unwrap();
    let n = b.sqr().unwrap().sum_all().unwrap();
    (d.to_scalar::<f32>().unwrap() / n.to_scalar::<f32>().unwrap()).sqrt()
}

fn normal(rng: &mut ChaCha8Rng, len: usize, std: f32) -> Vec<f32> {
    let d = Normal::new(0f32, std).unwrap();
    (0..len).map(|_| d.sample(rng)).collect()
}

/// Weights `[out, IN]` and calibration inputs `[N, IN]`: a rank-16 mixture plus noise, with outliers.
fn layer(out: usize, seed: u64) -> (Tensor, Tensor) {
    layer_of(out, IN, seed)
}

/// [`layer`] with a chosen input width (outliers at the same channels).
fn layer_of(out: usize, width: usize, seed: u64) -> (Tensor, Tensor) {
    layer_rows(out, width, N, seed)
}

/// [`layer`] with `2N` input rows from one distribution: `N` to calibrate on, `N` held out.
fn layer_held_out(out: usize, seed: u64) -> (Tensor, Tensor, Tensor) {
    let (w, x) = layer_rows(out, IN, 2 * N, seed);
    (w, x.narrow(0, 0, N).unwrap(), x.narrow(0, N, N).unwrap())
}

fn layer_rows(out: usize, width: usize, rows: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dev = Device::Cpu;
    let w = Tensor::from_vec(normal(&mut rng, out * width, 0.1), (out, width), &dev).unwrap();
    let z = Tensor::from_vec(normal(&mut rng, rows * 16, 1.0), (rows, 16), &dev).unwrap();
    let a = Tensor::from_vec(normal(&mut rng, 16 * width, 0.5), (16, width), &dev).unwrap();
    let noise = Tensor::from_vec(normal(&mut rng, rows * width, 0.3), (rows, width), &dev).unwrap();
    let gain: Vec<f32> = (0..width)
        .map(|j| if OUTLIERS.contains(&j) { 30.0 } else { 1.0 })
        .collect();
    let gain = Tensor::from_vec(gain, width, &dev).unwrap();
    let x = (z.matmul(&a).unwrap() + noise)
        .unwrap()
        .broadcast_mul(&gain)
        .unwrap();
    (w, x)
}

fn spec(p: WeightPrecision, m: Option<QuantMethod>) -> QuantSpec {
    QuantSpec::new(p, m)
}

fn sq_norm(t: &Tensor) -> f32 {
    t.sqr()
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// `‖X Wᵀ − (X/s) Q(W·diag(s))ᵀ‖² / ‖X Wᵀ‖²` summed over the group, with full-precision
/// activations: the weight quantization error seen through the calibration data.
fn weight_error(ws: &[&Tensor], x: &Tensor, g: &QuantizedGroup) -> f32 {
    let xs = g.scale_input(x).unwrap();
    let (mut err, mut norm) = (0f32, 0f32);
    for (w, l) in ws.iter().zip(&g.linears) {
        let y = x.matmul(&w.t().unwrap()).unwrap();
        let yq = xs
            .matmul(&l.dequantized_weight().unwrap().t().unwrap())
            .unwrap();
        err += sq_norm(&(&y - yq).unwrap());
        norm += sq_norm(&y);
    }
    err / norm
}

/// The same through each layer's real `forward` (INT8/INT4: activations quantized by candle).
fn forward_error(ws: &[&Tensor], x: &Tensor, g: &QuantizedGroup) -> f32 {
    let xs = g.scale_input(x).unwrap();
    let (mut err, mut norm) = (0f32, 0f32);
    for (w, l) in ws.iter().zip(&g.linears) {
        let y = x.matmul(&w.t().unwrap()).unwrap();
        err += sq_norm(&(&y - l.forward(&xs).unwrap()).unwrap());
        norm += sq_norm(&y);
    }
    err / norm
}

fn quantized(
    ws: &[&Tensor],
    x: &Tensor,
    p: WeightPrecision,
    m: Option<QuantMethod>,
) -> QuantizedGroup {
    quantize_group(ws, x, &spec(p, m)).unwrap()
}

#[test]
fn gptq_beats_rtn_at_the_same_bits() {
    let (w, x, held) = layer_held_out(64, 1);
    for p in [WeightPrecision::Int4, WeightPrecision::Int8] {
        let rtn = quantized(&[&w], &x, p, Some(QuantMethod::Rtn));
        let gptq = quantized(&[&w], &x, p, Some(QuantMethod::Gptq));
        for (data, name) in [(&x, "calibration"), (&held, "held-out")] {
            let (r, g) = (
                weight_error(&[&w], data, &rtn),
                weight_error(&[&w], data, &gptq),
            );
            eprintln!("{p} {name}: RTN {r:.3e}, GPTQ {g:.3e}");
            // Error feedback through H⁻¹ must do clearly better than rounding each weight alone,
            // on the rows it saw and on fresh rows of the same distribution.
            assert!(g < 0.8 * r, "{p} {name}: GPTQ {g} vs RTN {r}");
        }
    }
}

#[test]
fn awq_beats_rtn_on_activation_weighted_error() {
    let (w1, x, held) = layer_held_out(64, 2);
    let (w2, _) = layer(32, 3);
    let ws = [&w1, &w2];
    let p = WeightPrecision::Int4;
    let rtn = quantized(&ws, &x, p, Some(QuantMethod::Rtn));
    let g = quantized(&ws, &x, p, Some(QuantMethod::Awq));
    for (data, name) in [(&x, "calibration"), (&held, "held-out")] {
        let (r, a) = (weight_error(&ws, data, &rtn), weight_error(&ws, data, &g));
        eprintln!("INT4 {name}: RTN {r:.3e}, AWQ {a:.3e}");
        assert!(a < 0.9 * r, "{name}: AWQ {a} vs RTN {r}");
    }
    // The search picked α > 0: the outlier channels got the largest scales.
    let s = g.input_scale.as_ref().unwrap().to_vec1::<f32>().unwrap();
    let top = s.iter().copied().fold(0f32, f32::max);
    assert!(OUTLIERS.iter().all(|&j| s[j] > 0.5 * top), "{s:?}");
}

/// Largest per-channel max |x| over the mean of them.
fn outlier_ratio(x: &Tensor) -> f32 {
    let m = x.abs().unwrap().max(0).unwrap().to_vec1::<f32>().unwrap();
    m.iter().copied().fold(0f32, f32::max) / (m.iter().sum::<f32>() / m.len() as f32)
}

#[test]
fn smoothquant_tames_outliers_and_beats_naive_w8a8() {
    // Width 256 also takes candle's x86 VNNI path (Q8K activations) where the CPU has it.
    for width in [IN, 256] {
        let (w, x) = layer_of(64, width, 4);
        let p = WeightPrecision::Int8;
        let g = quantized(&[&w], &x, p, Some(QuantMethod::SmoothQuant));
        let before = outlier_ratio(&x);
        let after = outlier_ratio(&g.scale_input(&x).unwrap());
        eprintln!("in {width}: outlier ratio: X {before:.2}, X/s {after:.2}");
        assert!(after < 0.5 * before, "{after} vs {before}");
        // Both run W8A8 through candle's quantized matmul, which quantizes the activations itself.
        let naive = forward_error(&[&w], &x, &quantized(&[&w], &x, p, Some(QuantMethod::Rtn)));
        let smooth = forward_error(&[&w], &x, &g);
        eprintln!("in {width}: W8A8 output error: naive {naive:.3e}, SmoothQuant {smooth:.3e}");
        assert!(smooth < naive, "SmoothQuant {smooth} vs naive {naive}");
    }
}

#[test]
fn error_falls_with_precision() {
    let (w, x) = layer(64, 5);
    let e = |p, m| weight_error(&[&w], &x, &quantized(&[&w], &x, p, m));
    let int4 = e(WeightPrecision::Int4, Some(QuantMethod::Rtn));
    let fp8 = e(WeightPrecision::Fp8, None);
    let int8 = e(WeightPrecision::Int8, Some(QuantMethod::Rtn));
    let fp16 = e(WeightPrecision::Fp16, None);
    eprintln!("INT4 {int4:.3e}, FP8 {fp8:.3e}, INT8 {int8:.3e}, FP16 {fp16:.3e}");
    // FP8 (3 mantissa bits, per-row scale) sits between INT4 and INT8 (per-32 scales).
    assert!(fp16 < int8 && int8 < fp8 && fp8 < int4);
}

#[test]
fn quantized_bytes_are_a_fraction_of_fp16() {
    let (w, x) = layer(64, 6);
    let bytes = |p, m| quantized(&[&w], &x, p, m).weight_bytes();
    let fp16 = bytes(WeightPrecision::Fp16, None);
    assert_eq!(fp16, 64 * IN * 2);
    let int4 = bytes(WeightPrecision::Int4, Some(QuantMethod::Gptq));
    let int8 = bytes(WeightPrecision::Int8, Some(QuantMethod::Rtn));
    let fp8 = bytes(WeightPrecision::Fp8, None);
    assert!(int4 * 100 <= fp16 * 35, "{int4} vs {fp16}");
    assert!(int8 * 100 <= fp16 * 60, "{int8} vs {fp16}");
    assert_eq!(fp8, 64 * IN + 64 * 4);
}

#[test]
fn forward_matches_dequantized_weights_for_any_leading_shape() {
    let (w, x) = layer(32, 7);
    for (p, m) in [
        (WeightPrecision::Fp16, None),
        (WeightPrecision::Fp8, None),
        (WeightPrecision::Int8, Some(QuantMethod::Rtn)),
        (WeightPrecision::Int4, Some(QuantMethod::Gptq)),
    ] {
        let g = quantized(&[&w], &x, p, m);
        let l = &g.linears[0];
        assert_eq!((l.precision(), l.method()), (p, m));
        assert_eq!((l.out_features(), l.in_features()), (32, IN));
        let x3 = x.narrow(0, 0, 12).unwrap().reshape((3, 4, IN)).unwrap();
        let y3 = l.forward(&x3).unwrap();
        assert_eq!(y3.dims(), &[3, 4, 32]);
        let exact = x3
            .broadcast_matmul(&l.dequantized_weight().unwrap().t().unwrap())
            .unwrap();
        let rel = sq_norm(&(&y3 - &exact).unwrap()) / sq_norm(&exact);
        // Only the activations' own 8-bit (INT) or 16-bit (FP16) rounding differs.
        assert!(rel < 1e-3, "{p}: {rel}");
        let y1 = l.forward(&x.get(0).unwrap()).unwrap();
        assert_eq!(y1.dims(), &[32]);
        let yh = l.forward(&x3.to_dtype(DType::F16).unwrap()).unwrap();
        assert_eq!(yh.dtype(), DType::F16);
    }
}

#[test]
fn forward_on_a_wrong_input_is_an_error() {
    let (w, x) = layer(32, 8);
    let wrong = x.narrow(1, 0, 64).unwrap();
    for (p, m) in [
        (WeightPrecision::Fp16, None),
        (WeightPrecision::Fp8, None),
        (WeightPrecision::Int8, Some(QuantMethod::SmoothQuant)),
        (WeightPrecision::Int4, Some(QuantMethod::Awq)),
    ] {
        let g = quantized(&[&w], &x, p, m);
        assert!(g.linears[0].forward(&wrong).is_err(), "{p}");
        assert!(g.scale_input(&wrong).is_err() || g.input_scale.is_none());
    }
}

#[test]
fn specific_bad_inputs_are_errors() {
    let dev = Device::Cpu;
    let w = Tensor::ones((4, 64), DType::F32, &dev).unwrap();
    let x = Tensor::ones((8, 64), DType::F32, &dev).unwrap();
    let int4 = spec(WeightPrecision::Int4, Some(QuantMethod::Gptq));
    let err = |ws: &[&Tensor], x: &Tensor, s: &QuantSpec| quantize_group(ws, x, s).unwrap_err();
    assert!(matches!(err(&[], &x, &int4), QuantError::NoWeights));
    let narrow = Tensor::ones((4, 32), DType::F32, &dev).unwrap();
    assert!(matches!(
        err(&[&w, &narrow], &x, &int4),
        QuantError::InDimMismatch { .. }
    ));
    let odd = Tensor::ones((4, 48), DType::F32, &dev).unwrap();
    let x48 = Tensor::ones((8, 48), DType::F32, &dev).unwrap();
    assert!(matches!(
        err(&[&odd], &x48, &int4),
        QuantError::InDimNotMultiple { .. }
    ));
    // FP16 and FP8 have no block size: any width is fine.
    assert!(quantize_group(&[&odd], &x48, &spec(WeightPrecision::Fp8, None)).is_ok());
    let empty = Tensor::zeros((0, 64), DType::F32, &dev).unwrap();
    assert!(matches!(
        err(&[&w], &empty, &int4),
        QuantError::NoCalibration { .. }
    ));
    assert!(
        quantize_group(
            &[&w],
            &empty,
            &spec(WeightPrecision::Int4, Some(QuantMethod::Rtn))
        )
        .is_ok()
    );
    let nan = w.affine(f64::NAN, 0.0).unwrap();
    assert!(matches!(
        err(&[&nan], &x, &int4),
        QuantError::NonFinite { .. }
    ));
    let bad = spec(WeightPrecision::Fp16, Some(QuantMethod::Rtn));
    let msg = err(&[&w], &x, &bad).to_string();
    assert!(msg.contains("leave the method out"), "{msg}");
    let mut damp = int4;
    damp.gptq_damp = -1.0;
    assert!(matches!(
        err(&[&w], &x, &damp),
        QuantError::BadParameter {
            name: "gptq_damp",
            ..
        }
    ));
    // A rank-1 Hessian with no damping cannot be factored: an error, not a panic.
    let zeros = Tensor::zeros((8, 64), DType::F32, &dev).unwrap();
    let mut undamped = int4;
    undamped.gptq_damp = 0.0;
    let x1 = x.narrow(0, 0, 1).unwrap();
    assert!(matches!(
        err(&[&w], &x1, &undamped),
        QuantError::NotPositiveDefinite { .. }
    ));
    // A group of dead inputs is pinned instead (H_ii = 1), as GPTQ's reference does.
    assert!(quantize_group(&[&w], &zeros, &undamped).is_ok());
}

fn any_spec() -> impl Strategy<Value = QuantSpec> {
    (0usize..4, proptest::option::of(0usize..4), 0usize..3).prop_map(|(p, m, g)| {
        let mut s = QuantSpec::new(WeightPrecision::ALL[p], m.map(|m| QuantMethod::ALL[m]));
        s.group_size = [32, 64, 48][g];
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever shapes, values and spec a user passes: an error or a layer of the right shape, never a panic.
    #[test]
    fn never_panics_on_user_input(
        spec in any_spec(),
        out in 0usize..5,
        in_w in prop_oneof![Just(32usize), Just(64), 1usize..80],
        in_x in prop_oneof![Just(32usize), Just(64), 1usize..80],
        n in 0usize..6,
        rank3 in any::<bool>(),
        poison in proptest::option::of(0usize..1000),
        scale in prop_oneof![Just(1.0f32), Just(1e9f32), Just(0.0f32)],
    ) {
        let dev = Device::Cpu;
        let len = out * in_w;
        let mut data: Vec<f32> = (0..len).map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0).collect();
        data.iter_mut().for_each(|v| *v *= scale);
        if let Some(i) = poison.filter(|_| len > 0) {
            data[i % len] = f32::NAN;
        }
        let w = if rank3 {
            Tensor::from_vec(data, (1, out, in_w), &dev).unwrap()
        } else {
            Tensor::from_vec(data, (out, in_w), &dev).unwrap()
        };
        let x = Tensor::from_vec(
            (0..n * in_x).map(|i| ((i * 31) % 17) as f32 - 8.0).collect::<Vec<_>>(),
            (n, in_x),
            &dev,
        ).unwrap();
        match quantize_group(&[&w], &x, &spec) {
            Ok(g) => {
                prop_assert!(!rank3 && out > 0 && in_w == in_x && spec.validate().is_ok());
                let l = &g.linears[0];
                prop_assert_eq!((l.out_features(), l.in_features()), (out, in_w));
                if n > 0 {
                    let y = l.forward(&g.scale_input(&x).unwrap()).unwrap();
                    prop_assert_eq!(y.dims(), &[n, out]);
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
