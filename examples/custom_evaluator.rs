//! Plug in your own evaluator: here, one that replays a table of
//! measurements recorded earlier (the `measurements.csv` that `aellm
//! optimize` writes), so a new search (other weights, other limits) costs no
//! measurement at all. Anything that implements `Evaluator` works the same
//! way: a cluster job, an external benchmark command, a database.
//!
//! ```sh
//! cargo run --release -- optimize --out aellm-out      # records measurements.csv
//! cargo run --release --example custom_evaluator -- aellm-out/measurements.csv
//! ```

use aellm::optimizer::observer::Silent;
use aellm::optimizer::study::MemoryStudy;
use aellm::optimizer::{AeLlm, AeLlmParams};
use aellm::space::{
    Configuration, EvalError, Evaluator, Figure, Measurement, Preferences, Provenance, Scenario,
};
use std::collections::HashMap;

/// Answers from a recorded table; configurations it never saw are unsupported.
struct Recorded {
    table: HashMap<Configuration, Measurement>,
}

impl Recorded {
    fn from_csv(path: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let mut rd = csv::Reader::from_path(path)?;
        let h = rd.headers()?.clone();
        let col = |name: &str| {
            h.iter()
                .position(|x| x == name)
                .ok_or(format!("{path} has no column `{name}`"))
        };
        let (cfg, err) = (col("configuration_json")?, col("error")?);
        let figs = [
            (col("accuracy")?, col("accuracy_provenance")?),
            (col("latency_ms")?, col("latency_provenance")?),
            (col("memory_gb")?, col("memory_provenance")?),
            (col("energy_j")?, col("energy_provenance")?),
        ];
        let mut table = HashMap::new();
        for row in rd.records() {
            let row = row?;
            if !row[err].is_empty() {
                continue; // a recorded failure: leave it unsupported here
            }
            let c: Configuration = serde_json::from_str(&row[cfg])?;
            let f = |(v, p): (usize, usize)| -> Result<Figure, Box<dyn std::error::Error>> {
                let provenance = match &row[p] {
                    "measured" => Provenance::Measured,
                    "estimated" => Provenance::Estimated,
                    _ => Provenance::Predicted,
                };
                Ok(Figure {
                    value: row[v].parse()?,
                    provenance,
                    std: None,
                    how: Some(format!("replayed from {path}")),
                })
            };
            let m = Measurement {
                accuracy: f(figs[0])?,
                latency_ms: f(figs[1])?,
                memory_gb: f(figs[2])?,
                energy_j: f(figs[3])?,
                extra: Default::default(),
                evaluator: "recorded".into(),
            };
            table.insert(c, m);
        }
        Ok(Recorded { table })
    }
}

impl Evaluator for Recorded {
    fn name(&self) -> String {
        "recorded".into()
    }
    fn evaluate(&self, c: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
        self.table
            .get(c)
            .cloned()
            .ok_or_else(|| EvalError::Unsupported {
                evaluator: self.name(),
                reason: format!("{c} is not in the recorded table"),
            })
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!(
            "usage: custom_evaluator MEASUREMENTS.csv  (run `cargo run --release -- optimize` first)"
        );
        std::process::exit(2);
    };
    let recorded = Recorded::from_csv(&path)?;
    println!("{} recorded measurements", recorded.table.len());
    // Search only values that were recorded, with latency weighted high this
    // time; combinations of them that were never measured come back as
    // unsupported, and the optimizer records them as failures and goes on.
    let known: Vec<Configuration> = recorded.table.keys().copied().collect();
    let mut space = aellm::harness::HarnessEvaluator::space();
    space
        .attention
        .retain(|a| known.iter().any(|c| c.architecture.attention == *a));
    space
        .moe
        .retain(|m| known.iter().any(|c| c.architecture.moe == *m));
    space
        .methods
        .retain(|m| known.iter().any(|c| c.fine_tuning.method == *m));
    space
        .weights
        .retain(|w| known.iter().any(|c| c.inference.weights == *w));
    space
        .kv_caches
        .retain(|k| known.iter().any(|c| c.inference.kv_cache == *k));
    let mut scenario = aellm::harness::HarnessEvaluator::default_scenario();
    scenario.preferences = Preferences {
        accuracy: 0.3,
        latency: 0.5,
        memory: 0.1,
        energy: 0.1,
    };
    let params = AeLlmParams {
        budget: known.len().min(30),
        refine_rounds: 1,
        ..Default::default()
    };
    let result =
        AeLlm::new(params).run(&recorded, &scenario, &space, &MemoryStudy::new(), &Silent)?;
    let unsupported = result
        .evaluations
        .iter()
        .filter(|e| e.outcome.is_err())
        .count();
    println!(
        "{} evaluations ({} not in the table, recorded as failures)",
        result.evaluations.len(),
        unsupported
    );
    if let Some(r) = result.recommended {
        println!(
            "with latency weighted 0.5, recommended: {}",
            r.member.configuration
        );
    }
    Ok(())
}
