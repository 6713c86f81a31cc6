//! What `aellm optimize` prints when it is done: the recommendation and why,
//! the baselines side by side, why the run stopped and where the report is.

use aellm::optimizer::AeLlmResult;
use std::path::Path;

/// Prints the summary of a finished run.
pub fn print(result: &AeLlmResult, files: usize, out: &Path) {
    println!();
    recommendation(result);
    baselines(result);
    println!(
        "\nStopped: {}. Report: {files} files in {}",
        result.stopped,
        out.display()
    );
}

fn recommendation(result: &AeLlmResult) {
    let Some(r) = &result.recommended else {
        println!("No measured configuration meets every limit; see the closest ones in report.md.");
        return;
    };
    println!("Recommended: {}", r.member.configuration);
    let o = r.member.objectives;
    println!(
        "  accuracy {:.4}, latency {:.2} ms, memory {:.4} GB, energy {:.3} J ({}), efficiency score {}",
        o.accuracy,
        o.latency_ms,
        o.memory_gb,
        o.energy_j,
        r.member.provenance,
        r.efficiency_score
            .map_or("n/a".into(), |e| format!("{e:.2}"))
    );
    for w in &r.why {
        println!("  - {w}");
    }
}

fn baselines(result: &AeLlmResult) {
    if result.baselines.is_empty() {
        return;
    }
    println!(
        "\n{:<20} {:>9} {:>11} {:>10} {:>10} {:>10} {:>6}",
        "method", "accuracy", "latency ms", "memory GB", "efficiency", "HV", "evals"
    );
    let dash = || "–".to_string();
    for b in &result.baselines {
        let o = b.objectives;
        println!(
            "{:<20} {:>9} {:>11} {:>10} {:>10} {:>10} {:>6}",
            b.method,
            o.map_or_else(dash, |o| format!("{:.4}", o.accuracy)),
            o.map_or_else(dash, |o| format!("{:.2}", o.latency_ms)),
            o.map_or_else(dash, |o| format!("{:.4}", o.memory_gb)),
            b.efficiency_score.map_or_else(dash, |e| format!("{e:.2}")),
            b.hypervolume.map_or_else(dash, |h| format!("{h:.4}")),
            b.evaluations
        );
    }
}
