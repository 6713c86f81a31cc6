//! The study: every evaluation of a run, kept the moment it exists.
//!
//! Measurement is the expensive part, so nothing measured may be lost: each
//! [`Evaluation`] is written in its own transaction as soon as the evaluator
//! returns, a killed run that starts again with the same study finds what was
//! already measured, and failures are stored next to successes. The store sits
//! behind the [`Study`] trait so a shared server database can take SQLite's
//! place when workers on many machines claim configurations with leases.

mod memory;
mod postgres;
mod postgres_queue;
mod queue;
#[cfg(test)]
mod queue_contract;
mod retry;
pub mod schema;
mod sqlite;
mod sqlite_queue;
#[doc(hidden)]
pub mod testing;
mod url;

pub use memory::MemoryStudy;
pub use postgres::PostgresStudy;
pub use queue::{Claim, LeasePolicy, Queue, QueueStatus, StudySpec, WorkerInfo};
pub use retry::ReplaceFailure;
pub use sqlite::SqliteStudy;
pub use url::open;

use crate::OptimizerError;
use aellm_space::{Configuration, Evaluation, Scenario};
use serde::{Deserialize, Serialize};

/// Identifies what a measurement is valid for: the same configuration measured
/// by another evaluator, or in another scenario, is a different record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StudyKey {
    /// A hash of the scenario (model, task, hardware; preferences excluded,
    /// since they do not change a measurement).
    pub scenario: String,
    /// The evaluator's name.
    pub evaluator: String,
}

impl StudyKey {
    /// The key for a scenario and an evaluator name.
    pub fn new(scenario: &Scenario, evaluator: &str) -> Self {
        let measured = serde_json::json!({
            "model": scenario.model,
            "task": scenario.task,
            "hardware": scenario.hardware,
        });
        let hash = blake3::hash(measured.to_string().as_bytes()).to_hex();
        StudyKey {
            scenario: hash[..16].to_string(),
            evaluator: evaluator.to_string(),
        }
    }
}

/// A stored evaluation with where it came from in the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The evaluation.
    pub evaluation: Evaluation,
    /// Which part of the run asked for it (e.g. `initial`, `refine-1`, `baseline-random`).
    pub phase: String,
    /// Seconds since the Unix epoch when it was stored.
    pub stored_at: f64,
    /// The machine it was measured on, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// A store of evaluations. Implementations must make `record` (and
/// [`ReplaceFailure::replace_failure`], with which a retried failure is
/// overwritten) durable before returning.
pub trait Study: ReplaceFailure + Send + Sync {
    /// Stores an evaluation. Recording the same configuration twice for the
    /// same key keeps the first and returns `Ok(false)`.
    fn record(
        &self,
        key: &StudyKey,
        evaluation: &Evaluation,
        phase: &str,
    ) -> Result<bool, OptimizerError>;

    /// The stored evaluation of a configuration, if any.
    fn lookup(
        &self,
        key: &StudyKey,
        configuration: &Configuration,
    ) -> Result<Option<Record>, OptimizerError>;

    /// Every stored evaluation for a key, in the order stored.
    fn records(&self, key: &StudyKey) -> Result<Vec<Record>, OptimizerError>;

    /// The same store as a work queue, if it is one (SQLite and PostgreSQL
    /// studies are; an in-memory one is not).
    fn as_queue(&self) -> Option<&dyn Queue> {
        None
    }
}

/// This machine's name, recorded with each measurement.
pub fn this_host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// A stored row as a record, or `None` (reported, not fatal) when it does
/// not parse: one damaged row never costs the rest of the study.
pub(crate) fn decode_or_skip(
    location: &str,
    id: i64,
    configuration: &str,
    outcome: &str,
    phase: String,
    stored_at: f64,
    host: Option<String>,
) -> Option<Record> {
    let parsed = serde_json::from_str::<Configuration>(configuration).and_then(|c| {
        Ok(Evaluation {
            configuration: c,
            outcome: serde_json::from_str(outcome)?,
        })
    });
    match parsed {
        Ok(evaluation) => Some(Record {
            evaluation,
            phase,
            stored_at,
            host: host.filter(|h| !h.is_empty()),
        }),
        Err(e) => {
            tracing::warn!(study = location, row = id, error = %e, "skipping a damaged evaluation row; its configuration will be measured again if asked for");
            None
        }
    }
}

