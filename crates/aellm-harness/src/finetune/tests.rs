//! Properties only the real LoRA, RSLoRA, DoRA and QLoRA have.

use super::*;
use crate::convert;
use crate::model::{AttentionConfig, Linear, LinearRole, NamedLinear, seeded};
use crate::quant::nf4::{Constants, Nf4Linear};
use crate::tasks::{Task, TaskFamily, TaskSizes, Tokenizer, batch};
use candle_core::{Device, Module, Tensor};

const CPU: Device = Device::Cpu;

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    crate::model::tests::max_diff(a, b)
}

fn tiny() -> (ModelConfig, Weights) {
    let cfg = ModelConfig::tiny(Tokenizer.vocab());
    let (vm, _) = seeded(cfg, 3, &CPU).unwrap();
    (cfg, checkpoint::weights_of(&vm).unwrap())
}

fn tokens() -> Tensor {
    Tensor::new(&[[3u32, 9, 4, 17, 2, 11], [5, 1, 8, 8, 12, 6]], &CPU).unwrap()
}

fn frozen(cfg: ModelConfig, w: &Weights) -> Transformer {
    Transformer::load(VarBuilder::from_tensors(w.clone(), DType::F32, &CPU), &cfg).unwrap()
}

fn task(train: usize) -> Task {
    let sizes = TaskSizes {
        train,
        validation: 1,
        test: 1,
        recall_pairs: 4,
    };
    Task::generate(TaskFamily::Arithmetic, 5, sizes)
}

fn options(steps: usize) -> FinetuneOptions {
    FinetuneOptions {
        recipe: TrainRecipe {
            steps,
            batch: 4,
            ..FinetuneOptions::default().recipe
        },
        ..FinetuneOptions::default()
    }
}

const ADAPTERS: [FineTuneMethod; 3] = [
    FineTuneMethod::Lora,
    FineTuneMethod::Rslora,
    FineTuneMethod::Dora,
];

const LORA_FAMILY: [FineTuneMethod; 4] = [
    FineTuneMethod::Lora,
    FineTuneMethod::Rslora,
    FineTuneMethod::Dora,
    FineTuneMethod::Qlora,
];

#[test]
fn lora_rslora_and_dora_start_with_the_base_models_output() {
    let (cfg, w) = tiny();
    let base = frozen(cfg, &w)
        .forward(&tokens(), None, None)
        .unwrap()
        .logits;
    for m in ADAPTERS {
        let mut model = frozen(cfg, &w);
        let targets = AdapterTargets {
            attention: true,
            ffn: true,
        };
        let (vars, names) =
            attach(&mut model, &FineTuning::low_rank(m, 4, 8.0), targets, 0).unwrap();
        assert_eq!(
            names.len(),
            cfg.layers * 7,
            "{m}: every q, k, v, o, gate, up, down"
        );
        assert!(!vars.is_empty());
        let out = model.forward(&tokens(), None, None).unwrap().logits;
        let d = max_diff(&out, &base);
        // LoRA's B·A is exactly zero; DoRA's m/‖W‖ is one up to rounding.
        let tol = if m == FineTuneMethod::Dora { 1e-5 } else { 0.0 };
        assert!(d <= tol, "{m}: differs from the base by {d}");
    }
}

/// An adapter on `w` with a non-zero `B` (as after training).
fn trained(w: &Tensor, dora: bool, rank: usize, scale: f64) -> Adapted {
    let a = if dora {
        Adapted::dora(w.clone(), rank, scale, 1).unwrap()
    } else {
        Adapted::lora(w.clone(), rank, scale, 1).unwrap()
    };
    let (o, _) = w.dims2().unwrap();
    a.b.set(&Tensor::randn(0f32, 0.5, (o, rank), &CPU).unwrap())
        .unwrap();
    a
}

