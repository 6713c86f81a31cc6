//! Optimise the harness's small model on this machine with the AE-LLM method
//! and print the recommendation, with every figure's provenance.
//!
//! `cargo run --release --example quickstart`

use aellm::harness::{HarnessEvaluator, HarnessOptions};
use aellm::optimizer::observer::Logging;
use aellm::optimizer::study::SqliteStudy;
use aellm::optimizer::{AeLlm, AeLlmParams, write_report};

// Measured peak memory needs the counting allocator.
#[global_allocator]
static ALLOC: aellm::harness::metrics::CountingAllocator =
    aellm::harness::metrics::CountingAllocator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let evaluator = HarnessEvaluator::new(HarnessOptions::default());
    let scenario = HarnessEvaluator::default_scenario();
    let space = HarnessEvaluator::space();

    let out = std::env::temp_dir().join("aellm-quickstart");
    std::fs::create_dir_all(&out)?;
    // Every measurement lands in the study at once; run again to resume.
    let study = SqliteStudy::open(out.join("study.sqlite"))?;

    let params = AeLlmParams {
        budget: 16,
        refine_rounds: 2,
        ..Default::default()
    };
    let result = AeLlm::new(params).run(&evaluator, &scenario, &space, &study, &Logging)?;

    println!(
        "measured front: {} configurations",
        result.measured_front.len()
    );
    for m in &result.measured_front {
        let o = m.objectives;
        println!(
            "  {:<60} acc {:.3}  {:>8.2} ms  {:.4} GB  {:.3} J  ({})",
            m.configuration.to_string(),
            o.accuracy,
            o.latency_ms,
            o.memory_gb,
            o.energy_j,
            m.provenance
        );
    }
    if let Some(r) = &result.recommended {
        println!("\nrecommended: {}", r.member.configuration);
        for w in &r.why {
            println!("  - {w}");
        }
    }
    write_report(&out, &result)?;
    println!("\nreport in {}", out.display());
    Ok(())
}
