//! Subcommands of the `aellm` command.

mod calibrate;
mod checkpoint;
mod evaluator;
mod fleet;
mod measure;
mod models;
mod optimize;
mod parse;
mod presets;
mod progress;
mod space;
mod study;
mod summary;
mod worker;

use clap::{Parser, Subcommand};

/// aellm: choose and combine efficiency techniques for large language models.
#[derive(Debug, Parser)]
#[command(
    name = "aellm",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 done (optimize: a recommendation was made); 1 a failure that is not the input's; \
                  2 bad input (a scenario, setting, path or study that cannot be used; the message names it and the fix); \
                  3 the run finished without a recommendation (the one-line reason is printed, the report is written)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the AE-LLM method on a scenario (default: the harness's small
    /// model on this machine) and write a report directory.
    Optimize(Box<optimize::OptimizeArgs>),
    /// Measure one configuration (a JSON file) with the harness.
    Measure(measure::MeasureArgs),
    /// Show the configuration space: its dimensions, its number of valid
    /// configurations, and a few sampled ones as JSON.
    Space(space::SpaceArgs),
    /// List the built-in models, hardware and tasks.
    Presets(presets::PresetsArgs),
    /// Real pretrained models: `aellm models fetch smollm2-135m`, `aellm models list`.
    Models(models::ModelsArgs),
    /// Serve a shared study: claim configurations, measure them with the
    /// evaluator the study names, store the results; run any number of
    /// these, on any number of machines.
    Worker(worker::WorkerArgs),
    /// Look at a study (`aellm study status URL`).
    Study(study::StudyArgs),
    /// Fit the cost model's efficiency factors to measurements (a CSV) and
    /// write a calibration file for `optimize --calibration`.
    Calibrate(calibrate::CalibrateArgs),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Optimize(a) => optimize::run(*a),
            Command::Measure(a) => measure::run(a),
            Command::Space(a) => space::run(a),
            Command::Presets(a) => presets::run(a),
            Command::Models(a) => models::run(a),
            Command::Worker(a) => worker::run(a),
            Command::Study(a) => study::run(a),
            Command::Calibrate(a) => calibrate::run(a),
        }
    }
}
