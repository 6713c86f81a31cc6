//! The work queue of a shared study: the optimizer enqueues configurations,
//! workers on any machine claim them with a lease, heartbeat while they
//! measure, and complete them; a lease that runs out (a dead or stopped
//! worker) sends the configuration back to the queue, and after
//! [`LeasePolicy::max_attempts`] it is recorded as failed with every
//! attempt's error. Lease expiry is read on the store's clock, so workers'
//! clocks need not agree.

use super::{Study, StudyKey};
use crate::OptimizerError;
use aellm_space::{Configuration, Evaluation, Scenario};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What workers need to measure a study's configurations: the scenario and
/// the evaluator, by a name the worker's program can build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudySpec {
    /// The key every record of the study is filed under.
    pub key: StudyKey,
    /// The scenario measured.
    pub scenario: Scenario,
    /// The evaluator's kind, e.g. `harness` (its full name is `key.evaluator`).
    pub evaluator_kind: String,
}

/// How long a claim holds and how often a configuration may be tried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LeasePolicy {
    /// A claim runs out this long after it was made or last heartbeated.
    pub lease: Duration,
    /// Attempts (claims that ended without a completion) before the
    /// configuration is recorded as failed.
    pub max_attempts: u32,
}

impl Default for LeasePolicy {
    fn default() -> Self {
        LeasePolicy {
            lease: Duration::from_secs(60),
            max_attempts: 3,
        }
    }
}

/// A configuration leased to one worker. Only the holder of `token` may
/// heartbeat or complete it, and only while the lease lasts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The trial's row.
    pub trial: i64,
    /// The study it belongs to.
    pub key: StudyKey,
    /// What to measure.
    pub configuration: Configuration,
    /// The phase that asked for it.
    pub phase: String,
    /// The lease token.
    pub token: String,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
}

/// A worker as the study sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// The worker's name (host and process id, unless given).
    pub worker: String,
    /// The machine it runs on.
    pub host: String,
    /// Seconds since its last claim, heartbeat or completion, on the store's clock.
    pub seconds_since_heartbeat: f64,
}

/// How many configurations are in each state, and the workers seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueStatus {
    /// Waiting for a worker.
    pub queued: usize,
    /// Leased to a worker.
    pub running: usize,
    /// Completed (its evaluation is stored, success or evaluation failure).
    pub done: usize,
    /// Recorded as failed after the last attempt.
    pub failed: usize,
    /// Every worker that ever claimed, most recently seen first.
    pub workers: Vec<WorkerInfo>,
    /// Whether the optimizer said it will enqueue nothing more.
    pub closed: bool,
}

/// A study store with a work queue (see the module's documentation).
pub trait Queue: Study {
    /// Records what workers need to measure `spec.key`'s configurations.
    fn register(&self, spec: &StudySpec) -> Result<(), OptimizerError>;

    /// The registered study with this key.
    fn spec(&self, key: &StudyKey) -> Result<Option<StudySpec>, OptimizerError>;

    /// Queues each configuration that is neither stored nor queued already;
    /// returns how many were added.
    fn enqueue(
        &self,
        key: &StudyKey,
        configurations: &[Configuration],
        phase: &str,
    ) -> Result<usize, OptimizerError>;

    /// Leases the oldest queued configuration to `worker` on `host`
    /// (expired leases are first sent back to the queue or, after
    /// `policy.max_attempts`, recorded as failed). `None` when nothing is queued.
    fn claim(
        &self,
        worker: &str,
        host: &str,
        policy: &LeasePolicy,
    ) -> Result<Option<Claim>, OptimizerError>;

    /// Extends a claim's lease; `false` if the claim no longer holds.
    fn heartbeat(&self, claim: &Claim, policy: &LeasePolicy) -> Result<bool, OptimizerError>;

    /// Stores the claim's evaluation and marks it done, in one transaction,
    /// only if the claim still holds; `false` (and nothing written) if it
    /// does not: a late worker's result never overwrites or doubles one.
    fn complete(
        &self,
        claim: &Claim,
        evaluation: &Evaluation,
        host: &str,
    ) -> Result<bool, OptimizerError>;

    /// Gives a claim back after a failed attempt (a panic, a lost device),
    /// recording `error`; the configuration is queued again or, after the
    /// last attempt, recorded as failed with every attempt's error.
    fn release(
        &self,
        claim: &Claim,
        error: &str,
        policy: &LeasePolicy,
    ) -> Result<(), OptimizerError>;

    /// Counts per state and the workers seen.
    fn status(&self) -> Result<QueueStatus, OptimizerError>;

    /// Says that nothing more will be enqueued (workers may then stop when
    /// the queue is empty), or, with `false`, that more is coming.
    fn set_closed(&self, closed: bool) -> Result<(), OptimizerError>;
}

/// The evaluation recorded when a configuration ran out of attempts: every
/// attempt's error, each a crash (a worker that panicked, lost its lease or
/// could not build the evaluator), since a worker gives back only what it
/// could not finish.
pub(crate) fn exhausted(configuration: Configuration, errors: &[String]) -> Evaluation {
    let attempts = errors
        .iter()
        .map(|e| aellm_space::EvalError::Crashed { reason: e.clone() })
        .collect();
    Evaluation {
        configuration,
        outcome: Err(aellm_space::EvalError::Attempts { attempts }),
    }
}

/// A fresh lease token.
pub(crate) fn token() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}
