//! `aellm worker`: serves a study's queue (see `aellm::optimizer::worker`).

use super::{evaluator, parse};
use aellm::optimizer::study::{self, LeasePolicy};
use aellm::optimizer::worker::{WorkerOptions, work};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The study: a SQLite file path or a postgres://user@host/db URL.
    #[arg(long)]
    study: String,
    /// Stop claiming after this long (`90s`, `10m`, `1h`); default: until
    /// the optimizer closes the study and the queue is empty.
    #[arg(long, value_parser = parse::duration)]
    max_time: Option<Duration>,
    /// Measure even while another worker on this machine measures (their
    /// timings then disturb each other).
    #[arg(long)]
    allow_shared_host: bool,
    /// The worker's name in the study; default: host:pid.
    #[arg(long)]
    name: Option<String>,
    /// How long a claim holds without a heartbeat.
    #[arg(long, value_parser = parse::duration, default_value = "60s")]
    lease: Duration,
    /// Attempts per configuration whose failure may pass (out of memory,
    /// timeout, crash, a lost lease) before it is recorded as failed with
    /// every attempt's error (1 to 20; 1 never retries). Invalid and
    /// unsupported configurations are recorded at once.
    #[arg(long, default_value_t = 3)]
    max_attempts: u32,
    /// Give up on one evaluation after this long (`90s`, `10m`, `1h`, or
    /// seconds; above 0, at most a week): the attempt is recorded as a
    /// timeout and given back to the queue's retry. Default: no limit.
    #[arg(long, value_parser = parse::eval_timeout)]
    eval_timeout: Option<Duration>,
}

pub fn run(a: WorkerArgs) -> anyhow::Result<()> {
    // Every setting is checked before the study is opened.
    let policy = LeasePolicy {
        lease: a.lease,
        max_attempts: a.max_attempts,
    }
    .check()?;
    let queue = study::open(&a.study)?;
    let mut options = WorkerOptions {
        policy,
        max_time: a.max_time,
        allow_shared_host: a.allow_shared_host,
        ..Default::default()
    };
    if let Some(n) = a.name {
        options.name = n;
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_message(format!("worker {} serving {}", options.name, a.study));
    spinner.enable_steady_tick(Duration::from_millis(250));
    let report = work(
        queue.as_ref(),
        &|spec| {
            evaluator::build(&spec.evaluator_kind)
                .and_then(|e| evaluator::time_limited(e, a.eval_timeout))
                .map_err(|e| e.to_string())
        },
        &options,
    )?;
    spinner.finish_and_clear();
    println!(
        "worker {}: {} measured, {} refused (lease ran out), {} given back",
        options.name, report.completed, report.rejected, report.released
    );
    Ok(())
}
