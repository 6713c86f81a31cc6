//! The behaviour every [`Queue`] must have, run against the SQLite store and,
//! where a server is given, the PostgreSQL store.

use super::contract::{configs, ok, scenario};
use super::*;
use std::time::Duration;

pub use super::testing::postgres_url;

fn policy(lease_ms: u64, max_attempts: u32) -> LeasePolicy {
    LeasePolicy {
        lease: Duration::from_millis(lease_ms),
        max_attempts,
    }
}

pub fn run(q: &dyn Queue) {
    let s = scenario();
    let key = StudyKey::new(&s, "t");
    let cs = configs(5);
    let spec = StudySpec {
        key: key.clone(),
        scenario: s.clone(),
        evaluator_kind: "test".into(),
    };
    q.register(&spec).unwrap();
    assert_eq!(q.spec(&key).unwrap(), Some(spec));
    // Stored configurations are not queued; nothing is queued twice.
    q.record(&key, &ok(cs[0], 0.1), "initial").unwrap();
    assert_eq!(q.enqueue(&key, &cs, "initial").unwrap(), 4);
    assert_eq!(q.enqueue(&key, &cs, "initial").unwrap(), 0);
    let long = policy(60_000, 2);
    let a = q.claim("a", "host-a", &long).unwrap().unwrap();
    let b = q.claim("b", "host-b", &long).unwrap().unwrap();
    assert_ne!(a.configuration, b.configuration);
    assert_eq!((a.configuration, a.attempt), (cs[1], 1));
    assert!(q.heartbeat(&a, &long).unwrap());
    assert!(q.complete(&a, &ok(a.configuration, 0.5), "host-a").unwrap());
    // Completing twice, or with a token that no longer holds, writes nothing.
    assert!(!q.complete(&a, &ok(a.configuration, 0.9), "host-a").unwrap());
    let rec = q.lookup(&key, &a.configuration).unwrap().unwrap();
    assert_eq!(
        (rec.evaluation, rec.host.as_deref()),
        (ok(cs[1], 0.5), Some("host-a"))
    );
    expired_lease_is_retried_then_failed(q, &key, &long);
    let st = q.status().unwrap();
    assert_eq!((st.done, st.failed), (1, 1));
    assert_eq!(st.queued + st.running, 2);
    assert!(
        st.workers
            .iter()
            .any(|w| w.worker == "a" && w.host == "host-a")
    );
    assert!(!st.closed);
    q.set_closed(true).unwrap();
    assert!(q.status().unwrap().closed);
}

/// A lease that runs out: the late completion is refused, the configuration
/// goes to the next claimer as attempt 2, and a failure of that spends the
/// attempts.
fn expired_lease_is_retried_then_failed(q: &dyn Queue, key: &StudyKey, long: &LeasePolicy) {
    let short = policy(0, 2);
    let c = q.claim("c", "host-c", &short).unwrap().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    assert!(!q.heartbeat(&c, &short).unwrap());
    let d = q.claim("d", "host-d", long).unwrap().unwrap();
    assert!(!q.complete(&c, &ok(c.configuration, 0.3), "host-c").unwrap());
    // `d` may have got `c`'s configuration back or the next queued one.
    let again = if d.configuration == c.configuration {
        d.clone()
    } else {
        q.claim("e", "host-e", long).unwrap().unwrap()
    };
    assert_eq!((again.configuration, again.attempt), (c.configuration, 2));
    // The second failed attempt spends the budget: recorded failed with both
    // errors, each with its class (a lost lease is a crash).
    let oom = aellm_space::EvalError::OutOfMemory {
        reason: "device lost".into(),
    };
    q.release(&again, &oom, long).unwrap();
    let failed = q.lookup(key, &c.configuration).unwrap().unwrap();
    let err = failed.evaluation.outcome.clone().unwrap_err();
    let classes: Vec<_> = match &err {
        aellm_space::EvalError::Attempts { attempts } => {
            attempts.iter().map(|e| e.class().name()).collect()
        }
        e => panic!("one error for two attempts: {e}"),
    };
    assert_eq!(classes, ["crashed", "out_of_memory"], "{err}");
    let why = err.to_string();
    assert!(
        why.contains("lease of c ran out") && why.contains("device lost"),
        "{why}"
    );
    // A release by a claim that no longer holds changes nothing.
    q.release(&again, &oom, long).unwrap();
    assert_eq!(
        q.lookup(key, &c.configuration).unwrap().unwrap().evaluation,
        failed.evaluation
    );
}

