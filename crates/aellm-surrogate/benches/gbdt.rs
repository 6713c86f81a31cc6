//! Criterion benches of the boosted trees: one fit at the benchmark's
//! settings (diabetes, 300 trees of depth 3), one fit of the AE-LLM preset
//! (500 trees of depth 8) on Friedman #1, and ensemble prediction with
//! standard deviations for 1,000 queries.
//!
//! Run with `cargo bench -p aellm-surrogate --bench gbdt`.

use std::hint::black_box;

use aellm_surrogate::benchmark::benchmark_params;
use aellm_surrogate::linfa::traits::Fit;
use aellm_surrogate::{BootstrapEnsemble, GbdtParams, datasets};
use criterion::{Criterion, criterion_group, criterion_main};

fn fitting(c: &mut Criterion) {
    let diabetes = datasets::diabetes().expect("bundled data parses");
    let friedman = datasets::friedman1(1000, 1.0, 0);
    let mut g = c.benchmark_group("gbdt_fit");
    g.sample_size(10);
    g.bench_function("diabetes_300_trees_depth_3", |b| {
        b.iter(|| benchmark_params().fit(black_box(&diabetes)).unwrap())
    });
    g.bench_function("friedman1_1000_ae_llm_preset", |b| {
        b.iter(|| GbdtParams::ae_llm().fit(black_box(&friedman)).unwrap())
    });
    g.finish();
}

fn ensemble_prediction(c: &mut Criterion) {
    let train = datasets::friedman1(1000, 1.0, 0);
    let queries = datasets::friedman1(1000, 1.0, 1);
    let ensemble = BootstrapEnsemble::params().fit(&train).unwrap();
    c.bench_function("ensemble_predict_with_std_1000", |b| {
        b.iter(|| {
            ensemble
                .predict_with_std(black_box(queries.records()))
                .unwrap()
        })
    });
}

criterion_group!(benches, fitting, ensemble_prediction);
criterion_main!(benches);
