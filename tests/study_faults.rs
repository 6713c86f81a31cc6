//! A shared study's worst days, with real processes: `aellm optimize`
//! killed (SIGKILL) mid-study and started again, and the study's database
//! going away mid-study (a PostgreSQL server stopped and started; for
//! SQLite, the file held locked by another writer). Each runs on both
//! stores; the evaluator is the cost model (instant), and this test holds one
//! claim itself, as a worker in the middle of a long measurement would, so
//! the faults land while the optimizer is waiting for results.
//!
//! "Nothing measured twice" is counted three ways: every configuration has
//! one evaluation row, every trial was claimed exactly once (`attempts` = 1),
//! and the workers' own counts of what they measured add up to the rows.

use aellm::costmodel::CostModel;
use aellm::optimizer::study::testing::postgres_url;
use aellm::optimizer::study::{self, Claim, LeasePolicy, Queue};
use aellm::space::Evaluation;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/scenarios/paper/phi-2.toml"
);

/// How the optimizer searches in a test.
#[derive(Clone, Copy)]
enum Search {
    /// The whole method, surrogates included: what a resumed run must
    /// repeat exactly.
    Full,
    /// `--no-surrogates`, for tests whose subject is the store: fitting
    /// the surrogates is most of an unoptimised build's run (about 14 of
    /// 17 s here), and the optimizer only has to wait through the fault.
    Measured,
}

/// `aellm optimize` on a paper scenario with the cost model, small budget.
fn optimize(url: &str, workers: Option<usize>, out: &Path, search: Search) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aellm"));
    cmd.args([
        "optimize",
        "--scenario",
        SCENARIO,
        "--evaluator",
        "costmodel",
    ])
    .args([
        "--budget", "12", "--rounds", "1", "--seed", "7", "--study", url,
    ])
    .arg("--out")
    .arg(out);
    if let Some(n) = workers {
        cmd.args(["--workers", &n.to_string()]);
    }
    if let Search::Measured = search {
        cmd.arg("--no-surrogates");
    }
    cmd
}

/// Runs `cmd` with stdout and stderr in `log` (`.out`, `.err`).
fn spawn_logged(cmd: &mut Command, log: &Path) -> Child {
    let file = |ext: &str| std::fs::File::create(log.with_extension(ext)).unwrap();
    cmd.stdout(file("out")).stderr(file("err")).spawn().unwrap()
}

fn read(log: &Path, ext: &str) -> String {
    std::fs::read_to_string(log.with_extension(ext)).unwrap_or_default()
}