pub(crate) fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
pub(crate) mod contract {
    //! The behaviour every `Study` must have, run against each implementation.
    use super::*;
    use aellm_space::{EvalError, Measurement, Objectives, Provenance, Space, presets};
    use rand::SeedableRng;

    pub fn scenario() -> Scenario {
        Scenario::new(
            presets::model("llama-2-7b").unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware("a100-80gb").unwrap(),
        )
    }

    pub fn configs(n: usize) -> Vec<Configuration> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut v = Space::paper().sample_n(4 * n, &mut rng).unwrap();
        v.sort_by_key(|c| c.key());
        v.dedup();
        v.truncate(n);
        v
    }

    pub fn ok(c: Configuration, acc: f64) -> Evaluation {
        let o = Objectives {
            accuracy: acc,
            latency_ms: 10.0,
            memory_gb: 2.0,
            energy_j: 3.0,
        };
        Evaluation {
            configuration: c,
            outcome: Ok(Measurement::new(o, Provenance::Measured, "t")),
        }
    }

    pub fn run(study: &dyn Study) {
        let s = scenario();
        let key = StudyKey::new(&s, "t");
        let other = StudyKey::new(&s, "other-evaluator");
        let cs = configs(6);

        assert!(study.record(&key, &ok(cs[0], 0.5), "initial").unwrap());
        let failed = Evaluation {
            configuration: cs[1],
            outcome: Err(EvalError::Failed {
                reason: "oom".into(),
            }),
        };
        assert!(study.record(&key, &failed, "initial").unwrap());
        // The first record of a configuration wins.
        assert!(!study.record(&key, &ok(cs[0], 0.9), "refine-1").unwrap());

        let got = study.lookup(&key, &cs[0]).unwrap().unwrap();
        assert_eq!(got.evaluation, ok(cs[0], 0.5));
        assert_eq!(got.phase, "initial");
        assert_eq!(
            study.lookup(&key, &cs[1]).unwrap().unwrap().evaluation,
            failed
        );
        assert!(study.lookup(&key, &cs[2]).unwrap().is_none());
        // A retried failure is replaced in place; a success never is.
        let retried = Evaluation {
            configuration: cs[1],
            outcome: Err(failed
                .outcome
                .clone()
                .unwrap_err()
                .then(EvalError::Timeout {
                    limit_s: 1.0,
                    reason: "slow".into(),
                })),
        };
        assert!(study.replace_failure(&key, &retried, "refine-1").unwrap());
        assert_eq!(
            study.lookup(&key, &cs[1]).unwrap().unwrap().evaluation,
            retried
        );
        assert!(
            study
                .replace_failure(&key, &ok(cs[1], 0.7), "refine-2")
                .unwrap()
        );
        assert!(
            !study
                .replace_failure(&key, &ok(cs[1], 0.1), "refine-3")
                .unwrap()
        );
        assert!(
            !study
                .replace_failure(&key, &ok(cs[2], 0.1), "refine-3")
                .unwrap()
        );
        assert!(study.lookup(&key, &cs[2]).unwrap().is_none());
        let back = study.lookup(&key, &cs[1]).unwrap().unwrap();
        assert_eq!(
            (back.evaluation, back.phase.as_str()),
            (ok(cs[1], 0.7), "refine-2")
        );
        assert!(study.lookup(&other, &cs[0]).unwrap().is_none());
        let all = study.records(&key).unwrap();
        assert_eq!(
            all.iter()
                .map(|r| r.evaluation.configuration)
                .collect::<Vec<_>>(),
            vec![cs[0], cs[1]]
        );
    }
}
