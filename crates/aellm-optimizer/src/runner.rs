//! Real evaluations through the study: reuse what is stored, record what is
//! new the moment it exists, stop at the time budget.

use crate::OptimizerError;
use crate::observer::PhaseObserver;
use crate::study::{Queue, Study, StudyKey};
use aellm_space::{Configuration, EvalError, Evaluation, Evaluator, Scenario};
use std::time::{Duration, Instant};

/// Measures configurations with an evaluator, through a study.
pub struct Runner<'a> {
    /// The evaluator.
    pub evaluator: &'a dyn Evaluator,
    /// Where evaluations are kept.
    pub study: &'a dyn Study,
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Progress.
    pub observer: &'a dyn PhaseObserver,
    /// No new evaluation starts after this instant.
    pub deadline: Option<Instant>,
    key: StudyKey,
    fresh: std::sync::atomic::AtomicUsize,
    queue: Option<&'a dyn Queue>,
    max_attempts: usize,
}

/// Attempts a configuration gets when its failures may pass (out of memory,
/// timeout, crash, other): the first and two retries.
pub const DEFAULT_MAX_ATTEMPTS: usize = 3;

/// The most attempts a run may allow per configuration: a failure that
/// repeats that often is not passing.
pub const MAX_ATTEMPTS_LIMIT: usize = 20;

/// How often a runner that hands work to workers looks for their results.
const POLL: Duration = Duration::from_millis(100);

/// What a call to [`Runner::measure`] got.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// One evaluation per configuration asked for, in order, less those the
    /// time budget left unmeasured.
    pub evaluations: Vec<Evaluation>,
    /// Whether the time budget cut the list short.
    pub out_of_time: bool,
}

