//! Benches of the boosted trees: one fit at the benchmark's settings
//! (diabetes, 300 trees of depth 3), one fit of the AE-LLM preset (500 trees
//! of depth 8) on Friedman #1, and ensemble prediction with standard
//! deviations for 1,000 queries. Timed with the standard library only, so
//! that building them (and the crate's examples, which share its
//! dev-dependencies) stays quick. Each line is the median wall time of
//! repeated calls (at least 5, about a second in all), measured on this machine.
//!
//! Run with `cargo bench -p aellm-surrogate --bench gbdt`.

use std::hint::black_box;
use std::time::Instant;

use aellm_surrogate::linfa::traits::Fit;
use aellm_surrogate::{BootstrapEnsemble, GbdtParams, benchmark_params, datasets};

/// Prints the median time of `f` under `name`.
fn bench(name: &str, mut f: impl FnMut()) {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed().as_secs_f64() < 1.0 && times.len() < 1_000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let ms = times[times.len() / 2] * 1e3;
    println!("{name:<45} {ms:>10.2} ms (median of {})", times.len());
}

fn main() {
    let diabetes = datasets::diabetes().expect("bundled data parses");
    let friedman = datasets::friedman1(1000, 1.0, 0);
    bench("gbdt_fit/diabetes_300_trees_depth_3", || {
        black_box(benchmark_params().fit(black_box(&diabetes)).unwrap());
    });
    bench("gbdt_fit/friedman1_1000_ae_llm_preset", || {
        black_box(GbdtParams::ae_llm().fit(black_box(&friedman)).unwrap());
    });
    let queries = datasets::friedman1(1000, 1.0, 1);
    let ensemble = BootstrapEnsemble::params().fit(&friedman).unwrap();
    bench("ensemble_predict_with_std_1000", || {
        black_box(
            ensemble
                .predict_with_std(black_box(queries.records()))
                .unwrap(),
        );
    });
}