#[test]
fn a_merged_lora_adapter_gives_the_unmerged_output() {
    let w = Tensor::randn(0f32, 0.3, (12, 10), &CPU).unwrap();
    let x = Tensor::randn(0f32, 1.0, (2, 5, 10), &CPU).unwrap();
    for dora in [false, true] {
        let a = trained(&w, dora, 3, 2.0);
        let merged = Linear::dense(a.merged().unwrap());
        let d = max_diff(&a.forward(&x).unwrap(), &merged.forward(&x).unwrap());
        assert!(d < 1e-5, "dora {dora}: merged differs by {d}");
        // And the update is not zero, so the check has teeth.
        let base = Linear::dense(w.clone()).forward(&x).unwrap();
        assert!(max_diff(&a.forward(&x).unwrap(), &base) > 1e-2);
    }
}

#[test]
fn rslora_scales_its_update_by_alpha_over_sqrt_r_and_lora_by_alpha_over_r() {
    let (cfg, w) = tiny();
    let alpha = 12.0;
    for r in [1u32, 4, 16] {
        for (m, expect) in [
            (FineTuneMethod::Lora, alpha / r as f64),
            (FineTuneMethod::Rslora, alpha / (r as f64).sqrt()),
        ] {
            let mut model = frozen(cfg, &w);
            let ft = FineTuning::low_rank(m, r, alpha);
            attach(&mut model, &ft, AdapterTargets::default(), 0).unwrap();
            let mut checked = 0;
            for NamedLinear {
                name, linear: l, ..
            } in model.block_linears()
            {
                let Linear::Adapted(a) = l else { continue };
                let (o, _) = a.b.dims2().unwrap();
                a.b.set(&Tensor::ones((o, r as usize), DType::F32, &CPU).unwrap())
                    .unwrap();
                let ba = a.b.as_tensor().matmul(a.a.as_tensor()).unwrap();
                let dw = (a.merged().unwrap() - &w[&format!("{name}.weight")]).unwrap();
                let d = max_diff(&dw, &(ba * expect).unwrap());
                assert!(d < 1e-4, "{m} r={r} {name}: ΔW is not {expect}·B·A ({d})");
                checked += 1;
            }
            assert_eq!(checked, 4 * cfg.layers);
        }
    }
}

#[test]
fn dora_weight_is_magnitude_times_direction_and_magnitude_starts_at_row_norms() {
    let w = Tensor::randn(0f32, 0.3, (7, 9), &CPU).unwrap();
    let a = trained(&w, true, 2, 4.0);
    let AdapterKind::Dora { magnitude } = &a.kind else {
        panic!("not DoRA")
    };
    // m starts at ‖W‖ over the input dimension, one per output unit (row).
    let rows: Vec<Vec<f32>> = w.to_vec2().unwrap();
    let expect: Vec<f32> = rows
        .iter()
        .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt())
        .collect();
    let got: Vec<f32> = magnitude.to_vec1().unwrap();
    for (g, e) in got.iter().zip(&expect) {
        assert!((g - e).abs() < 1e-5, "m {g} vs column norm {e}");
    }
    // Move m off the norms; W' = m · V/‖V‖ row-wise, so each row of W' has norm m.
    let m2 = Tensor::new(&[0.5f32, 1.0, 2.0, 0.1, 3.0, 0.7, 1.3], &CPU).unwrap();
    magnitude.set(&m2).unwrap();
    let merged = a.merged().unwrap();
    assert!(max_diff(&row_norms(&merged).unwrap(), &m2) < 1e-5);
    let v = (&w + a.delta().unwrap()).unwrap();
    let dir = v
        .broadcast_div(&row_norms(&v).unwrap().unsqueeze(1).unwrap())
        .unwrap();
    let expect = dir.broadcast_mul(&m2.unsqueeze(1).unwrap()).unwrap();
    assert!(max_diff(&merged, &expect) < 1e-5);
}

