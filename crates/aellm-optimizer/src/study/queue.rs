//! The work queue of a shared study: the optimizer enqueues configurations,
//! workers on any machine claim them with a lease, heartbeat while they
//! measure, and complete them; a lease that runs out (a dead or stopped
//! worker) sends the configuration back to the queue, and after
//! [`LeasePolicy::max_attempts`] it is recorded as failed with every
//! attempt's error. Lease expiry is read on the store's clock, so workers'
//! clocks need not agree.

use super::{Study, StudyKey};
use crate::OptimizerError;
use crate::params::invalid;
use crate::runner::MAX_ATTEMPTS_LIMIT;
use aellm_space::{Configuration, EvalError, Evaluation, Scenario};
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

impl LeasePolicy {
    /// The policy, if a user could mean it: a lease of at least a second
    /// (workers heartbeat every third of it over the network) and 1 to
    /// [`MAX_ATTEMPTS_LIMIT`] attempts, as for a run without workers.
    pub fn check(self) -> Result<Self, OptimizerError> {
        if self.lease < Duration::from_secs(1) {
            return Err(invalid(
                "lease",
                format!("{:?}", self.lease),
                "at least 1 s (a worker renews it every third of its length)".into(),
            ));
        }
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&(self.max_attempts as usize)) {
            return Err(invalid(
                "max_attempts",
                self.max_attempts,
                format!(
                    "1 to {MAX_ATTEMPTS_LIMIT} attempts per configuration (1: never retry a failure)"
                ),
            ));
        }
        Ok(self)
    }
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

    /// Gives a claim back after an attempt that failed in a way that may
    /// pass (out of memory, a timeout, a panic, a lost device), recording
    /// `error`; the configuration is queued again or, after the last
    /// attempt, recorded as failed with every attempt's error. Nothing
    /// happens if the claim no longer holds.
    fn release(
        &self,
        claim: &Claim,
        error: &EvalError,
        policy: &LeasePolicy,
    ) -> Result<(), OptimizerError>;

    /// Counts per state and the workers seen.
    fn status(&self) -> Result<QueueStatus, OptimizerError>;

    /// Says that nothing more will be enqueued (workers may then stop when
    /// the queue is empty), or, with `false`, that more is coming.
    fn set_closed(&self, closed: bool) -> Result<(), OptimizerError>;
}

/// The `errors` column of a trial with one more attempt's error, flattened
/// (an [`EvalError::Attempts`] adds each of its attempts).
///
/// The column is a JSON list, oldest attempt first. Each entry is an
/// [`EvalError`]; studies written before failures were classified hold
/// plain strings (`"attempt 1: the lease of w ran out"`), which read back
/// as crashes, the only thing a worker gave back then. An entry that is
/// neither is kept as an `other failed` with its text, never dropped.
pub(crate) fn with_attempt(stored: &str, error: &EvalError) -> Vec<EvalError> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(stored).unwrap_or_default();
    let mut errors: Vec<EvalError> = entries
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(reason) => EvalError::Crashed { reason },
            v => serde_json::from_value(v.clone()).unwrap_or(EvalError::Failed {
                reason: v.to_string(),
            }),
        })
        .collect();
    match error {
        EvalError::Attempts { attempts } => errors.extend(attempts.iter().cloned()),
        e => errors.push(e.clone()),
    }
    errors
}

/// The evaluation recorded when a configuration ran out of attempts: every
/// attempt's error, oldest first, each with its class.
pub(crate) fn exhausted(configuration: Configuration, errors: Vec<EvalError>) -> Evaluation {
    Evaluation {
        configuration,
        outcome: Err(EvalError::Attempts { attempts: errors }),
    }
}

/// The error a lease that ran out leaves: the worker is lost to the study
/// (dead, stopped, cut off), as far as the study can tell.
pub(crate) fn lease_ran_out(worker: Option<String>) -> EvalError {
    let who = worker.unwrap_or_else(|| "a worker".into());
    EvalError::Crashed {
        reason: format!("the lease of {who} ran out"),
    }
}

/// A fresh lease token.
pub(crate) fn token() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_kept_with_their_class_and_old_string_entries_still_read() {
        let oom = EvalError::OutOfMemory {
            reason: "cuda".into(),
        };
        // A study written before failures were classified, and a damaged entry.
        let old = r#"["attempt 1: the lease of w ran out", {"x": 1}]"#;
        let errors = with_attempt(old, &oom);
        let classes: Vec<_> = errors.iter().map(|e| e.class().name()).collect();
        assert_eq!(classes, ["crashed", "failed", "out_of_memory"]);
        assert!(errors[0].to_string().contains("lease of w ran out"));
        // What is stored reads back the same, and an `Attempts` is flattened.
        let stored = serde_json::to_string(&errors).unwrap();
        let both = EvalError::Attempts {
            attempts: vec![oom.clone(), oom.clone()],
        };
        assert_eq!(with_attempt(&stored, &both).len(), 5);
        assert_eq!(with_attempt("not json", &oom), vec![oom]);
    }

    #[test]
    fn a_lease_policy_a_user_could_mean_is_checked() {
        let ok = LeasePolicy::default();
        assert_eq!(ok.check().unwrap(), ok);
        for (lease, n, field) in [
            (0, 3, "lease"),
            (60, 0, "max_attempts"),
            (60, 21, "max_attempts"),
        ] {
            let p = LeasePolicy {
                lease: Duration::from_millis(lease * 1000),
                max_attempts: n,
            };
            let e = p.check().unwrap_err().to_string();
            assert!(e.contains(field), "{e}");
        }
    }
}