/// Waits for `child` (at most `limit`), asserting that it succeeded.
fn finished(mut child: Child, log: &Path, limit: Duration) {
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "{} exited with {status}:\n{}\n{}",
                log.display(),
                read(log, "out"),
                read(log, "err")
            );
            return;
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            panic!("{} still running after {limit:?}", log.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Claims one configuration and measures it, as `aellm worker` does, but
/// does not complete it: the caller plays a worker mid-measurement.
fn claim_and_measure(q: &dyn Queue, name: &str) -> (Claim, Evaluation) {
    let policy = LeasePolicy {
        lease: Duration::from_secs(120),
        max_attempts: 3,
    };
    let claim = wait_until("something is queued to claim", || {
        q.claim(name, &study::this_host(), &policy).unwrap()
    });
    let spec = q.spec(&claim.key).unwrap().unwrap();
    let e = Evaluation::run(&CostModel::default(), claim.configuration, &spec.scenario);
    (claim, e)
}

/// Rows of `sql` (every column cast to text by the query) in the study.
fn query(url: &str, sql: &str) -> Vec<Vec<String>> {
    if url.starts_with("postgres") {
        let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let rows = c.query(sql, &[]).unwrap();
        return rows
            .iter()
            .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
            .collect();
    }
    let c = rusqlite::Connection::open(url).unwrap();
    let mut st = c.prepare(sql).unwrap();
    let n = st.column_count();
    st.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Sum of "N measured" over the `aellm worker` lines in `text`.
fn measured_by_workers(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with("worker "))
        .filter_map(|l| {
            l.split(": ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum()
}

/// The finished study measured each configuration once: one row each,
/// every trial done after exactly one claim, and `measured` (what the
/// workers, this test included, say they measured) equal to the rows.
/// Returns the configurations' keys.
fn each_measured_once(url: &str, measured: usize) -> Vec<String> {
    let trials = query(
        url,
        "SELECT config_key, CAST(attempts AS TEXT), state FROM trials ORDER BY config_key",
    );
    let bad: Vec<_> = trials
        .iter()
        .filter(|t| t[1] != "1" || t[2] != "done")
        .collect();
    assert!(
        bad.is_empty(),
        "trials claimed more than once or not done: {bad:?}"
    );
    let mut rows: Vec<String> = query(url, "SELECT config_key FROM evaluations")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    rows.sort();
    let n = rows.len();
    rows.dedup();
    assert_eq!(rows.len(), n, "a configuration has two evaluation rows");
    let keys: Vec<String> = trials.iter().map(|t| t[0].clone()).collect();
    assert_eq!(rows, keys, "every evaluation came through the queue");
    assert_eq!(measured, n, "measurements made vs stored");
    rows
}

/// The optimizer, planning only (`--workers 0`), is killed with SIGKILL
/// while a worker (this test) is mid-measurement and some results are in;
/// started again with two local workers, it resumes: the held result is
/// accepted, nothing already measured or queued is measured again, and the
/// study ends with exactly the configurations an uninterrupted run measures.
fn the_optimizer_killed_mid_study_resumes_without_measuring_twice(url: &str, dir: &Path) {
    let first = dir.join("first");
    let a = spawn_logged(
        &mut optimize(url, Some(0), &dir.join("out"), Search::Full),
        &first,
    );
    let q = study::open(url).unwrap();
    let host = study::this_host();
    for _ in 0..3 {
        let (c, e) = claim_and_measure(q.as_ref(), "test-worker");
        assert!(q.complete(&c, &e, &host).unwrap());
    }
    let (held, result) = claim_and_measure(q.as_ref(), "test-worker");
    let mut a = a;
    a.kill().unwrap(); // SIGKILL: no clean-up runs
    a.wait().unwrap();
    let before = q.status().unwrap();
    assert_eq!((before.done, before.running), (3, 1), "{before:?}");
    assert!(before.queued > 0, "{before:?}");

    let second = dir.join("second");
    let b = spawn_logged(
        &mut optimize(url, Some(2), &dir.join("out"), Search::Full),
        &second,
    );
    wait_until("the restarted optimizer's workers serve the study", || {
        let s = q.status().unwrap();
        (s.workers.len() >= 2 && s.done > 3).then_some(())
    });
    assert!(q.complete(&held, &result, &host).unwrap());
    finished(b, &second, Duration::from_secs(300));
    assert!(dir.join("out/report.md").exists());
    let resumed = each_measured_once(url, 4 + measured_by_workers(&read(&second, "out")));

    // An uninterrupted run (measuring in-process) asks for the same configurations.
    let whole = dir.join("whole.sqlite");
    let whole_url = whole.to_str().unwrap();
    let log = dir.join("whole");
    let c = spawn_logged(
        &mut optimize(whole_url, None, &dir.join("whole-out"), Search::Full),
        &log,
    );
    finished(c, &log, Duration::from_secs(300));
    let mut uninterrupted: Vec<String> = query(whole_url, "SELECT config_key FROM evaluations")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    uninterrupted.sort();
    assert_eq!(resumed, uninterrupted);
}

/// The study's store goes away mid-study (`outage`, run while this test's
/// worker holds a claim and two `aellm worker`s and the optimizer poll it);
/// the held result, completed during the outage, lands once it is over, and
/// the study finishes with each configuration measured once. Returns the
/// optimizer's and the workers' stderr.
fn a_store_outage_mid_study_loses_and_doubles_nothing(
    url: &str,
    dir: &Path,
    outage: &(dyn Fn() + Sync),
) -> String {
    let log = dir.join("optimizer");
    let opt = spawn_logged(
        &mut optimize(url, Some(0), &dir.join("out"), Search::Measured),
        &log,
    );
    let q = study::open(url).unwrap();
    let (held, result) = claim_and_measure(q.as_ref(), "slow-worker");
    let logs: Vec<PathBuf> = (0..2).map(|i| dir.join(format!("w{i}"))).collect();
    let workers: Vec<Child> = logs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_aellm"));
            cmd.args(["worker", "--study", url, "--name", &format!("w{i}")])
                .stdin(Stdio::null());
            spawn_logged(&mut cmd, l)
        })
        .collect();
    let before = wait_until("the workers have drained all but the held claim", || {
        let s = q.status().unwrap();
        (s.queued == 0 && s.running == 1 && s.workers.len() == 3).then_some(s.done)
    });
    let waited = std::thread::scope(|s| {
        s.spawn(outage);
        std::thread::sleep(Duration::from_millis(500));
        let t = Instant::now();
        assert!(q.complete(&held, &result, &study::this_host()).unwrap());
        t.elapsed()
    });
    assert!(
        waited >= Duration::from_millis(800),
        "the completion did not wait for the store ({waited:?}): the outage missed"
    );
    finished(opt, &log, Duration::from_secs(300));
    let mut measured = 1;
    for (w, l) in workers.into_iter().zip(&logs) {
        finished(w, l, Duration::from_secs(60));
        measured += measured_by_workers(&read(l, "out"));
    }
    let after = each_measured_once(url, measured);
    assert!(
        after.len() > before + 1,
        "the workers measured nothing after the outage"
    );
    std::iter::once(&log)
        .chain(&logs)
        .map(|l| read(l, "err"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_optimizer_killed_and_restarted_measures_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.sqlite");
    let sqlite = dir.path().join("sqlite");
    std::fs::create_dir(&sqlite).unwrap();
    the_optimizer_killed_mid_study_resumes_without_measuring_twice(path.to_str().unwrap(), &sqlite);
    if let Some(url) = postgres_url() {
        let pg = dir.path().join("postgres");
        std::fs::create_dir(&pg).unwrap();
        the_optimizer_killed_mid_study_resumes_without_measuring_twice(&url, &pg);
    }
}

/// SQLite has no server to lose; its outage is another writer holding the
/// file locked (a backup, a `sqlite3` shell in a transaction). Writers wait
/// for it (the store's busy timeout, 30 s) instead of failing.
#[test]
fn a_sqlite_study_locked_by_another_writer_mid_study_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.sqlite");
    a_store_outage_mid_study_loses_and_doubles_nothing(path.to_str().unwrap(), dir.path(), &|| {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.busy_timeout(Duration::from_secs(30)).unwrap();
        c.execute_batch("BEGIN EXCLUSIVE").unwrap();
        std::thread::sleep(Duration::from_secs(2));
        c.execute_batch("COMMIT").unwrap();
    });
}

#[test]
fn a_postgres_server_restarted_mid_study_loses_and_doubles_nothing() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let logs =
        a_store_outage_mid_study_loses_and_doubles_nothing(&cluster.url(), dir.path(), &|| {
            cluster.pg_ctl("stop -m immediate");
            std::thread::sleep(Duration::from_secs(2));
            cluster.pg_ctl("start -w");
        });
    // The optimizer and both workers lost the server and reconnected.
    assert!(
        logs.matches("reconnecting").count() >= 3,
        "no reconnection logged:\n{logs}"
    );
}

/// A throwaway PostgreSQL cluster of its own (the shared test server must
/// not be restarted under other tests), from `pg_ctl` on PATH or Debian's
/// `/usr/lib/postgresql/*/bin`; run as `postgres` when we are root.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    /// A started cluster, or `None` (outside CI) when PostgreSQL is not installed.
    fn start() -> Option<Cluster> {
        let Some(bin) = postgres_bin() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "no PostgreSQL binaries (initdb, pg_ctl) in CI"
            );
            eprintln!("no PostgreSQL binaries: skipping the server-restart test");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = Cluster { bin, dir, port };
        if am_root() {
            let ok = Command::new("chown")
                .arg("postgres")
                .arg(c.dir.path())
                .status()
                .unwrap();
            assert!(ok.success(), "chown postgres {}", c.dir.path().display());
        }
        let d = c.dir.path().display();
        c.run(&format!(
            "{}/initdb -D {d}/data -A trust -U postgres",
            c.bin.display()
        ));
        c.pg_ctl("start -w");
        Some(c)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl start -w` or `pg_ctl ARGS` (e.g. `stop -m immediate`) on this cluster.
    fn pg_ctl(&self, args: &str) {
        let d = self.dir.path().display();
        let start = format!(
            "-l {d}/server.log -o '-c listen_addresses=127.0.0.1 -p {} -k {d}'",
            self.port
        );
        let opts = if args.starts_with("start") {
            start.as_str()
        } else {
            ""
        };
        self.run(&format!(
            "{}/pg_ctl -D {d}/data {opts} {args}",
            self.bin.display()
        ));
    }

    /// A shell line, as `postgres` when we are root (initdb refuses root).
    fn shell(line: &str) -> Command {
        let mut c = if am_root() {
            let mut c = Command::new("su");
            c.args(["postgres", "-s", "/bin/sh", "-c"]);
            c
        } else {
            let mut c = Command::new("sh");
            c.arg("-c");
            c
        };
        c.arg(line);
        c
    }

    fn run(&self, line: &str) {
        let out = Self::shell(line).output().unwrap();
        assert!(out.status.success(), "{line}: {out:?}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let d = self.dir.path().display();
        let line = format!(
            "{}/pg_ctl -D {d}/data -m immediate stop",
            self.bin.display()
        );
        let _ = Self::shell(&line).output();
    }
}

fn am_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// The folder holding `initdb` and `pg_ctl`.
fn postgres_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    debian.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    on_path
        .into_iter()
        .chain(debian.into_iter().rev())
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}