#[test]
fn the_sqlite_store_keeps_the_queue_contract() {
    let dir = tempfile::tempdir().unwrap();
    run(&SqliteStudy::open(dir.path().join("q.sqlite")).unwrap());
}

#[test]
fn the_postgres_store_keeps_the_queue_and_study_contracts() {
    let Some(url) = postgres_url() else { return };
    run(&PostgresStudy::connect(&url).unwrap());
    let url2 = postgres_url().unwrap();
    super::contract::run(&PostgresStudy::connect(&url2).unwrap());
    // Reopening finds the same study.
    let again = PostgresStudy::connect(&url2).unwrap();
    assert_eq!(
        again
            .records(&StudyKey::new(&scenario(), "t"))
            .unwrap()
            .len(),
        2
    );
}

/// Damages row `id`'s outcome in the store behind `url` or `path`.
fn damaged_row_is_skipped_and_nothing_else_is_lost(
    open: &dyn Fn() -> Box<dyn Queue>,
    corrupt: &dyn Fn(),
) {
    let s = scenario();
    let key = StudyKey::new(&s, "t");
    let cs = configs(4);
    {
        let q = open();
        for (i, c) in cs.iter().enumerate() {
            q.record(&key, &ok(*c, 0.1 * i as f64), "initial").unwrap();
        }
    }
    corrupt();
    let q = open();
    let kept = q.records(&key).unwrap();
    assert_eq!(
        kept.len(),
        3,
        "the damaged row is skipped, the other three kept"
    );
    assert!(q.lookup(&key, &cs[1]).unwrap().is_none());
    assert_eq!(
        q.lookup(&key, &cs[2]).unwrap().unwrap().evaluation,
        ok(cs[2], 0.2)
    );
}

#[test]
fn a_damaged_sqlite_row_is_skipped_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let p = path.clone();
    damaged_row_is_skipped_and_nothing_else_is_lost(
        &|| Box::new(SqliteStudy::open(&path).unwrap()),
        &|| {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute(
                "UPDATE evaluations SET outcome = '{\"Ok\": {broken' WHERE id = 2",
                [],
            )
            .unwrap();
        },
    );
}

#[test]
fn a_damaged_postgres_row_is_skipped_on_resume() {
    let Some(url) = postgres_url() else { return };
    damaged_row_is_skipped_and_nothing_else_is_lost(
        &|| Box::new(PostgresStudy::connect(&url).unwrap()),
        &|| {
            let mut c = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
            c.execute(
                "UPDATE evaluations SET outcome = '{\"Ok\": {broken' WHERE id = 2",
                &[],
            )
            .unwrap();
        },
    );
}

/// A store as another program sees it: plain SQL on the file or database,
/// behind the study's back.
enum Raw {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Raw {
    fn url(&self) -> String {
        match self {
            Raw::Sqlite(p) => p.display().to_string(),
            Raw::Postgres(u) => u.clone(),
        }
    }

    fn exec(&self, sql: &str) {
        match self {
            Raw::Sqlite(p) => rusqlite::Connection::open(p)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            Raw::Postgres(u) => ::postgres::Client::connect(u, ::postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
        }
    }

    /// The first column of the first row, as text (the query casts it).
    fn text(&self, sql: &str) -> String {
        match self {
            Raw::Sqlite(p) => rusqlite::Connection::open(p)
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap(),
            Raw::Postgres(u) => ::postgres::Client::connect(u, ::postgres::NoTls)
                .unwrap()
                .query_one(sql, &[])
                .unwrap()
                .get(0),
        }
    }

    /// Whether a table of this name exists.
    fn has_table(&self, name: &str) -> bool {
        let catalog = match self {
            Raw::Sqlite(_) => "sqlite_master WHERE type = 'table' AND name",
            Raw::Postgres(_) => "information_schema.tables WHERE table_name",
        };
        self.text(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM {catalog} = '{name}'"
        )) != "0"
    }