impl<'a> Runner<'a> {
    /// A runner for one scenario.
    pub fn new(
        evaluator: &'a dyn Evaluator,
        study: &'a dyn Study,
        scenario: &'a Scenario,
        observer: &'a dyn PhaseObserver,
        deadline: Option<Instant>,
    ) -> Self {
        let key = StudyKey::new(scenario, &evaluator.name());
        Runner {
            evaluator,
            study,
            scenario,
            observer,
            deadline,
            key,
            fresh: Default::default(),
            queue: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Attempts per configuration (at least 1) when its failures are not
    /// deterministic: a stored out-of-memory, timeout, crash or other failure
    /// with fewer attempts is measured again when the configuration comes up
    /// (in this run or a resumed one), and the later attempt replaces it,
    /// keeping every attempt's error. Invalid and unsupported configurations
    /// are never retried. Through a queue, the queue's own attempt limit
    /// applies instead.
    pub fn max_attempts(mut self, n: usize) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Hands new evaluations to workers through `queue` (enqueue, then read
    /// results as they arrive) instead of running the evaluator here.
    pub fn through_queue(mut self, queue: &'a dyn Queue) -> Self {
        self.queue = Some(queue);
        self
    }

    /// The study key of this runner's scenario and evaluator.
    pub fn key(&self) -> &StudyKey {
        &self.key
    }

    /// New (not reused) evaluations made so far: the budget a method spent.
    pub fn fresh_evaluations(&self) -> usize {
        self.fresh.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the time budget is spent.
    pub fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Evaluates each configuration once: a stored evaluation is reused, a
    /// new one is recorded in the study the moment it exists. Failures are
    /// recorded like successes. Up to [`Evaluator::parallelism`] new
    /// evaluations run at once. Stops early, keeping what it has, when the
    /// time budget is spent.
    pub fn measure(
        &self,
        configurations: &[Configuration],
        phase: &str,
    ) -> Result<Measured, OptimizerError> {
        let width = self.evaluator.parallelism().max(1);
        let mut out = Measured::default();
        let mut pending: Vec<(usize, Configuration)> = Vec::new();
        let mut done: Vec<Option<Evaluation>> = vec![None; configurations.len()];
        let mut earlier: Vec<Option<EvalError>> = vec![None; configurations.len()];
        for (i, c) in configurations.iter().enumerate() {
            match self.study.lookup(&self.key, c)? {
                Some(r) if self.queue.is_none() && self.retry_due(&r.evaluation) => {
                    earlier[i] = r.evaluation.outcome.err();
                    pending.push((i, *c));
                }
                Some(r) => {
                    self.observer.evaluated(&r.evaluation, true);
                    done[i] = Some(r.evaluation);
                }
                None => pending.push((i, *c)),
            }
        }
        if let Some(q) = self.queue {
            out.out_of_time = self.wait_for_workers(q, &pending, &mut done, phase)?;
            out.evaluations = done.into_iter().flatten().collect();
            return Ok(out);
        }
        for wave in pending.chunks(width) {
            if self.out_of_time() {
                out.out_of_time = true;
                break;
            }
            let results: Vec<Result<Evaluation, OptimizerError>> = if wave.len() == 1 {
                let (i, c) = &wave[0];
                vec![self.evaluate_and_record(c, earlier[*i].take(), phase)]
            } else {
                std::thread::scope(|s| {
                    let handles: Vec<_> = wave
                        .iter()
                        .map(|(i, c)| {
                            let before = earlier[*i].take();
                            (
                                c,
                                s.spawn(move || self.evaluate_and_record(c, before, phase)),
                            )
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|(c, h)| {
                            h.join().unwrap_or_else(|_| {
                                Err(OptimizerError::EvaluatorPanicked {
                                    evaluator: self.evaluator.name(),
                                    configuration: c.to_string(),
                                })
                            })
                        })
                        .collect()
                })
            };
            for ((i, _), r) in wave.iter().zip(results) {
                done[*i] = Some(r?);
            }
        }
        // In the order asked for, less those the time budget cut.
        out.evaluations = done.into_iter().flatten().collect();
        Ok(out)
    }

    /// Enqueues `pending` and collects each result as a worker stores it;
    /// `true` if the time budget ran out first (what is still queued stays
    /// queued, for a resumed run to find).
    fn wait_for_workers(
        &self,
        q: &dyn Queue,
        pending: &[(usize, Configuration)],
        done: &mut [Option<Evaluation>],
        phase: &str,
    ) -> Result<bool, OptimizerError> {
        let configs: Vec<Configuration> = pending.iter().map(|(_, c)| *c).collect();
        q.enqueue(&self.key, &configs, phase)?;
        let mut left: Vec<(usize, Configuration)> = pending.to_vec();
        while !left.is_empty() {
            if self.out_of_time() {
                return Ok(true);
            }
            let mut still = Vec::with_capacity(left.len());
            for (i, c) in left {
                match self.study.lookup(&self.key, &c)? {
                    Some(r) => {
                        self.fresh
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        self.observer.evaluated(&r.evaluation, false);
                        done[i] = Some(r.evaluation);
                    }
                    None => still.push((i, c)),
                }
            }
            left = still;
            if !left.is_empty() {
                std::thread::sleep(POLL);
            }
        }
        Ok(false)
    }

    /// Whether a stored evaluation is a failure that may pass and has
    /// attempts left.
    fn retry_due(&self, e: &Evaluation) -> bool {
        e.outcome
            .as_ref()
            .err()
            .is_some_and(|err| !err.is_deterministic() && err.attempts() < self.max_attempts)
    }

    /// Evaluates `c` and stores the outcome; `earlier` is the stored failure
    /// this attempt retries, which it replaces (a failure again keeps both
    /// errors, oldest first).
    fn evaluate_and_record(
        &self,
        c: &Configuration,
        earlier: Option<EvalError>,
        phase: &str,
    ) -> Result<Evaluation, OptimizerError> {
        let mut e = self.evaluate_catching_panics(c);
        match earlier {
            None => {
                self.study.record(&self.key, &e, phase)?;
            }
            Some(before) => {
                tracing::info!(configuration = %c, attempt = before.attempts() + 1, of = self.max_attempts, previous = %before, "retrying a failure that may pass");
                if let Err(now) = e.outcome {
                    e.outcome = Err(before.then(now));
                }
                self.study.replace_failure(&self.key, &e, phase)?;
            }
        }
        self.fresh
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.observer.evaluated(&e, false);
        Ok(e)
    }

    /// One evaluation; an evaluator that panics instead of returning an
    /// `EvalError` gives a recorded failure with the panic's message, so the
    /// search goes on and the study keeps why.
    fn evaluate_catching_panics(&self, c: &Configuration) -> Evaluation {
        let run = || Evaluation::run(self.evaluator, *c, self.scenario);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into());
            tracing::warn!(configuration = %c, %message, "the evaluator panicked; recorded as failed");
            Evaluation {
                configuration: *c,
                outcome: Err(EvalError::Crashed {
                    reason: format!("{} panicked: {message}", self.evaluator.name()),
                }),
            }
        })
    }

    /// Every evaluation stored for this scenario and evaluator.
    pub fn all(&self) -> Result<Vec<Evaluation>, OptimizerError> {
        Ok(self
            .study
            .records(&self.key)?
            .into_iter()
            .map(|r| r.evaluation)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::Silent;
    use crate::study::{MemoryStudy, contract};
    use aellm_space::{EvalError, Measurement, Objectives, Provenance};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its calls and fails on every third.
    struct Counting(AtomicUsize);
    impl Evaluator for Counting {
        fn name(&self) -> String {
            "counting".into()
        }
        fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            if n % 3 == 2 {
                return Err(EvalError::Failed {
                    reason: "boom".into(),
                });
            }
            let o = Objectives {
                accuracy: 0.5,
                latency_ms: 1.0,
                memory_gb: 1.0,
                energy_j: 1.0,
            };
            Ok(Measurement::new(o, Provenance::Measured, "counting"))
        }
    }

    #[test]
    fn nothing_is_measured_twice_and_failures_are_kept() {
        let s = contract::scenario();
        let study = MemoryStudy::new();
        let ev = Counting(AtomicUsize::new(0));
        let cs = contract::configs(6);
        // One attempt each: a stored failure is kept like a success.
        let r = Runner::new(&ev, &study, &s, &Silent, None).max_attempts(1);
        let first = r.measure(&cs[..4], "initial").unwrap();
        assert_eq!(first.evaluations.len(), 4);
        assert!(first.evaluations[2].outcome.is_err());
        // A "restarted" run with the same study re-measures nothing it has.
        let r2 = Runner::new(&ev, &study, &s, &Silent, None).max_attempts(1);
        let second = r2.measure(&cs, "initial").unwrap();
        assert_eq!(second.evaluations.len(), 6);
        assert_eq!(ev.0.load(Ordering::SeqCst), 6);
        assert_eq!(r2.fresh_evaluations(), 2);
        assert_eq!(second.evaluations[..4], first.evaluations[..]);
        assert_eq!(r2.all().unwrap().len(), 6);
    }

    /// Panics on every third configuration, as a buggy evaluator would.
    struct Panicking(AtomicUsize);

    impl Evaluator for Panicking {
        fn name(&self) -> String {
            "panicking".into()
        }
        fn parallelism(&self) -> usize {
            2
        }
        fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            if self.0.fetch_add(1, Ordering::SeqCst) % 3 == 2 {
                panic!("index out of bounds in the user's evaluator");
            }
            let o = Objectives {
                accuracy: 0.5,
                latency_ms: 1.0,
                memory_gb: 1.0,
                energy_j: 1.0,
            };
            Ok(Measurement::new(o, Provenance::Measured, "panicking"))
        }
    }

    #[test]
    fn a_panicking_evaluation_is_a_recorded_failure_and_the_rest_go_on() {
        let s = contract::scenario();
        let study = MemoryStudy::new();
        let ev = Panicking(AtomicUsize::new(0));
        let cs = contract::configs(6);
        let r = Runner::new(&ev, &study, &s, &Silent, None);
        let m = r.measure(&cs, "initial").unwrap();
        assert_eq!(m.evaluations.len(), 6);
        let failed: Vec<String> = m
            .evaluations
            .iter()
            .filter_map(|e| e.outcome.as_ref().err().map(|e| e.to_string()))
            .collect();
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(
            failed
                .iter()
                .all(|f| f.contains("panicking panicked: index out of bounds"))
        );
        assert_eq!(
            r.all().unwrap().len(),
            6,
            "failures are stored with the rest"
        );
    }

    /// Runs out of memory on its first `fails` calls, then measures.
    struct Flaky {
        calls: AtomicUsize,
        fails: usize,
    }

    impl Evaluator for Flaky {
        fn name(&self) -> String {
            "flaky".into()
        }
        fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.fails {
                return Err(EvalError::OutOfMemory {
                    reason: "something else held the memory".into(),
                });
            }
            let o = Objectives {
                accuracy: 0.5,
                latency_ms: 1.0,
                memory_gb: 1.0,
                energy_j: 1.0,
            };
            Ok(Measurement::new(o, Provenance::Measured, "flaky"))
        }
    }

    /// One run of `measure` on `c` with a fresh runner (a resumed run).
    fn resume(ev: &dyn Evaluator, study: &dyn Study, c: Configuration) -> Evaluation {
        let s = contract::scenario();
        let r = Runner::new(ev, study, &s, &Silent, None).max_attempts(3);
        let mut m = r.measure(&[c], "initial").unwrap();
        assert_eq!(r.all().unwrap().len(), 1, "one row per configuration");
        m.evaluations.remove(0)
    }

    #[test]
    fn a_failure_that_may_pass_is_retried_when_it_comes_up_again_until_it_passes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("retry.sqlite");
        let ev = Flaky {
            calls: AtomicUsize::new(0),
            fails: 2,
        };
        let c = contract::configs(1)[0];
        let mut seen = Vec::new();
        for _ in 0..4 {
            // Each round reopens the file: a killed run started again.
            let study = crate::study::SqliteStudy::open(&path).unwrap();
            seen.push(resume(&ev, &study, c).outcome);
        }
        assert_eq!(seen[0].as_ref().unwrap_err().attempts(), 1);
        let second = seen[1].as_ref().unwrap_err();
        assert_eq!(second.attempts(), 2);
        assert!(
            second
                .to_string()
                .starts_with("2 attempts failed: [1] out of memory"),
            "{second}"
        );
        assert!(seen[2].is_ok(), "the third attempt measures: {:?}", seen[2]);
        assert_eq!(seen[3], seen[2], "a success is never measured again");
        assert_eq!(ev.calls.load(Ordering::SeqCst), 3);
    }

