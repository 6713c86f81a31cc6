//! Every configuration of the paper's space on each paper scenario
//! (`examples/scenarios/paper/*.toml`), predicted by the cost model:
//! how many fit, and what the non-dominated feasible configurations use.
//! This is the exhaustive ground truth for section 5.6's insights, without
//! any search.
//!
//! Run: `cargo run --release -p aellm-costmodel --example paper_grid`

use aellm_costmodel::CostModel;
use aellm_space::{Evaluator, Measurement, Objectives, Scenario, Space};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn scenarios() -> Result<Vec<(String, Scenario)>, Box<dyn std::error::Error>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/paper");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            out.push((name, Scenario::from_path(&path)?));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Counts of a choice among the front, as "value xN" sorted by count.
fn tally(items: impl Iterator<Item = String>) -> String {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for i in items {
        *m.entry(i).or_default() += 1;
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    v.iter()
        .map(|(k, n)| format!("{k} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = CostModel::default();
    for (name, s) in scenarios()? {
        let t = std::time::Instant::now();
        let configs = Space::paper().for_model(&s.model).enumerate();
        let limit = s.memory_limit_gb();
        let mut feasible: Vec<(aellm_space::Configuration, Measurement)> = Vec::new();
        for c in &configs {
            let m = model.evaluate(c, &s)?;
            if m.memory_gb.value <= limit && m.extra["fits"].value > 0.5 {
                feasible.push((*c, m));
            }
        }
        let objs: Vec<Objectives> = feasible.iter().map(|(_, m)| m.objectives()).collect();
        let front: Vec<usize> = (0..objs.len())
            .filter(|&i| !objs.iter().any(|o| o.dominates(&objs[i])))
            .collect();
        println!(
            "{name}: {} on {} ({} configurations, {} fit, {} non-dominated; {:.1} s)",
            s.model.name,
            s.hardware.name,
            configs.len(),
            feasible.len(),
            front.len(),
            t.elapsed().as_secs_f64()
        );
        let pick = |f: &dyn Fn(&aellm_space::Configuration) -> String| {
            tally(front.iter().map(|&i| f(&feasible[i].0)))
        };
        println!(
            "  weights:   {}",
            pick(&|c| c.inference.weights.to_string())
        );
        println!(
            "  attention: {}",
            pick(&|c| c.architecture.attention.kind_name().to_uppercase())
        );
        println!("  MoE:       {}", pick(&|c| c.architecture.moe.to_string()));
        let fastest = front
            .iter()
            .min_by(|&&a, &&b| objs[a].latency_ms.total_cmp(&objs[b].latency_ms));
        if let Some(&i) = fastest {
            let (c, m) = &feasible[i];
            println!(
                "  fastest non-dominated: {c} -> {:.0} ms, {:.1} GB, {:.1} J, accuracy {:.3}",
                m.latency_ms.value, m.memory_gb.value, m.energy_j.value, m.accuracy.value
            );
        }
    }
    Ok(())
}
