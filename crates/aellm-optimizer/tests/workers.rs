//! Workers as real processes on both stores: every trial done exactly once,
//! and the faults a cluster sees: a worker killed with SIGKILL mid-measurement,
//! and one stopped (SIGSTOP) past its lease and then resumed.
//!
//! The workers are this test binary run again with `worker_process` as the
//! only test and the study URL in `AELLM_TEST_WORKER_URL`.

use aellm_optimizer::study::testing::postgres_url;
use aellm_optimizer::study::{self, LeasePolicy, Queue, StudyKey, StudySpec};
use aellm_optimizer::worker::{WorkerOptions, work};
use aellm_space::*;
use rand::SeedableRng;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Sleeps, then returns figures made up from the configuration (estimates
/// of nothing: only the protocol is under test). With `log`, appends each
/// measurement's start and end (nanoseconds since the Unix epoch) to it.
struct Trivial {
    sleep: Duration,
    log: Option<std::path::PathBuf>,
}

fn epoch_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Evaluator for Trivial {
    fn name(&self) -> String {
        "trivial".into()
    }
    fn evaluate(&self, c: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
        let start = epoch_ns();
        std::thread::sleep(self.sleep);
        if let Some(log) = &self.log {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap();
            // One write per line: `writeln!` may split it into several, and
            // two workers appending side by side would interleave them.
            f.write_all(format!("{start} {}\n", epoch_ns()).as_bytes())
                .unwrap();
        }
        let bits = c.inference.weights.bits() as f64;
        let o = Objectives {
            accuracy: 0.5,
            latency_ms: bits,
            memory_gb: bits,
            energy_j: 1.0,
        };
        Ok(Measurement::new(o, Provenance::Estimated, self.name()))
    }
}

fn env_ms(name: &str, default: u64) -> Duration {
    Duration::from_millis(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

/// Not a test by itself: the body of a worker process (does nothing unless
/// `AELLM_TEST_WORKER_URL` is set).
#[test]
fn worker_process() {
    let Ok(url) = std::env::var("AELLM_TEST_WORKER_URL") else {
        return;
    };
    let q = study::open(&url).unwrap();
    let sleep = env_ms("AELLM_TEST_SLEEP_MS", 0);
    let options = WorkerOptions {
        name: std::env::var("AELLM_TEST_WORKER_NAME")
            .unwrap_or_else(|_| format!("w{}", std::process::id())),
        policy: LeasePolicy {
            lease: env_ms("AELLM_TEST_LEASE_MS", 60_000),
            max_attempts: 3,
        },
        idle_poll: Duration::from_millis(20),
        allow_shared_host: std::env::var("AELLM_TEST_SHARED_HOST").as_deref() != Ok("0"),
        ..Default::default()
    };
    let log = std::env::var_os("AELLM_TEST_INTERVALS").map(Into::into);
    let r = work(
        q.as_ref(),
        &|_| {
            let log = log.clone();
            Ok(Box::new(Trivial { sleep, log }) as Box<dyn Evaluator>)
        },
        &options,
    )
    .unwrap();
    println!(
        "REPORT completed={} rejected={} released={}",
        r.completed, r.rejected, r.released
    );
}

fn spawn(url: &str, name: &str, sleep_ms: u64, lease_ms: u64) -> Child {
    worker_command(url, name, sleep_ms, lease_ms)
        .spawn()
        .unwrap()
}

fn worker_command(url: &str, name: &str, sleep_ms: u64, lease_ms: u64) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "worker_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("AELLM_TEST_WORKER_URL", url)
    .env("AELLM_TEST_WORKER_NAME", name)
    .env("AELLM_TEST_SLEEP_MS", sleep_ms.to_string())
    .env("AELLM_TEST_LEASE_MS", lease_ms.to_string())
    .stdout(Stdio::piped());
    cmd
}

fn report(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "worker failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // libtest prints `test worker_process ... ` before the test's own output.
    text.find("REPORT").map_or(String::new(), |i| {
        text[i..].lines().next().unwrap_or("").to_string()
    })
}

fn scenario() -> Scenario {
    Scenario::new(
        presets::model("llama-2-7b").unwrap(),
        presets::task("mmlu").unwrap(),
        presets::hardware("a100-80gb").unwrap(),
    )
}

/// A study with `n` distinct configurations queued.
fn queued(url: &str, n: usize) -> (Box<dyn Queue>, StudyKey, Vec<Configuration>) {
    let q = study::open(url).unwrap();
    let s = scenario();
    let key = StudyKey::new(&s, "trivial");
    q.register(&StudySpec {
        key: key.clone(),
        scenario: s,
        evaluator_kind: "trivial".into(),
    })
    .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut cs = Space::paper().sample_n(3 * n, &mut rng).unwrap();
    cs.sort_by_key(|c| c.key());
    cs.dedup();
    cs.truncate(n);
    assert_eq!(q.enqueue(&key, &cs, "test").unwrap(), n);
    (q, key, cs)
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Each configuration stored exactly once, with the host that measured it.
fn each_once(q: &dyn Queue, key: &StudyKey, cs: &[Configuration]) {
    let recs = q.records(key).unwrap();
    let distinct: std::collections::HashSet<_> =
        recs.iter().map(|r| r.evaluation.configuration).collect();
    assert_eq!((recs.len(), distinct.len()), (cs.len(), cs.len()));
    // Each measurement says which machine it ran on.
    let here = study::this_host();
    assert!(
        recs.iter()
            .all(|r| r.host.as_deref() == Some(here.as_str()))
    );
}

fn many_workers_do_each_trial_once(url: &str) {
    let (q, key, cs) = queued(url, 200);
    q.set_closed(true).unwrap();
    let kids: Vec<Child> = (0..4)
        .map(|i| spawn(url, &format!("w{i}"), 0, 60_000))
        .collect();
    for k in kids {
        report(k);
    }
    each_once(q.as_ref(), &key, &cs);
    assert_eq!(q.status().unwrap().done, 200);
}

fn a_killed_worker_s_trial_is_measured_again_once(url: &str) {
    let (q, key, cs) = queued(url, 2);
    let mut a = spawn(url, "doomed", 2_000, 400);
    wait_until("the first worker measures", || {
        q.status().unwrap().running == 1
    });
    a.kill().unwrap(); // SIGKILL
    a.wait().unwrap();
    q.set_closed(true).unwrap();
    let b = report(spawn(url, "rescuer", 10, 400));
    assert!(b.contains("completed=2"), "{b}");
    each_once(q.as_ref(), &key, &cs);
}

fn a_stopped_worker_s_late_result_is_refused(url: &str) {
    let (q, key, cs) = queued(url, 1);
    let a = spawn(url, "sleeper", 1_500, 300);
    wait_until("the first worker measures", || {
        q.status().unwrap().running == 1
    });
    let pid = a.id().to_string();
    Command::new("kill").args(["-STOP", &pid]).status().unwrap();
    std::thread::sleep(Duration::from_millis(600)); // past the lease: no heartbeats
    q.set_closed(true).unwrap();
    let b = spawn(url, "rescuer", 10, 300);
    wait_until("the second worker takes it over", || {
        q.status()
            .unwrap()
            .workers
            .iter()
            .any(|w| w.worker == "rescuer")
            && q.status().unwrap().running + q.status().unwrap().done == 1
    });
    Command::new("kill").args(["-CONT", &pid]).status().unwrap();
    let (ra, rb) = (report(a), report(b));
    assert!(ra.contains("completed=0 rejected=1"), "{ra}");
    assert!(rb.contains("completed=1"), "{rb}");
    each_once(q.as_ref(), &key, &cs);
}

/// Two workers on this machine measuring 3 trials each, logging when each
/// measurement ran; whether any two measurements overlapped in time.
fn two_workers_overlap(url: &str, shared: bool) -> bool {
    let (q, key, cs) = queued(url, 6);
    q.set_closed(true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("intervals");
    let kids: Vec<Child> = (0..2)
        .map(|i| {
            worker_command(url, &format!("m{i}"), 150, 60_000)
                .env("AELLM_TEST_SHARED_HOST", if shared { "1" } else { "0" })
                .env("AELLM_TEST_INTERVALS", &log)
                .spawn()
                .unwrap()
        })
        .collect();
    let reports: Vec<String> = kids.into_iter().map(report).collect();
    each_once(q.as_ref(), &key, &cs);
    let mut spans: Vec<(u128, u128)> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    assert_eq!(spans.len(), 6, "{reports:?}");
    spans.sort();
    spans.windows(2).any(|w| w[1].0 < w[0].1)
}

fn workers_on_one_host_take_turns_unless_allowed(url: &str) {
    assert!(
        !two_workers_overlap(url, false),
        "two workers timed measurements side by side without --allow-shared-host"
    );
    // The check above can fail: allowed, the same two workers do overlap.
    assert!(two_workers_overlap(&fresh(url), true));
}

/// What [`Faulty`] does with the configuration at each index of the study.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Out of memory on the first attempt, then a measurement.
    OomOnce,
    /// Unsupported every time (deterministic).
    Unsupported,
    /// Sleeps past any time limit every time.
    Hangs,
    /// Panics on the first attempt, then a measurement.
    PanicsOnce,
    /// Invalid every time (deterministic).
    Invalid,
}

/// An evaluator that fails as its script says, counting calls per configuration.
struct Faulty {
    script: Vec<(Configuration, Fault)>,
    calls: std::sync::Mutex<std::collections::HashMap<Configuration, u32>>,
}

impl Evaluator for Faulty {
    fn name(&self) -> String {
        "trivial".into()
    }
    fn evaluate(&self, c: &Configuration, s: &Scenario) -> Result<Measurement, EvalError> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            let n = calls.entry(*c).or_default();
            *n += 1;
            *n
        };
        let fault = self.script.iter().find(|(k, _)| k == c).unwrap().1;
        let reason = format!("{fault:?} on call {n}");
        match fault {
            Fault::OomOnce if n == 1 => Err(EvalError::OutOfMemory { reason }),
            Fault::PanicsOnce if n == 1 => panic!("{reason}"),
            Fault::Unsupported => Err(EvalError::Unsupported {
                evaluator: self.name(),
                reason,
            }),
            Fault::Invalid => Err(EvalError::Invalid { reason }),
            Fault::Hangs => {
                std::thread::sleep(Duration::from_millis(400));
                Err(EvalError::Failed { reason })
            }
            _ => Trivial {
                sleep: Duration::ZERO,
                log: None,
            }
            .evaluate(c, s),
        }
    }
}

/// A worker with a 60 ms time limit serving a study whose configurations
/// fail in every way: those that may pass go back to the queue and are
/// retried (up to 3 attempts, then recorded failed with each attempt's
/// error); invalid and unsupported ones are recorded at the first attempt.
fn failures_that_may_pass_are_retried_through_the_queue(url: &str) {
    use Fault::*;
    let (q, key, cs) = queued(url, 5);
    q.set_closed(true).unwrap();
    let faults = [OomOnce, Unsupported, Hangs, PanicsOnce, Invalid];
    let faulty = std::sync::Arc::new(Faulty {
        script: cs.iter().copied().zip(faults).collect(),
        calls: Default::default(),
    });
    let limited = TimeLimited::new(faulty.clone(), Duration::from_millis(60)).unwrap();
    let options = WorkerOptions {
        policy: LeasePolicy {
            lease: Duration::from_secs(60),
            max_attempts: 3,
        },
        idle_poll: Duration::from_millis(10),
        allow_shared_host: true,
        ..Default::default()
    };
    let limited = std::sync::Mutex::new(Some(limited));
    let r = work(
        q.as_ref(),
        &|_| Ok(Box::new(limited.lock().unwrap().take().unwrap()) as Box<dyn Evaluator>),
        &options,
    )
    .unwrap();
    // 2 + 1 + 3 + 2 + 1 calls; given back: the first OOM, 3 timeouts, the panic.
    let calls = faulty.calls.lock().unwrap().clone();
    let per: Vec<u32> = cs.iter().map(|c| calls[c]).collect();
    assert_eq!(per, [2, 1, 3, 2, 1], "evaluations per configuration");
    assert_eq!((r.completed, r.released, r.rejected), (4, 5, 0), "{r:?}");
    let st = q.status().unwrap();
    assert_eq!((st.done, st.failed, st.queued, st.running), (4, 1, 0, 0));
    let outcome = |i: usize| q.lookup(&key, &cs[i]).unwrap().unwrap().evaluation.outcome;
    assert!(outcome(0).is_ok() && outcome(3).is_ok());
    assert!(matches!(outcome(1), Err(EvalError::Unsupported { .. })));
    assert!(matches!(outcome(4), Err(EvalError::Invalid { .. })));
    match outcome(2) {
        Err(EvalError::Attempts { attempts }) => {
            assert_eq!(attempts.len(), 3);
            assert!(
                attempts.iter().all(|e| e.class() == FailureClass::Timeout),
                "{attempts:?}"
            );
        }
        other => panic!("the hanging configuration: {other:?}"),
    }
    // One record per configuration: a retried one is stored once.
    assert_eq!(q.records(&key).unwrap().len(), cs.len());
}

/// Another empty study next to `url` (a new file, or a new database).
fn fresh(url: &str) -> String {
    if url.starts_with("postgres") {
        postgres_url().unwrap()
    } else {
        url.replace("study.sqlite", "study-2.sqlite")
    }
}

fn on_both_stores(f: fn(&str)) {
    let dir = tempfile::tempdir().unwrap();
    f(dir.path().join("study.sqlite").to_str().unwrap());
    if let Some(url) = postgres_url() {
        f(&url);
    }
}

#[test]
fn many_worker_processes_do_each_trial_exactly_once() {
    on_both_stores(many_workers_do_each_trial_once);
}

#[test]
fn a_worker_killed_mid_measurement_loses_nothing_and_doubles_nothing() {
    on_both_stores(a_killed_worker_s_trial_is_measured_again_once);
}

#[test]
fn a_worker_stopped_past_its_lease_has_its_late_result_refused() {
    on_both_stores(a_stopped_worker_s_late_result_is_refused);
}

#[test]
fn workers_on_one_machine_take_turns_unless_allow_shared_host() {
    on_both_stores(workers_on_one_host_take_turns_unless_allowed);
}

#[test]
fn workers_give_failures_that_may_pass_back_to_the_queue_and_record_the_others() {
    on_both_stores(failures_that_may_pass_are_retried_through_the_queue);
}