#[test]
fn dora_treats_the_norm_as_a_constant_in_the_backward_pass() {
    // With the norm detached, ∂(Σ W'·G)/∂m = Σ_in (V/‖V‖)·G per row, and ∂/∂B
    // flows only through V (m/‖V‖ constant): compare with that closed form.
    let w = Tensor::randn(0f32, 0.3, (5, 6), &CPU).unwrap();
    let a = trained(&w, true, 2, 1.5);
    let x = Tensor::eye(6, DType::F32, &CPU).unwrap();
    let g = Tensor::randn(0f32, 1.0, (6, 5), &CPU).unwrap();
    let y = a.forward(&x).unwrap(); // = W'ᵀ
    let grads = (y * &g).unwrap().sum_all().unwrap().backward().unwrap();
    let AdapterKind::Dora { magnitude } = &a.kind else {
        panic!()
    };
    let v = (&w + a.delta().unwrap()).unwrap();
    let n = row_norms(&v).unwrap();
    let gt = g.t().unwrap();
    let c = (magnitude.as_tensor() / &n).unwrap().unsqueeze(1).unwrap();
    // ∂/∂V = c ⊙ Gᵀ; ∂/∂B = s · (c ⊙ Gᵀ) · Aᵀ.
    let db = (gt
        .broadcast_mul(&c)
        .unwrap()
        .matmul(&a.a.as_tensor().t().unwrap())
        .unwrap()
        * 1.5)
        .unwrap();
    assert!(max_diff(grads.get(&a.b).unwrap(), &db) < 1e-4);
    // Had the norm been differentiated, ∂/∂B would gain a term along V.
    let full = {
        let bv = candle_core::Var::from_tensor(a.b.as_tensor()).unwrap();
        let v = (&w + (bv.as_tensor().matmul(a.a.as_tensor()).unwrap() * 1.5).unwrap()).unwrap();
        let n = row_norms(&v).unwrap().unsqueeze(1).unwrap();
        let wp = v
            .broadcast_div(&n)
            .unwrap()
            .broadcast_mul(&magnitude.as_tensor().unsqueeze(1).unwrap())
            .unwrap();
        let g2 = (wp.t().unwrap() * &g)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        g2.get(&bv).unwrap().clone()
    };
    assert!(
        max_diff(&full, &db) > 1e-4,
        "the detached gradient must differ"
    );
}

fn weight_changed(a: &Tensor, b: &Tensor) -> bool {
    max_diff(a, b) > 0.0
}

#[test]
fn only_adapters_train_in_the_lora_family_and_full_trains_everything() {
    let (cfg, w) = tiny();
    let t = task(16);
    let o = options(3);
    for m in LORA_FAMILY {
        let ft = FineTuning::low_rank(m, 2, 4.0);
        let (tuned, r) = finetune(&ft, cfg, &w, &t.train, &o, &CPU).unwrap();
        let per_layer = |name: &str| {
            let (out, inp) = w[&format!("{name}.weight")].dims2().unwrap();
            2 * (out + inp) + if m == FineTuneMethod::Dora { out } else { 0 }
        };
        let expect: usize = r.adapted.iter().map(|n| per_layer(n)).sum();
        assert_eq!(
            r.cost.trainable_parameters, expect,
            "{m}: only A, B (and m) train"
        );
        assert_eq!(r.cost.optimizer_state_bytes, 8 * expect);
        for (k, before) in &w {
            let adapted = r.adapted.iter().any(|n| *k == format!("{n}.weight"));
            // QLoRA serves every block linear from its NF4 base, adapted or not.
            let block_linear = k.starts_with("layers.") && !k.contains("norm");
            let expect = adapted || (m == FineTuneMethod::Qlora && block_linear);
            let changed = weight_changed(before, &tuned[k]);
            assert_eq!(
                changed, expect,
                "{m}: {k} changed {changed}, adapted {adapted}"
            );
        }
    }
    let (tuned, r) = finetune(&FineTuning::full(), cfg, &w, &t.train, &o, &CPU).unwrap();
    assert_eq!(r.cost.trainable_parameters, cfg.parameters());
    assert!(r.adapted.is_empty());
    for (k, before) in &w {
        assert!(
            weight_changed(before, &tuned[k]),
            "full: {k} did not change"
        );
    }
}

