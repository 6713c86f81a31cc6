//! Transfer on synthetic studies whose accuracy is a product of
//! per-technique effects: a source whose effects match the target's must
//! save target evaluations, and one whose effects differ must not help as much.

use super::*;
use aellm_space::{
    Attention, EvalError, Evaluator, FineTuneMethod, KvCache, Measurement, Moe, QuantMethod, Space,
    WeightPrecision, presets,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The multiplicative accuracy change of each technique. `swap` gives a
/// world whose techniques cost differently (the cheap ones dear and the
/// dear ones cheap), with a similar spread.
fn effect(c: &Configuration, swap: bool) -> f64 {
    let (a, b) = if swap { (1.0, 0.0) } else { (0.0, 1.0) };
    let pick = |ours: f64, theirs: f64| b * ours + a * theirs;
    let weights = match c.inference.weights {
        WeightPrecision::Fp16 => pick(1.0, 0.93),
        WeightPrecision::Fp8 => pick(0.995, 0.96),
        WeightPrecision::Int8 => pick(0.985, 0.99),
        WeightPrecision::Int4 => pick(0.93, 1.0),
    };
    let method = match c.inference.method {
        Some(QuantMethod::Rtn) => pick(0.97, 1.0),
        Some(QuantMethod::Gptq | QuantMethod::Awq) => 1.0,
        Some(QuantMethod::SmoothQuant) => pick(0.99, 0.97),
        None => 1.0,
    };
    let attention = match c.architecture.attention {
        Attention::Mha => pick(1.0, 0.95),
        Attention::Gqa { .. } => 0.985,
        Attention::Mqa => pick(0.95, 1.0),
        Attention::Mla { .. } => pick(0.975, 0.99),
    };
    let moe = match c.architecture.moe {
        Moe::Dense => pick(1.0, 0.96),
        Moe::Sparse { top_k, .. } => pick(if top_k == 1 { 0.95 } else { 0.97 }, 1.0),
    };
    let tune = match c.fine_tuning.method {
        FineTuneMethod::Full => pick(1.0, 0.97),
        FineTuneMethod::Qlora => pick(0.975, 1.0),
        _ => 0.99,
    };
    let kv = match c.inference.kv_cache {
        KvCache::Int8 => pick(0.99, 1.0),
        KvCache::Full => pick(1.0, 0.99),
        _ => 0.985,
    };
    weights * method * attention * moe * tune * kv
}

fn scenario(model: &str) -> Scenario {
    Scenario::new(
        presets::model(model).unwrap(),
        presets::task("mmlu").unwrap(),
        presets::hardware("a100-80gb").unwrap(),
    )
}

/// A study of `n` configurations (the unmodified one first) of `s`'s model
/// with absolute accuracy `base` x effect, measured with 0.3% noise.
fn study(
    s: &Scenario,
    n: usize,
    base: f64,
    swap: bool,
    seed: u64,
) -> Vec<(Configuration, Objectives)> {
    let space = Space::paper().for_model(&s.model);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cs = vec![Configuration::default()];
    cs.extend((1..n).map(|_| space.sample(&mut rng).unwrap()));
    cs.into_iter()
        .map(|c| {
            let noise = 1.0 + 0.003 * (rng.random::<f64>() * 2.0 - 1.0);
            let o = Objectives {
                accuracy: base * effect(&c, swap) * noise,
                latency_ms: 1.0,
                memory_gb: 1.0,
                energy_j: 1.0,
            };
            (c, o)
        })
        .collect()
}

/// Small settings: the test runs unoptimised.
fn params() -> TransferParams {
    let mut p = TransferParams::default();
    p.source.member = p.source.member.n_trees(120).max_depth(4).learning_rate(0.1);
    p.source.n_members = 3;
    p.continuation = p.continuation.n_trees(40);
    p
}

/// Median absolute error of relative accuracy on `test` (noise-free truth).
fn error(m: &AccuracyTransfer, test: &[Configuration], s: &Scenario) -> f64 {
    let pred = m.predict(test, s).unwrap();
    let mut e: Vec<f64> = test
        .iter()
        .zip(pred)
        .map(|(c, (y, _))| (y - effect(c, false)).abs())
        .collect();
    e.sort_by(f64::total_cmp);
    e[e.len() / 2]
}

#[test]
fn a_matching_source_saves_target_evaluations_and_an_unlike_one_does_not() {
    let p = params();
    let (small, big) = (scenario("tinyllama-1.1b"), scenario("llama-2-7b"));
    let source = relative_accuracy(&study(&small, 200, 0.43, false, 1)).unwrap();
    let unlike = relative_accuracy(&study(&small, 200, 0.43, true, 1)).unwrap();
    let target = relative_accuracy(&study(&big, 40, 0.685, false, 2)).unwrap();
    let test: Vec<Configuration> = study(&big, 150, 0.685, false, 3)
        .into_iter()
        .map(|r| r.0)
        .collect();
    let warm = |src: &[(Configuration, f64)], n: usize| {
        let m = AccuracyTransfer::fit(src, &small, &p).unwrap();
        error(&m.continue_on(&target[..n], &big, &p).unwrap(), &test, &big)
    };
    let cold = |n: usize| {
        error(
            &AccuracyTransfer::fit(&target[..n], &big, &p).unwrap(),
            &test,
            &big,
        )
    };
    let (warm10, unlike10, cold10, cold40) =
        (warm(&source, 10), warm(&unlike, 10), cold(10), cold(40));
    eprintln!(
        "median |error|: warm 10 {warm10:.4}, unlike source 10 {unlike10:.4}, cold 10 {cold10:.4}, cold 40 {cold40:.4}"
    );
    // Ten target rows after a matching source beat forty without it...
    assert!(warm10 < cold40, "warm 10 {warm10} vs cold 40 {cold40}");
    assert!(
        warm10 < 0.5 * cold10,
        "warm 10 {warm10} vs cold 10 {cold10}"
    );
    // ...and the gain is the source's effects, not the extra rows: a source
    // whose techniques cost otherwise is worse than the matching one.
    assert!(
        warm10 < 0.5 * unlike10,
        "warm 10 {warm10} vs unlike source {unlike10}"
    );
}

#[test]
fn relative_accuracy_needs_the_unmodified_configuration_and_says_so() {
    let s = scenario("tinyllama-1.1b");
    let mut data = study(&s, 5, 0.5, false, 4);
    let rel = relative_accuracy(&data).unwrap();
    assert_eq!(rel[0], (Configuration::default(), 1.0));
    assert!((rel[1].1 * data[0].1.accuracy - data[1].1.accuracy).abs() < 1e-12);
    data.remove(0);
    let e = relative_accuracy(&data).unwrap_err().to_string();
    assert!(e.contains("unmodified configuration"), "{e}");
}

#[test]
fn the_figure_is_predicted_and_names_what_trained_it() {
    let p = params();
    let (small, big) = (scenario("tinyllama-1.1b"), scenario("llama-2-7b"));
    let m = AccuracyTransfer::fit(
        &relative_accuracy(&study(&small, 30, 0.4, false, 5)).unwrap(),
        &small,
        &p,
    )
    .unwrap()
    .continue_on(
        &relative_accuracy(&study(&big, 5, 0.7, false, 6)).unwrap(),
        &big,
        &p,
    )
    .unwrap();
    let f = m.figure(&Configuration::default(), &big).unwrap();
    assert_eq!(f.provenance, aellm_space::Provenance::Predicted);
    let how = f.how.unwrap();
    assert!(
        how.contains("30 measurements of tinyllama-1.1b, then 5 measurements of llama-2-7b"),
        "{how}"
    );
    let too_few = AccuracyTransfer::fit(&[(Configuration::default(), 1.0)], &small, &p);
    assert!(matches!(
        too_few,
        Err(OptimizerError::TooFewMeasurements { .. })
    ));
}

/// An evaluator that knows latency, memory and energy but not accuracy (as
/// the cost model for an unmeasured technique): constant figures.
#[derive(Debug)]
struct NoAccuracy;

impl Evaluator for NoAccuracy {
    fn name(&self) -> String {
        "no-accuracy".into()
    }
    fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
        let o = Objectives {
            accuracy: 0.5,
            latency_ms: 10.0,
            memory_gb: 2.0,
            energy_j: 3.0,
        };
        Ok(Measurement::new(
            o,
            aellm_space::Provenance::Predicted,
            "no-accuracy",
        ))
    }
}

