//! Exact hypervolume time beside moocore's on the same points.
//!
//! moocore's times come from `crates/aellm-nsga2/scripts/moocore_hv.py`, which
//! rebuilds the same point sets, times `moocore.hypervolume` and writes
//! `crates/aellm-nsga2/datasets/moocore_hv.csv`. Run both back to back so
//! they see the same machine and load:
//!
//! ```text
//! python3 crates/aellm-nsga2/scripts/moocore_hv.py && \
//!   cargo run --release -p aellm-nsga2 --example hypervolume_benchmark
//! ```
//!
//! An optional argument names another file in the script's format. Both times
//! are wall-clock medians of repeated calls on one thread (`measured` on this
//! machine); the ratio is ours over moocore's.

use std::time::Instant;

use aellm_nsga2::indicators::benchmark_sets::{self, MoocoreRecord};
use aellm_nsga2::indicators::hypervolume;

/// Median wall time of repeated calls: at least 5 and about half a second in all.
fn median_seconds(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed().as_secs_f64() < 0.5 && times.len() < 1000) {
        let t = Instant::now();
        std::hint::black_box(hypervolume(points, reference).expect("valid benchmark set"));
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/moocore_hv.csv").to_string()
    });
    let text = std::fs::read_to_string(&path)?;
    let records: Vec<MoocoreRecord> = benchmark_sets::parse_records(&text);
    println!("moocore figures from {path}:");
    for line in benchmark_sets::provenance(&text) {
        println!("  {line}");
    }
    println!(
        "\n| set | points | objectives | ours ms | moocore ms | ours / moocore | rel. difference |"
    );
    println!("|---|---|---|---|---|---|---|");
    for rec in &records {
        let pts = rec.points();
        let reference = vec![1.1; rec.d];
        let hv = hypervolume(&pts, &reference).expect("valid benchmark set");
        let ours = median_seconds(&pts, &reference);
        println!(
            "| {:?} | {} | {} | {:.4} | {:.4} | {:.2} | {:.1e} |",
            rec.shape,
            rec.n,
            rec.d,
            ours * 1e3,
            rec.moocore_seconds * 1e3,
            ours / rec.moocore_seconds,
            (hv - rec.hypervolume).abs() / rec.hypervolume
        );
    }
    Ok(())
}
