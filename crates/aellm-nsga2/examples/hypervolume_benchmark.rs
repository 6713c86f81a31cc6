//! Exact hypervolume time beside moocore's on the same points.
//!
//! moocore's times come from `crates/aellm-nsga2/scripts/moocore_hv.py`, which
//! rebuilds the same point sets, times `moocore.hypervolume` and
//! `moocore.hv_contributions` and writes
//! `crates/aellm-nsga2/datasets/moocore_hv.csv`. Run both back to back so
//! they see the same machine and load:
//!
//! ```text
//! python3 crates/aellm-nsga2/scripts/moocore_hv.py && \
//!   cargo run --release -p aellm-nsga2 --example hypervolume_benchmark
//! ```
//!
//! An optional argument names another file in the script's format. Times are
//! medians per call over 5 batches of about 0.1 s on one thread, measured on
//! this machine, as this thread's CPU time (what the comparison rests on when
//! other processes share the cores) and as wall-clock time; ratios are ours
//! over moocore's. A last table times the
//! incremental form a greedy acquisition loop uses (the gain of one candidate
//! over a front) both ways: two whole hypervolumes, and
//! `hypervolume_improvement`.

use std::time::Instant;

use aellm_nsga2::indicators::benchmark_sets::{self, MoocoreRecord, Shape};
use aellm_nsga2::indicators::{hypervolume, hypervolume_improvement};

/// This thread's time on a CPU (Linux `schedstat`, as the script reads it),
/// to tell our cost apart from waiting for a core on a shared machine.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

/// Median wall and CPU seconds per call over 5 batches of about 0.1 s each,
/// the script's protocol.
fn median_seconds(mut f: impl FnMut() -> f64) -> (f64, f64) {
    let t = Instant::now();
    std::hint::black_box(f());
    let calls = (0.1 / t.elapsed().as_secs_f64().max(1e-7)).max(1.0) as usize;
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (w0, c0) = (Instant::now(), thread_cpu_seconds());
        for _ in 0..calls {
            std::hint::black_box(f());
        }
        wall.push(w0.elapsed().as_secs_f64() / calls as f64);
        cpu.push((thread_cpu_seconds() - c0) / calls as f64);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(wall), median(cpu))
}

fn versus_moocore(records: &[MoocoreRecord]) {
    println!(
        "\n| indicator | set | points | objectives | ours CPU ms | moocore CPU ms | ours / moocore (CPU) | ours / moocore (wall) | rel. difference |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for rec in records {
        let (pts, reference) = (rec.points(), rec.reference());
        let run = || rec.indicator.compute(&pts, &reference).expect("valid set");
        let ours = run();
        let (wall, cpu) = median_seconds(run);
        println!(
            "| {:?} | {:?} | {} | {} | {:.4} | {:.4} | {:.2} | {:.2} | {:.1e} |",
            rec.indicator,
            rec.shape,
            rec.n,
            rec.d,
            cpu * 1e3,
            rec.moocore_cpu_seconds * 1e3,
            cpu / rec.moocore_cpu_seconds,
            wall / rec.moocore_seconds,
            (ours - rec.value).abs() / rec.value
        );
    }
}

/// The gain of each of 20 candidates over a front, both ways.
fn incremental() {
    println!(
        "\n| front | objectives | 20 gains as hv(S+c) - hv(S), CPU ms | with hypervolume_improvement, CPU ms | speed-up | max abs. difference |"
    );
    println!("|---|---|---|---|---|---|");
    for (n, d) in [(100, 4), (500, 4), (100, 5), (300, 5)] {
        let front = benchmark_sets::points(Shape::Sphere, n, d, 100 + n as u64);
        // Candidates a little inside the sphere, so most of them add volume.
        let cands: Vec<Vec<f64>> = benchmark_sets::points(Shape::Sphere, 20, d, 7)
            .into_iter()
            .map(|c| c.iter().map(|x| 0.98 * x).collect())
            .collect();
        let reference = vec![1.1; d];
        let two_volumes = || {
            let base = hypervolume(&front, &reference).expect("valid set");
            let mut with = front.clone();
            cands
                .iter()
                .map(|c| {
                    with.push(c.clone());
                    let gain = hypervolume(&with, &reference).expect("valid set") - base;
                    with.pop();
                    gain
                })
                .collect::<Vec<f64>>()
        };
        let improvements = || {
            cands
                .iter()
                .map(|c| hypervolume_improvement(&front, c, &reference).expect("valid set"))
                .collect::<Vec<f64>>()
        };
        let diff = two_volumes()
            .iter()
            .zip(improvements())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let (_, slow) = median_seconds(|| two_volumes().iter().sum());
        let (_, fast) = median_seconds(|| improvements().iter().sum());
        println!(
            "| {n} sphere points | {d} | {:.3} | {:.3} | {:.1}x | {diff:.1e} |",
            slow * 1e3,
            fast * 1e3,
            slow / fast
        );
    }
}

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/moocore_hv.csv").to_string()
    });
    let text = std::fs::read_to_string(&path)?;
    println!("moocore figures from {path}:");
    for line in benchmark_sets::provenance(&text) {
        println!("  {line}");
    }
    versus_moocore(&benchmark_sets::parse_records(&text));
    incremental();
    Ok(())
}
