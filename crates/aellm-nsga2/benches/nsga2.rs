//! Benches of non-dominated sorting and exact hypervolume at 100, 1,000 and
//! 10,000 points, timed with the standard library only, so that building
//! them (and the crate's examples, which share its dev-dependencies) stays
//! quick. Each line is the median wall time of repeated calls (at least 5,
//! about 0.3 s in all), measured on this machine.
//!
//! Run with `cargo bench -p aellm-nsga2 --bench nsga2`; an argument filters
//! the lines by name (`cargo bench -p aellm-nsga2 --bench nsga2 -- hypervolume`).

use std::hint::black_box;
use std::time::Instant;

use aellm_nsga2::indicators::benchmark_sets::{Shape, points};
use aellm_nsga2::indicators::hypervolume;
use aellm_nsga2::sorting::{fast_non_dominated_sort, non_dominated_sort};

/// Prints the median time of `f` under `name` unless the filter excludes it.
fn bench(filter: &Option<String>, name: &str, mut f: impl FnMut()) {
    if filter.as_ref().is_some_and(|s| !name.contains(s.as_str())) {
        return;
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed().as_secs_f64() < 0.3 && times.len() < 10_000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let ms = times[times.len() / 2] * 1e3;
    println!("{name:<40} {ms:>12.4} ms (median of {})", times.len());
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is a name filter.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    for d in [2, 3] {
        for n in [100, 1_000, 10_000] {
            // Uniform points in the cube: many fronts.
            let pts = points(Shape::Cube, n, d, n as u64 * 31 + d as u64);
            bench(
                &filter,
                &format!("non_dominated_sort/ens_bs/{d}d/{n}"),
                || {
                    black_box(non_dominated_sort(black_box(&pts)).unwrap());
                },
            );
            // Deb's O(MN²) original, for comparison (skipped where it takes seconds).
            if n <= 1_000 {
                bench(&filter, &format!("non_dominated_sort/deb/{d}d/{n}"), || {
                    black_box(fast_non_dominated_sort(black_box(&pts), None).unwrap());
                });
            }
        }
    }
    for (d, sizes) in [
        (2, [100, 1_000, 10_000]),
        (3, [100, 1_000, 10_000]),
        (4, [100, 1_000, 10_000]),
        (5, [100, 300, 1_000]),
    ] {
        for n in sizes {
            // Mutually non-dominated points on the sphere: the hardest case.
            let pts = points(Shape::Sphere, n, d, n as u64 * 31 + d as u64);
            let r = vec![1.1; d];
            bench(&filter, &format!("hypervolume/{d}d/{n}"), || {
                black_box(hypervolume(black_box(&pts), &r).unwrap());
            });
        }
    }
}