    /// Never finishes in time; stops when asked.
    struct Hangs(AtomicUsize);

    impl Evaluator for Hangs {
        fn name(&self) -> String {
            "hangs".into()
        }
        fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            while !aellm_space::cancel::requested() {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(EvalError::Failed {
                reason: "cancelled".into(),
            })
        }
    }

    #[test]
    fn one_that_always_times_out_ends_failed_with_every_attempts_error() {
        let study = MemoryStudy::new();
        let inner = std::sync::Arc::new(Hangs(AtomicUsize::new(0)));
        let ev = aellm_space::TimeLimited::new(inner.clone(), Duration::from_millis(30)).unwrap();
        let c = contract::configs(1)[0];
        let last = (0..5).map(|_| resume(&ev, &study, c)).last().unwrap();
        let err = last.outcome.unwrap_err();
        assert_eq!(
            inner.0.load(Ordering::SeqCst),
            3,
            "three attempts, then no more"
        );
        match &err {
            EvalError::Attempts { attempts } => {
                assert_eq!(attempts.len(), 3);
                assert!(
                    attempts
                        .iter()
                        .all(|a| matches!(a, EvalError::Timeout { .. }))
                );
            }
            other => panic!("expected every attempt, got {other}"),
        }
        assert!(
            err.to_string().contains("[3] timed out after 0.03 s"),
            "{err}"
        );
    }