#[test]
fn adapter_targets_choose_the_layers() {
    let (cfg, w) = tiny();
    let mut model = frozen(cfg, &w);
    let ffn_only = AdapterTargets {
        attention: false,
        ffn: true,
    };
    let ft = FineTuning::low_rank(FineTuneMethod::Lora, 2, 2.0);
    attach(&mut model, &ft, ffn_only, 0).unwrap();
    for NamedLinear {
        name,
        role,
        linear: l,
    } in model.block_linears()
    {
        let adapted = matches!(l, Linear::Adapted(_));
        assert_eq!(adapted, role == LinearRole::Ffn, "{name}");
    }
    let none = AdapterTargets {
        attention: false,
        ffn: false,
    };
    let err = attach(&mut frozen(cfg, &w), &ft, none, 0).unwrap_err();
    assert!(err.to_string().contains("enable attention or ffn"), "{err}");
}

/// Mean task loss of `w` on a fixed batch.
fn loss(cfg: ModelConfig, w: &Weights, t: &Task) -> f64 {
    let ex: Vec<_> = t.train.iter().take(32).collect();
    let b = batch(&ex, &CPU).unwrap();
    let out = frozen(cfg, w).forward(&b.input, None, None).unwrap();
    masked_loss(&out.logits, &b.target, &b.mask)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap() as f64
}

#[test]
fn each_method_lowers_the_task_loss_of_the_converted_default_model() {
    // The default model's shape, a brief pre-training, then GQA conversion:
    // the fine-tune starts from a converted model, as in the pipeline.
    let base = crate::base::BaseRecipe::tiny().model;
    let (vm, model) = seeded(base, 0, &CPU).unwrap();
    let t = task(64);
    let pre = TrainRecipe {
        steps: 15,
        batch: 8,
        lr: 3e-3,
        ..TrainRecipe::default()
    };
    train(&vm, &model, &t.train, &pre).unwrap();
    let (cfg, w) = convert::to_gqa(&base, &checkpoint::weights_of(&vm).unwrap(), 2).unwrap();
    assert_eq!(cfg.attention, AttentionConfig::Standard { kv_heads: 2 });
    let start = loss(cfg, &w, &t);
    let o = FinetuneOptions {
        recipe: TrainRecipe {
            steps: 12,
            batch: 8,
            ..FinetuneOptions::default().recipe
        },
        ..FinetuneOptions::default()
    };
    let mut methods = vec![FineTuning::full()];
    methods.extend(LORA_FAMILY.map(|m| FineTuning::low_rank(m, 8, 16.0)));
    for ft in methods {
        let (tuned, _) = finetune(&ft, cfg, &w, &t.train, &o, &CPU).unwrap();
        let end = loss(cfg, &tuned, &t);
        assert!(end < start, "{ft}: loss {start} -> {end}");
    }
}

#[test]
fn qlora_keeps_the_base_in_four_bits() {
    let cfg = crate::base::BaseRecipe::tiny().model;
    let (vm, _) = seeded(cfg, 1, &CPU).unwrap();
    let w = checkpoint::weights_of(&vm).unwrap();
    let mut model = frozen(cfg, &w);
    let dense_bytes = model.weight_bytes();
    let ft = FineTuning::low_rank(FineTuneMethod::Qlora, 8, 16.0);
    let (vars, names) = attach(&mut model, &ft, AdapterTargets::default(), 0).unwrap();
    assert_eq!(names.len(), 4 * cfg.layers);
    let mut f32_bytes = 0;
    let mut held = 0;
    for NamedLinear {
        name, linear: l, ..
    } in model.block_linears()
    {
        let (o, i) = w[&format!("{name}.weight")].dims2().unwrap();
        f32_bytes += 4 * o * i;
        held += match l {
            Linear::Adapted(a) => match &a.base {
                Frozen::Nf4(q) => q.weight().bytes(),
                Frozen::Dense(_) => panic!("{name}: adapted base is not NF4"),
            },
            Linear::Frozen(Frozen::Nf4(q)) => q.weight().bytes(),
            _ => panic!("{name} is not quantized"),
        };
    }
    // NF4 with double-quantized constants: about 4.127 bits of 32.
    let ratio = held as f64 / f32_bytes as f64;
    assert!(
        (0.125..0.135).contains(&ratio),
        "NF4 base holds {ratio} of f32"
    );
    // The whole model shrinks by the base saving, less the adapters.
    let adapters: usize = vars.iter().map(|v| 4 * v.elem_count()).sum();
    assert_eq!(
        model.weight_bytes(),
        dense_bytes - f32_bytes + held + adapters
    );
}

