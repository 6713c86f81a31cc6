//! `aellm study status URL`: how far a shared study is.

use aellm::optimizer::study;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct StudyArgs {
    #[command(subcommand)]
    command: StudyCommand,
}

#[derive(Debug, Subcommand)]
enum StudyCommand {
    /// Queued, running, done and failed configurations, and each worker's
    /// last heartbeat.
    Status {
        /// The study: a SQLite file path or a postgres://user@host/db URL.
        url: String,
    },
}

pub fn run(a: StudyArgs) -> anyhow::Result<()> {
    let StudyCommand::Status { url } = a.command;
    // Opening a path that holds nothing would create an empty study.
    if !url.starts_with("postgres") && !std::path::Path::new(&url).exists() {
        return Err(crate::exit::BadInput(format!(
            "no study at {url}: give the path of an existing study file or a postgres:// URL"
        ))
        .into());
    }
    let s = study::open(&url)?.status()?;
    println!(
        "{url}: {} queued, {} running, {} done, {} failed{}",
        s.queued,
        s.running,
        s.done,
        s.failed,
        if s.closed {
            " (closed: nothing more will be queued)"
        } else {
            ""
        }
    );
    if !s.workers.is_empty() {
        println!("{:<32} {:<24} {:>16}", "worker", "host", "last heartbeat");
        for w in &s.workers {
            println!(
                "{:<32} {:<24} {:>14.1} s ago",
                w.worker, w.host, w.seconds_since_heartbeat
            );
        }
    }
    Ok(())
}
