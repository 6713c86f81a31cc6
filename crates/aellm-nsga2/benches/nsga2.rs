//! Criterion benches: non-dominated sorting and exact hypervolume at 100,
//! 1,000 and 10,000 points.
//!
//! Run with `cargo bench -p aellm-nsga2 --bench nsga2`.

use std::hint::black_box;

use aellm_nsga2::indicators::hypervolume;
use aellm_nsga2::sorting::{fast_non_dominated_sort, non_dominated_sort};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Uniform random points in the unit cube: many fronts.
fn cube(n: usize, d: usize) -> Vec<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(n as u64 * 31 + d as u64);
    (0..n)
        .map(|_| (0..d).map(|_| rng.random::<f64>()).collect())
        .collect()
}

/// Mutually non-dominated points on the positive unit sphere: the hardest case for hypervolume.
fn sphere(n: usize, d: usize) -> Vec<Vec<f64>> {
    cube(n, d)
        .into_iter()
        .map(|u| {
            let u: Vec<f64> = u.iter().map(|v| v + 1e-3).collect();
            let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
            u.iter().map(|v| v / norm).collect()
        })
        .collect()
}

fn sorting(c: &mut Criterion) {
    let mut g = c.benchmark_group("non_dominated_sort");
    for d in [2, 3] {
        for n in [100, 1_000, 10_000] {
            let pts = cube(n, d);
            g.bench_with_input(BenchmarkId::new(format!("ens_bs/{d}d"), n), &pts, |b, p| {
                b.iter(|| non_dominated_sort(black_box(p)).unwrap())
            });
            // Deb's O(MN²) original, for comparison (skipped where it takes seconds).
            if n <= 1_000 {
                g.bench_with_input(BenchmarkId::new(format!("deb/{d}d"), n), &pts, |b, p| {
                    b.iter(|| fast_non_dominated_sort(black_box(p), None).unwrap())
                });
            }
        }
    }
    g.finish();
}

fn hv(c: &mut Criterion) {
    let mut g = c.benchmark_group("hypervolume");
    g.sample_size(10);
    for d in [2, 3, 4] {
        for n in [100, 1_000, 10_000] {
            let pts = sphere(n, d);
            let r = vec![1.1; d];
            g.bench_with_input(BenchmarkId::new(format!("{d}d"), n), &pts, |b, p| {
                b.iter(|| hypervolume(black_box(p), &r).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, sorting, hv);
criterion_main!(benches);