#[test]
fn qlora_adapters_get_gradients_through_the_quantized_matmul() {
    let w = Tensor::randn(0f32, 0.1, (48, 128), &CPU).unwrap();
    let q = Nf4Linear::from_tensor(&w, Constants::DoubleQuantized).unwrap();
    let deq = q.weight().dequantize().unwrap();
    let ql = Adapted::on(Frozen::Nf4(q), 4, 2.0, 9, &CPU).unwrap();
    let dl = Adapted::lora(deq, 4, 2.0, 9).unwrap();
    let b0 = Tensor::randn(0f32, 0.1, (48, 4), &CPU).unwrap();
    ql.b.set(&b0).unwrap();
    dl.b.set(&b0).unwrap();
    // A layer below the adapted one, so the gradient must cross the NF4 matmul.
    let below =
        candle_core::Var::from_tensor(&Tensor::randn(0f32, 0.2, (128, 16), &CPU).unwrap()).unwrap();
    let x = Tensor::randn(0f32, 1.0, (3, 16), &CPU).unwrap();
    let h = x.matmul(&below.as_tensor().t().unwrap()).unwrap();
    let grads = |l: &Adapted| {
        let y = l.forward(&h)?.sqr()?.sum_all()?;
        y.backward()
    };
    let (gq, gd) = (grads(&ql).unwrap(), grads(&dl).unwrap());
    for (name, vq, vd) in [
        ("A", ql.a.as_tensor(), dl.a.as_tensor()),
        ("B", ql.b.as_tensor(), dl.b.as_tensor()),
        ("below", below.as_tensor(), below.as_tensor()),
    ] {
        let (a, b) = (gq.get(vq).unwrap(), gd.get(vd).unwrap());
        let scale = b
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(scale > 0.0, "{name}: no gradient");
        assert!(
            max_diff(a, b) < 1e-3 * scale.max(1.0),
            "{name}: NF4 gradient differs"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// At any shape, rank and scale: an untrained LoRA adapter is the frozen
    /// layer exactly, and a trained one (LoRA or DoRA) equals its merged weight.
    #[test]
    fn adapters_start_at_the_base_and_merge_exactly(
        out in 1usize..24,
        inp in 1usize..24,
        rank in 1usize..8,
        scale in 0.1f64..16.0,
        dora: bool,
        seed in 0u64..1000,
    ) {
        let w = Tensor::randn(0f32, 0.5, (out, inp), &CPU).unwrap();
        let x = Tensor::randn(0f32, 1.0, (3, inp), &CPU).unwrap();
        let fresh = Adapted::lora(w.clone(), rank, scale, seed).unwrap();
        let base = Linear::dense(w.clone()).forward(&x).unwrap();
        proptest::prop_assert_eq!(max_diff(&fresh.forward(&x).unwrap(), &base), 0.0);
        let a = trained(&w, dora, rank, scale);
        let merged = Linear::dense(a.merged().unwrap()).forward(&x).unwrap();
        let y = a.forward(&x).unwrap();
        let tol = 1e-4 * (1.0 + y.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap());
        proptest::prop_assert!(max_diff(&y, &merged) < tol);
    }
}

#[test]
fn dora_keeps_a_zero_row_at_zero() {
    let mut v = vec![0.3f32; 4 * 5];
    v[5..10].fill(0.0);
    let w = Tensor::from_vec(v, (4, 5), &CPU).unwrap();
    let a = Adapted::dora(w.clone(), 2, 1.0, 0).unwrap();
    // NaN would fail the comparison too.
    assert!(max_diff(&a.merged().unwrap(), &w) < 1e-6);
}
