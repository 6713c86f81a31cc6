//! A per-evaluation time limit around any evaluator.

use crate::{Configuration, EvalError, Evaluator, Measurement, Scenario, SpaceError, cancel};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The longest per-evaluation limit accepted: a week.
pub const MAX_EVAL_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// An evaluator whose evaluations each get at most `limit` of wall time.
///
/// Each evaluation runs on a thread of its own while the caller waits for
/// its result up to the limit. Past it the caller gets
/// [`EvalError::Timeout`] and goes on; the thread, which Rust cannot kill,
/// is abandoned: it is asked to stop ([`cancel::requested`] turns true on
/// it, which the harness checks between stages), its result is thrown away
/// when it comes, and until then it holds its memory and CPU. So that a
/// straggler does not share the machine with the next timed run, the next
/// evaluation first waits up to one more `limit` for stragglers to end (and
/// logs a warning if they still have not).
///
/// A panic inside the evaluator comes back as [`EvalError::Crashed`].
///
/// ```
/// use aellm_space::*;
/// use std::{sync::Arc, time::Duration};
///
/// struct Slow;
/// impl Evaluator for Slow {
///     fn name(&self) -> String { "slow".into() }
///     fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
///         // A long computation that looks at the cancel flag now and then.
///         while !cancel::requested() { std::thread::sleep(Duration::from_millis(5)); }
///         Err(EvalError::Failed { reason: "cancelled".into() })
///     }
/// }
/// let s = Scenario::new(presets::model("phi-2").unwrap(), presets::task("mmlu").unwrap(),
///                       presets::hardware("rtx-4090").unwrap());
/// let limited = TimeLimited::new(Arc::new(Slow), Duration::from_millis(50)).unwrap();
/// let e = limited.evaluate(&Configuration::default(), &s).unwrap_err();
/// assert_eq!(e.class(), FailureClass::Timeout);
/// ```
pub struct TimeLimited {
    inner: Arc<dyn Evaluator>,
    limit: Duration,
    abandoned: Mutex<Vec<JoinHandle<()>>>,
}

impl TimeLimited {
    /// `inner` with `limit` per evaluation; the limit must be positive and at
    /// most [`MAX_EVAL_TIMEOUT`].
    pub fn new(inner: Arc<dyn Evaluator>, limit: Duration) -> Result<Self, SpaceError> {
        check_eval_timeout(limit.as_secs_f64())?;
        Ok(TimeLimited {
            inner,
            limit,
            abandoned: Mutex::new(Vec::new()),
        })
    }