#[test]
fn the_evaluator_takes_accuracy_from_the_reports_and_keeps_the_rest() {
    let p = params();
    let (small, big) = (scenario("tinyllama-1.1b"), scenario("llama-2-7b"));
    let report = |s: &Scenario, n, seed| crate::report::MeasuredReport {
        scenario: s.clone(),
        measured: study(s, n, 0.4, false, seed),
    };
    let e = TransferredAccuracy::from_reports(
        NoAccuracy,
        &[report(&small, 150, 7), report(&big, 8, 8)],
        &p,
    )
    .unwrap();
    assert_eq!(
        e.provenance(),
        "150 measurements of tinyllama-1.1b, then 8 measurements of llama-2-7b"
    );
    let test: Vec<Configuration> = study(&big, 60, 0.7, false, 9)
        .into_iter()
        .map(|r| r.0)
        .collect();
    let mut errors = Vec::new();
    for c in &test {
        let m = e.evaluate(c, &big).unwrap();
        assert_eq!(m.accuracy.provenance, aellm_space::Provenance::Predicted);
        assert_eq!(m.extra["accuracy_without_transfer"].value, 0.5);
        assert_eq!((m.latency_ms.value, m.memory_gb.value), (10.0, 2.0));
        assert!(
            m.evaluator
                .contains("accuracy transferred from 150 measurements")
        );
        errors.push((m.accuracy.value - effect(c, false)).abs());
    }
    errors.sort_by(f64::total_cmp);
    // The per-technique effects were learnt: far closer than the constant 0.5.
    assert!(
        errors[errors.len() / 2] < 0.03,
        "median error {}",
        errors[30]
    );
    let none = TransferredAccuracy::from_reports(NoAccuracy, &[], &p).unwrap_err();
    assert!(none.to_string().contains("at least one report"), "{none}");
}
