//! A real checkpoint as a scenario's model: `--model PATH|NAME` on the
//! command line or `model = { path = "…" }` in a scenario file. The
//! checkpoint is read once here for its shape, so the scenario's
//! `ModelSpec` comes from the file, not from figures the user typed.

use crate::exit::BadInput;
use aellm::harness::HarnessOptions;
use aellm::harness::evaluator::this_machine;
use aellm::harness::pretrained;
use aellm::space::{ModelSpec, PresetOr, Scenario, ScenarioFile, SpaceError};
use std::path::Path;

/// The `ModelSpec` of the checkpoint `model` (a path, `~/…`, a name such as
/// `smollm2-135m`, or `org/name` in the Hugging Face cache), naming its
/// absolute path so workers elsewhere read the same file. A relative path is
/// looked up under `relative_to` first (a scenario file's folder).
pub fn model_spec(model: &str, relative_to: Option<&Path>) -> Result<ModelSpec, String> {
    let beside = relative_to
        .map(|d| d.join(model))
        .filter(|p| Path::new(model).is_relative() && p.exists());
    let name = beside.map_or_else(|| model.to_string(), |p| p.display().to_string());
    let path = pretrained::resolve(&name).map_err(|e| e.to_string())?;
    let path = path.canonicalize().unwrap_or(path);
    let p = pretrained::load(&path.display().to_string(), &aellm::harness::device::best()).map_err(|e| {
        format!("{e}; give a GGUF file or a Hugging Face folder (config.json, safetensors, tokenizer.json)")
    })?;
    Ok(p.model_spec())
}

/// `--model`'s checkpoint, as bad input (exit 2) when it cannot be read.
pub fn from_flag(model: &str) -> anyhow::Result<ModelSpec> {
    model_spec(model, None).map_err(|e| BadInput(format!("--model {model}: {e}")).into())
}

/// The hardware name a scenario file uses for the machine the harness runs on.
pub const THIS_MACHINE: &str = "this-machine";

/// A scenario file whose model may be a checkpoint (read relative to the
/// file's folder) and whose hardware may be `this-machine` (as the harness
/// describes it), with its `budget` if it sets one.
pub fn scenario_file(path: &Path) -> anyhow::Result<(Scenario, Option<usize>)> {
    let mut f = ScenarioFile::from_path(path)?;
    if matches!(&f.hardware, PresetOr::Preset(n) if n == THIS_MACHINE) {
        let watts = HarnessOptions::default().watts_per_core;
        f.hardware = PresetOr::Spec(this_machine(watts));
    }
    let budget = f.budget.map(|b| b as usize);
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let scenario = f.resolve_with(|model| {
        model_spec(model, dir).map_err(|why| SpaceError::InvalidField {
            what: format!("scenario file {}", path.display()),
            field: "model.path".into(),
            why: format!("`{model}`: {why}"),
        })
    })?;
    Ok((scenario, budget))
}