    /// The limit per evaluation.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Abandoned evaluations whose threads are still running.
    pub fn still_running(&self) -> usize {
        let mut v = self.abandoned.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|h| !h.is_finished());
        v.len()
    }

    /// Waits up to one limit for abandoned evaluations to end.
    fn wait_for_stragglers(&self) {
        let started = std::time::Instant::now();
        while self.still_running() > 0 {
            if started.elapsed() >= self.limit {
                tracing::warn!(
                    still_running = self.still_running(),
                    "abandoned evaluations are still running; figures measured now share the machine with them"
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Checks a per-evaluation time limit given in seconds (as a user writes it).
pub fn check_eval_timeout(seconds: f64) -> Result<(), SpaceError> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= MAX_EVAL_TIMEOUT.as_secs_f64() {
        return Ok(());
    }
    Err(SpaceError::InvalidField {
        what: "the per-evaluation time limit".into(),
        field: "eval_timeout".into(),
        why: format!(
            "is {seconds}; give a time in seconds above 0 and at most {} (a week)",
            MAX_EVAL_TIMEOUT.as_secs()
        ),
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

impl Evaluator for TimeLimited {
    /// The inner evaluator's name: a limit does not change what a figure means.
    fn name(&self) -> String {
        self.inner.name()
    }

    fn evaluate(&self, c: &Configuration, s: &Scenario) -> Result<Measurement, EvalError> {
        self.wait_for_stragglers();
        let (tx, rx) = channel();
        let flag = Arc::new(AtomicBool::new(false));
        let (inner, config, scenario, f) = (self.inner.clone(), *c, s.clone(), flag.clone());
        let handle = std::thread::Builder::new()
            .name("aellm-evaluation".into())
            .spawn(move || {
                cancel::install(f);
                let run = || inner.evaluate(&config, &scenario);
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
                    .map_err(|p| panic_message(p.as_ref()));
                // The receiver is gone when the caller gave up: nothing to do.
                let _ = tx.send(out);
            })
            .map_err(|e| EvalError::Crashed {
                reason: format!("cannot start a thread for the evaluation: {e}"),
            })?;
        let name = self.inner.name();
        match rx.recv_timeout(self.limit) {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(message)) => Err(EvalError::Crashed {
                reason: format!("{name} panicked: {message}"),
            }),
            Err(RecvTimeoutError::Disconnected) => Err(EvalError::Crashed {
                reason: format!("{name}'s evaluation thread ended without a result"),
            }),
            Err(RecvTimeoutError::Timeout) => {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(configuration = %c, limit = ?self.limit, "evaluation ran past its time limit; abandoned and asked to stop");
                self.abandoned
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(handle);
                Err(EvalError::Timeout {
                    limit_s: self.limit.as_secs_f64(),
                    reason: format!(
                        "{name} was still evaluating {c}; the run was abandoned and asked to stop"
                    ),
                })
            }
        }
    }

    fn parallelism(&self) -> usize {
        self.inner.parallelism()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FailureClass, Objectives, Provenance, presets};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn scenario() -> Scenario {
        Scenario::new(
            presets::model("phi-2").unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware("rtx-4090").unwrap(),
        )
    }

    /// Hangs (ignoring cancellation) on its first call until released;
    /// answers at once after that; panics when told to.
    struct Hangs {
        calls: AtomicUsize,
        release: Arc<AtomicBool>,
    }

    impl Evaluator for Hangs {
        fn name(&self) -> String {
            "hangs".into()
        }
        fn evaluate(&self, c: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
                while !self.release.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            if c.inference.weights.bits() == 4 {
                panic!("no kernel for this");
            }
            let o = Objectives {
                accuracy: 0.5,
                latency_ms: 1.0,
                memory_gb: 1.0,
                energy_j: 1.0,
            };
            Ok(Measurement::new(o, Provenance::Measured, "hangs"))
        }
    }

    #[test]
    fn a_hanging_evaluation_times_out_and_the_next_one_runs() {
        let release = Arc::new(AtomicBool::new(false));
        let inner = Arc::new(Hangs {
            calls: AtomicUsize::new(0),
            release: release.clone(),
        });
        let limited = TimeLimited::new(inner.clone(), Duration::from_millis(100)).unwrap();
        assert_eq!(limited.name(), "hangs");
        let started = std::time::Instant::now();
        let e = limited
            .evaluate(&Configuration::default(), &scenario())
            .unwrap_err();
        assert_eq!(e.class(), FailureClass::Timeout, "{e}");
        assert!(e.to_string().contains("timed out after 0.1 s"), "{e}");
        assert_eq!(limited.still_running(), 1);
        // The straggler ignores cancellation: the next call waits one limit
        // for it, then goes on and gets its own answer.
        assert!(
            limited
                .evaluate(&Configuration::default(), &scenario())
                .is_ok()
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        release.store(true, Ordering::SeqCst);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while limited.still_running() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            limited.still_running(),
            0,
            "the straggler ends once released"
        );
    }

    #[test]
    fn a_panic_inside_is_a_crash() {
        let inner = Arc::new(Hangs {
            calls: AtomicUsize::new(1),
            release: Arc::new(AtomicBool::new(true)),
        });
        let limited = TimeLimited::new(inner, Duration::from_secs(10)).unwrap();
        let mut c = Configuration::default();
        c.inference.weights = crate::WeightPrecision::Int4;
        let e = limited.evaluate(&c, &scenario()).unwrap_err();
        assert_eq!(e.class(), FailureClass::Crashed);
        assert!(
            e.to_string().contains("hangs panicked: no kernel for this"),
            "{e}"
        );
    }

    #[test]
    fn a_limit_must_be_positive_finite_and_at_most_a_week() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
            let e = check_eval_timeout(bad).unwrap_err().to_string();
            assert!(
                e.contains("eval_timeout") && e.contains("above 0"),
                "{bad}: {e}"
            );
        }
        assert!(check_eval_timeout(0.5).is_ok());
        assert!(
            TimeLimited::new(
                Arc::new(Hangs {
                    calls: AtomicUsize::new(1),
                    release: Arc::new(AtomicBool::new(true)),
                }),
                Duration::ZERO
            )
            .is_err()
        );
    }
}