    /// Types of version 1's `evaluations.id` and real columns here.
    fn types(&self) -> (&str, &str) {
        match self {
            Raw::Sqlite(_) => ("INTEGER PRIMARY KEY", "REAL"),
            Raw::Postgres(_) => ("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION"),
        }
    }
}

/// Runs `f` on a fresh SQLite file, then on a fresh PostgreSQL database
/// where one is given.
fn on_both_stores(f: fn(&Raw)) {
    let dir = tempfile::tempdir().unwrap();
    f(&Raw::Sqlite(dir.path().join("s.sqlite")));
    if let Some(url) = postgres_url() {
        f(&Raw::Postgres(url));
    }
}

const VERSION: &str = "SELECT value FROM aellm_meta WHERE key = 'schema_version'";

fn a_newer_study_is_refused_and_left_untouched(raw: &Raw) {
    drop(open(&raw.url()).unwrap());
    raw.exec("UPDATE aellm_meta SET value = '99' WHERE key = 'schema_version'");
    let e = open(&raw.url()).err().unwrap().to_string();
    assert!(e.contains("version 99") && e.contains("newer"), "{e}");
    assert_eq!(raw.text(VERSION), "99");
}

fn another_program_s_database_is_refused_and_left_untouched(raw: &Raw) {
    raw.exec("CREATE TABLE trial_params (id INTEGER); INSERT INTO trial_params VALUES (1);");
    let e = open(&raw.url()).err().unwrap().to_string();
    assert!(
        e.contains("not an aellm study") && e.contains("trial_params"),
        "{e}"
    );
    assert_eq!(
        raw.text("SELECT CAST(COUNT(*) AS TEXT) FROM trial_params"),
        "1"
    );
    assert!(
        !raw.has_table("aellm_meta"),
        "nothing of ours was written into it"
    );
}

fn a_study_another_program_stamped_is_refused(raw: &Raw) {
    drop(open(&raw.url()).unwrap());
    raw.exec("UPDATE aellm_meta SET value = 'optuna' WHERE key = 'program'");
    let e = open(&raw.url()).err().unwrap().to_string();
    assert!(e.contains("optuna"), "{e}");
}

#[test]
fn newer_and_foreign_studies_are_refused_and_left_untouched_on_both_stores() {
    on_both_stores(a_newer_study_is_refused_and_left_untouched);
    on_both_stores(a_study_another_program_stamped_is_refused);
    on_both_stores(another_program_s_database_is_refused_and_left_untouched);
}

fn a_version_1_study_is_migrated_keeping_its_evaluations(raw: &Raw) {
    let (id, real) = raw.types();
    raw.exec(&format!(
        "CREATE TABLE evaluations (id {id}, scenario TEXT NOT NULL, evaluator TEXT NOT NULL,
           config_key TEXT NOT NULL, configuration TEXT NOT NULL, outcome TEXT NOT NULL, ok INTEGER NOT NULL,
           accuracy {real}, latency_ms {real}, memory_gb {real}, energy_j {real}, phase TEXT NOT NULL,
           stored_at {real} NOT NULL, UNIQUE (scenario, evaluator, config_key));
         CREATE TABLE leases (scenario TEXT, evaluator TEXT, config_key TEXT, worker TEXT, until {real});"
    ));
    let key = StudyKey::new(&scenario(), "t");
    let cs = configs(3);
    let e = ok(cs[0], 0.4);
    let quote = |t: String| t.replace('\'', "''");
    raw.exec(&format!(
        "INSERT INTO evaluations (scenario, evaluator, config_key, configuration, outcome, ok, phase, stored_at)
         VALUES ('{}', '{}', '{}', '{}', '{}', 1, 'initial', 0)",
        key.scenario,
        key.evaluator,
        e.configuration.key(),
        quote(serde_json::to_string(&e.configuration).unwrap()),
        quote(serde_json::to_string(&e.outcome).unwrap())
    ));
    let s = open(&raw.url()).unwrap();
    assert_eq!(
        s.lookup(&key, &e.configuration)
            .unwrap()
            .unwrap()
            .evaluation,
        e
    );
    assert_eq!(raw.text(VERSION), schema::SCHEMA_VERSION.to_string());
    // The migrated store is a working queue.
    assert_eq!(s.enqueue(&key, &cs, "x").unwrap(), 2);
}

#[test]
fn a_version_1_study_is_migrated_keeping_its_evaluations_on_both_stores() {
    on_both_stores(a_version_1_study_is_migrated_keeping_its_evaluations);
}
