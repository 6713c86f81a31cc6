//! Subcommands of the `aellm` command.

mod presets;
mod space;

use clap::{Parser, Subcommand};

/// aellm: choose and combine efficiency techniques for large language models.
#[derive(Debug, Parser)]
#[command(name = "aellm", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the configuration space: its dimensions, its number of valid
    /// configurations, and a few sampled ones as JSON.
    Space(space::SpaceArgs),
    /// List the built-in models, hardware and tasks.
    Presets(presets::PresetsArgs),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Space(a) => space::run(a),
            Command::Presets(a) => presets::run(a),
        }
    }
}
