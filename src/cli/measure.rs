//! `aellm measure`: one configuration through the harness.

use super::{checkpoint, evaluator};
use crate::exit::BadInput;
use aellm::harness::HarnessEvaluator;
use aellm::space::{Configuration, Evaluation};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// A configuration as JSON (as `aellm space` prints them).
    config: PathBuf,
    /// Scenario file; default: the harness's small model on this machine.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// A real checkpoint as the scenario's model (a GGUF file, a Hugging
    /// Face folder, `smollm2-135m`, or `org/name` in the Hugging Face cache).
    #[arg(long)]
    model: Option<String>,
}

pub fn run(a: MeasureArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&a.config)
        .map_err(|e| BadInput(format!("cannot read {}: {e}", a.config.display())))?;
    let c: Configuration = serde_json::from_str(&text).map_err(|e| {
        BadInput(format!(
            "{} is not a configuration ({e}); `aellm space` prints valid examples",
            a.config.display()
        ))
    })?;
    let mut scenario = match &a.scenario {
        Some(p) => checkpoint::scenario_file(p)?.0,
        None => HarnessEvaluator::default_scenario(),
    };
    if let Some(m) = &a.model {
        scenario.model = checkpoint::from_flag(m)?;
    }
    let harness = evaluator::build(evaluator::DEFAULT)?;
    let e = Evaluation::run(&harness, c, &scenario);
    println!("{}", serde_json::to_string_pretty(&e)?);
    if let Err(err) = &e.outcome {
        anyhow::bail!("{c}: {err}");
    }
    Ok(())
}
