//! `aellm optimize --workers N`: the optimizer hands every evaluation to
//! workers through the study's queue, and starts N of them on this machine
//! (`aellm worker` processes; 0 starts none and waits for workers started
//! elsewhere).

use super::evaluator;
use aellm::optimizer::study::Queue;
use aellm::optimizer::{AeLlm, AeLlmParams};
use aellm::space::Evaluator;
use anyhow::Context;
use std::process::{Child, Command};
use std::time::Duration;

/// The optimizer, handing evaluations to workers when `workers` is given.
pub fn optimizer(
    params: AeLlmParams,
    workers: Option<usize>,
    chosen: &dyn Evaluator,
) -> anyhow::Result<AeLlm> {
    let ae = AeLlm::new(params);
    if workers.is_none() {
        return Ok(ae);
    }
    let kind = evaluator::kind_of(chosen).with_context(|| {
        format!(
            "workers build their evaluator by name, and `{}` is not one they can build (one of {}, uncalibrated)",
            chosen.name(),
            evaluator::NAMES.join(", ")
        )
    })?;
    Ok(ae.through_workers(kind))
}

/// What `aellm optimize` tells the local workers it starts.
#[derive(Debug, Clone, Copy)]
pub struct WorkerFlags {
    /// Let them measure side by side.
    pub allow_shared_host: bool,
    /// The per-evaluation time limit.
    pub eval_timeout: Option<Duration>,
    /// Attempts per configuration whose failure may pass.
    pub max_attempts: usize,
}

/// Threads each of `n` side-by-side local workers may use: this machine's
/// cores shared out (at least one), unless the user set `RAYON_NUM_THREADS`
/// (candle's CPU kernels and gemm size their pools from it). Without the
/// share, N workers each start a pool as wide as the machine and spend the
/// cores spinning against each other (2 workers on 2 cores: 2.2× the CPU
/// time of one process for the same evaluations).
fn threads_per_worker(n: usize, flags: &WorkerFlags) -> Option<usize> {
    if !flags.allow_shared_host || n < 2 || std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return None;
    }
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    Some((cores / n).max(1))
}

/// `exe worker` on the study `url` with `flags`, using `threads` threads if given.
fn worker_command(
    exe: &std::path::Path,
    url: &str,
    flags: &WorkerFlags,
    threads: Option<usize>,
) -> Command {
    let mut cmd = Command::new(exe);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t.to_string());
    }
    cmd.args(["worker", "--study", url]);
    cmd.args(["--max-attempts", &flags.max_attempts.to_string()]);
    if let Some(t) = flags.eval_timeout {
        // Plain seconds: what `--eval-timeout` reads back exactly.
        cmd.args(["--eval-timeout", &t.as_secs_f64().to_string()]);
    }
    if flags.allow_shared_host {
        cmd.arg("--allow-shared-host");
    }
    cmd
}

/// Worker processes started here; killed if the optimizer stops early.
pub struct LocalWorkers {
    children: Vec<Child>,
}

impl LocalWorkers {
    /// Starts `n` `aellm worker` processes on the study `url`, measuring as
    /// `flags` say (the optimizer's own options: through workers, the time
    /// limit and retries are theirs to apply).
    pub fn start(url: &str, n: usize, flags: &WorkerFlags) -> anyhow::Result<Self> {
        let exe =
            std::env::current_exe().context("finding the aellm executable to start workers")?;
        let mut children = Vec::with_capacity(n);
        let threads = threads_per_worker(n, flags);
        if let Some(t) = threads {
            eprintln!("aellm: {n} local workers share this machine's cores, {t} threads each");
        }
        for _ in 0..n {
            let mut cmd = worker_command(&exe, url, flags, threads);
            children.push(cmd.spawn().context("starting a local worker")?);
        }
        Ok(LocalWorkers { children })
    }

    /// Says nothing more is coming, then waits for each worker to drain the
    /// queue and exit.
    pub fn finish(mut self, queue: &dyn Queue) -> anyhow::Result<()> {
        queue.set_closed(true)?;
        for mut c in std::mem::take(&mut self.children) {
            let status = c.wait()?;
            if !status.success() {
                eprintln!("aellm: a local worker exited with {status}");
            }
        }
        Ok(())
    }
}

impl Drop for LocalWorkers {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_workers_get_the_optimizer_s_time_limit_and_retries() {
        let flags = WorkerFlags {
            allow_shared_host: true,
            eval_timeout: Some(Duration::from_millis(1500)),
            max_attempts: 5,
        };
        let cmd = worker_command(std::path::Path::new("aellm"), "s.sqlite", &flags, Some(1));
        let env: Vec<_> = cmd.get_envs().collect();
        assert_eq!(
            env,
            [(
                std::ffi::OsStr::new("RAYON_NUM_THREADS"),
                Some(std::ffi::OsStr::new("1"))
            )]
        );
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(
            args,
            [
                "worker",
                "--study",
                "s.sqlite",
                "--max-attempts",
                "5",
                "--eval-timeout",
                "1.5",
                "--allow-shared-host"
            ]
        );
        // What the worker's own parser makes of it.
        assert_eq!(
            super::super::parse::eval_timeout(&args[6]).unwrap(),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn only_side_by_side_workers_share_out_the_cores() {
        let mut flags = WorkerFlags {
            allow_shared_host: true,
            eval_timeout: None,
            max_attempts: 1,
        };
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
            assert_eq!(threads_per_worker(2, &flags), Some((cores / 2).max(1)));
            assert_eq!(threads_per_worker(4 * cores, &flags), Some(1));
        }
        assert_eq!(threads_per_worker(1, &flags), None);
        flags.allow_shared_host = false;
        assert_eq!(threads_per_worker(2, &flags), None);
    }
}
