//! A worker: claims configurations from a study's queue, measures each with
//! the evaluator the study names, heartbeats while it measures, and
//! completes it, until the study is closed and drained or its time is up.
//! Any number of workers, on any number of machines, may serve one study.

use crate::OptimizerError;
use crate::study::{Claim, LeasePolicy, Queue, StudyKey, StudySpec};
use aellm_space::{EvalError, Evaluation, Evaluator};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Builds the evaluator a study names, or says why it cannot.
pub type EvaluatorFactory<'a> = dyn Fn(&StudySpec) -> Result<Box<dyn Evaluator>, String> + 'a;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The worker's name in the study (default: host and process id).
    pub name: String,
    /// The machine, recorded with each measurement.
    pub host: String,
    /// Lease length and attempts per configuration.
    pub policy: LeasePolicy,
    /// Stop claiming after this long.
    pub max_time: Option<Duration>,
    /// Wait between claims when the queue is empty.
    pub idle_poll: Duration,
    /// Let measurements of several workers on this machine overlap (they
    /// then disturb each other's timings); off, a host-wide file lock lets
    /// one measure at a time.
    pub allow_shared_host: bool,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        let host = crate::study::this_host();
        WorkerOptions {
            name: format!("{host}:{}", std::process::id()),
            host,
            policy: LeasePolicy::default(),
            max_time: None,
            idle_poll: Duration::from_millis(200),
            allow_shared_host: false,
        }
    }
}

/// What a worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Configurations measured and stored.
    pub completed: usize,
    /// Measured, but the lease had run out: the result was not stored.
    pub rejected: usize,
    /// Given back to the queue's retry after a failure that may pass (out
    /// of memory, a timeout, a panic, an evaluator it could not build).
    pub released: usize,
}

/// Serves `queue` until it is closed and empty, or `options.max_time`.
pub fn work(
    queue: &dyn Queue,
    evaluators: &EvaluatorFactory<'_>,
    options: &WorkerOptions,
) -> Result<WorkerReport, OptimizerError> {
    let started = Instant::now();
    let mut report = WorkerReport::default();
    let mut built: HashMap<StudyKey, (StudySpec, Box<dyn Evaluator>)> = HashMap::new();
    loop {
        if options.max_time.is_some_and(|t| started.elapsed() >= t) {
            return Ok(report);
        }
        // This machine's turn comes before the claim: a worker waiting for
        // it holds no lease, so a worker elsewhere may take the work meanwhile,
        // and no lease runs out while its holder waits.
        let turn = if options.allow_shared_host {
            None
        } else {
            host_lock()
        };
        let Some(claim) = queue.claim(&options.name, &options.host, &options.policy)? else {
            drop(turn);
            let s = queue.status()?;
            if s.closed && s.queued == 0 && s.running == 0 {
                return Ok(report);
            }
            std::thread::sleep(options.idle_poll);
            continue;
        };
        if !built.contains_key(&claim.key) {
            match evaluator_for(queue, evaluators, &claim.key) {
                Ok(pair) => {
                    built.insert(claim.key.clone(), pair);
                }
                Err(why) => {
                    tracing::error!(study = ?claim.key, %why, "cannot measure this study here");
                    let lost = EvalError::Crashed {
                        reason: format!("{}: {why}", options.name),
                    };
                    queue.release(&claim, &lost, &options.policy)?;
                    report.released += 1;
                    continue;
                }
            }
        }
        let (spec, evaluator) = &built[&claim.key];
        let outcome = measure(queue, &claim, spec, evaluator.as_ref(), options);
        hand_in(queue, &claim, outcome, options, &mut report)?;
    }
}

/// Hands one claim's outcome to the queue. A measurement, and a failure
/// that would come out the same again (invalid, unsupported), are
/// completed; a failure that may pass (out of memory, a timeout, a crash,
/// any other) goes back to the queue's retry, which records it failed with
/// every attempt's error once the attempts are spent.
fn hand_in(
    queue: &dyn Queue,
    claim: &Claim,
    outcome: Result<Evaluation, EvalError>,
    options: &WorkerOptions,
    report: &mut WorkerReport,
) -> Result<(), OptimizerError> {
    let evaluation = match outcome {
        Ok(Evaluation {
            outcome: Err(e), ..
        })
        | Err(e)
            if !e.is_deterministic() =>
        {
            tracing::warn!(configuration = %claim.configuration, attempt = claim.attempt, of = options.policy.max_attempts, error = %e, "a failure that may pass: given back to the queue");
            queue.release(claim, &e, &options.policy)?;
            report.released += 1;
            return Ok(());
        }
        Ok(e) => e,
        Err(e) => Evaluation {
            configuration: claim.configuration,
            outcome: Err(e),
        },
    };
    if queue.complete(claim, &evaluation, &options.host)? {
        report.completed += 1;
    } else {
        tracing::warn!(configuration = %claim.configuration, "the lease ran out before the result: not stored");
        report.rejected += 1;
    }
    Ok(())
}

/// The study's spec and its evaluator, checked to be the one the study's
/// records were measured with.
fn evaluator_for(
    queue: &dyn Queue,
    evaluators: &EvaluatorFactory<'_>,
    key: &StudyKey,
) -> Result<(StudySpec, Box<dyn Evaluator>), String> {
    let spec = queue
        .spec(key)
        .map_err(|e| e.to_string())?
        .ok_or("the study has no registered scenario")?;
    let ev = evaluators(&spec)?;
    if ev.name() != key.evaluator {
        return Err(format!(
            "this worker's `{}` evaluator is `{}`, the study's is `{}` (another version?)",
            spec.evaluator_kind,
            ev.name(),
            key.evaluator
        ));
    }
    Ok((spec, ev))
}

/// Measures one claim with heartbeats (the caller holds this machine's
/// turn, unless shared measuring is allowed); a panic becomes the attempt's
/// error, a crash.
fn measure(
    queue: &dyn Queue,
    claim: &Claim,
    spec: &StudySpec,
    evaluator: &dyn Evaluator,
    options: &WorkerOptions,
) -> Result<Evaluation, EvalError> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| heartbeat(queue, claim, &options.policy, &stop));
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Evaluation::run(evaluator, claim.configuration, &spec.scenario)
        }));
        stop.store(true, Ordering::SeqCst);
        run.map_err(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into());
            EvalError::Crashed {
                reason: format!("{} panicked: {msg}", options.name),
            }
        })
    })
}

/// Renews the lease every third of its length until `stop`.
fn heartbeat(queue: &dyn Queue, claim: &Claim, policy: &LeasePolicy, stop: &AtomicBool) {
    let every = (policy.lease / 3).max(Duration::from_millis(10));
    let mut last = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10).min(every));
        if last.elapsed() < every {
            continue;
        }
        last = Instant::now();
        match queue.heartbeat(claim, policy) {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(configuration = %claim.configuration, "lease lost while measuring");
                return;
            }
            Err(e) => tracing::warn!(error = %e, "heartbeat failed; retrying"),
        }
    }
}

/// A lock one measuring worker per machine holds (a file in the temporary
/// directory), released when dropped; `None` if the file cannot be opened
/// or locked (then timings may overlap, and a warning says so).
fn host_lock() -> Option<std::fs::File> {
    let path = std::env::temp_dir().join("aellm-measure.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .inspect_err(
            |e| tracing::warn!(path = %path.display(), error = %e, "no host-wide measuring lock"),
        )
        .ok()?;
    f.lock()
        .inspect_err(|e| tracing::warn!(path = %path.display(), error = %e, "cannot take the host-wide measuring lock"))
        .ok()?;
    Some(f)
}