    #[test]
    fn invalid_and_unsupported_are_never_retried() {
        struct Unsupported(AtomicUsize);
        impl Evaluator for Unsupported {
            fn name(&self) -> String {
                "unsupported".into()
            }
            fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                Err(EvalError::Unsupported {
                    evaluator: self.name(),
                    reason: "no kernel".into(),
                })
            }
        }
        let study = MemoryStudy::new();
        let ev = Unsupported(AtomicUsize::new(0));
        let c = contract::configs(1)[0];
        for _ in 0..3 {
            resume(&ev, &study, c);
        }
        assert_eq!(ev.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_spent_time_budget_stops_before_the_next_evaluation() {
        let s = contract::scenario();
        let study = MemoryStudy::new();
        let ev = Counting(AtomicUsize::new(0));
        let r = Runner::new(&ev, &study, &s, &Silent, Some(Instant::now()));
        let m = r.measure(&contract::configs(3), "initial").unwrap();
        assert!(m.out_of_time && m.evaluations.is_empty());
        assert_eq!(ev.0.load(Ordering::SeqCst), 0);
    }

    /// Waits (up to a second) until `width` evaluations are in flight at once.
    struct Concurrent {
        width: usize,
        in_flight: AtomicUsize,
        most: AtomicUsize,
    }

    impl Evaluator for Concurrent {
        fn name(&self) -> String {
            "concurrent".into()
        }
        fn parallelism(&self) -> usize {
            self.width
        }
        fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            let start = Instant::now();
            while self.in_flight.load(Ordering::SeqCst) < self.width
                && self.most.load(Ordering::SeqCst) < self.width
                && start.elapsed().as_secs_f64() < 1.0
            {
                std::thread::yield_now();
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let o = Objectives {
                accuracy: 0.5,
                latency_ms: 1.0,
                memory_gb: 1.0,
                energy_j: 1.0,
            };
            Ok(Measurement::new(o, Provenance::Measured, "concurrent"))
        }
    }

    #[test]
    fn evaluators_that_allow_it_run_side_by_side_and_keep_the_order() {
        let s = contract::scenario();
        let study = MemoryStudy::new();
        let ev = Concurrent {
            width: 3,
            in_flight: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
        };
        let cs = contract::configs(7);
        let r = Runner::new(&ev, &study, &s, &Silent, None);
        let m = r.measure(&cs, "initial").unwrap();
        assert_eq!(ev.most.load(Ordering::SeqCst), 3);
        let got: Vec<Configuration> = m.evaluations.iter().map(|e| e.configuration).collect();
        assert_eq!(got, cs);
        assert_eq!(r.all().unwrap().len(), 7);
        assert_eq!(r.fresh_evaluations(), 7);
    }

    #[test]
    fn through_a_queue_workers_measure_and_results_come_back_in_order() {
        use crate::study::{LeasePolicy, Queue, SqliteStudy};
        let dir = tempfile::tempdir().unwrap();
        let study = SqliteStudy::open(dir.path().join("q.sqlite")).unwrap();
        let s = contract::scenario();
        let ev = Counting(AtomicUsize::new(0));
        let cs = contract::configs(5);
        study
            .record(
                &StudyKey::new(&s, "counting"),
                &Evaluation::run(&ev, cs[0], &s),
                "x",
            )
            .unwrap();
        let got = std::thread::scope(|sc| {
            // A worker thread: claims until the runner has all it asked for.
            sc.spawn(|| {
                let mut n = 0;
                while n < 4 {
                    match study.claim("w", "h", &LeasePolicy::default()).unwrap() {
                        Some(c) => {
                            let e = Evaluation::run(&ev, c.configuration, &s);
                            assert!(study.complete(&c, &e, "h").unwrap());
                            n += 1;
                        }
                        None => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
            let r = Runner::new(&ev, &study, &s, &Silent, None).through_queue(&study);
            let m = r.measure(&cs, "initial").unwrap();
            assert_eq!(r.fresh_evaluations(), 4);
            m
        });
        let order: Vec<Configuration> = got.evaluations.iter().map(|e| e.configuration).collect();
        assert_eq!(order, cs);
        assert_eq!(ev.0.load(Ordering::SeqCst), 5, "each measured once");
        assert_eq!(study.status().unwrap().done, 4);
    }
}
