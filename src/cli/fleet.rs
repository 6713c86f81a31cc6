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

/// Worker processes started here; killed if the optimizer stops early.
pub struct LocalWorkers {
    children: Vec<Child>,
}

impl LocalWorkers {
    /// Starts `n` `aellm worker` processes on the study `url`.
    pub fn start(url: &str, n: usize, allow_shared_host: bool) -> anyhow::Result<Self> {
        let exe =
            std::env::current_exe().context("finding the aellm executable to start workers")?;
        let mut children = Vec::with_capacity(n);
        for _ in 0..n {
            let mut cmd = Command::new(&exe);
            cmd.args(["worker", "--study", url]);
            if allow_shared_host {
                cmd.arg("--allow-shared-host");
            }
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
