//! The same study schema and queue protocol on a PostgreSQL server, for
//! workers on many machines. Claims take the oldest queued row with
//! `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on or take the
//! same row; times are the server's clock; a lost connection is re-opened
//! with back-off, so workers ride out a database restart.

use super::queue::Queue;
use super::schema::{self, Found, Opening};
use super::{Record, Study, StudyKey, this_host};
use crate::OptimizerError;
use aellm_space::{Configuration, Evaluation};
use postgres::{Client, GenericClient, NoTls};
use std::sync::Mutex;
use std::time::Duration;

/// Seconds since the Unix epoch on the server's clock.
pub(super) const NOW: &str = "extract(epoch from clock_timestamp())::float8";

/// How long a worker keeps trying to reach a server that went away.
const RECONNECT_FOR: Duration = Duration::from_secs(120);

/// A [`Study`] and [`Queue`] on a PostgreSQL server.
///
/// ```no_run
/// use aellm_optimizer::study::{PostgresStudy, Queue};
/// let study = PostgresStudy::connect("postgres://aellm@db.example/aellm").unwrap();
/// println!("{:?}", study.status().unwrap());
/// ```
pub struct PostgresStudy {
    url: String,
    client: Mutex<Client>,
}

pub(super) type PgResult<T> = Result<T, postgres::Error>;

impl PostgresStudy {
    /// Connects, then creates, migrates, opens or refuses the study in the
    /// connection's schema (see [`schema`]).
    pub fn connect(url: &str) -> Result<Self, OptimizerError> {
        let location = redact(url);
        let mut client = Client::connect(url, NoTls).map_err(|e| store_err(&location, e))?;
        let mut tx = client.transaction().map_err(|e| store_err(&location, e))?;
        // One opener at a time decides and migrates.
        tx.execute("SELECT pg_advisory_xact_lock(7262451)", &[])
            .map_err(|e| store_err(&location, e))?;
        let found = inspect(&mut tx).map_err(|e| store_err(&location, e))?;
        match schema::decide(&location, &found)? {
            Opening::Current => {}
            Opening::Create => tx.batch_execute(&schema::tables(schema::Dialect::Postgres)).map_err(|e| store_err(&location, e))?,
            Opening::MigrateFrom1 => tx
                .batch_execute(&format!("ALTER TABLE evaluations ADD COLUMN IF NOT EXISTS host TEXT; DROP TABLE IF EXISTS leases; {}", schema::tables(schema::Dialect::Postgres)))
                .map_err(|e| store_err(&location, e))?,
        }
        stamp(&mut tx).map_err(|e| store_err(&location, e))?;
        tx.commit().map_err(|e| store_err(&location, e))?;
        Ok(PostgresStudy {
            url: url.into(),
            client: Mutex::new(client),
        })
    }

    pub(super) fn err(&self, e: impl std::fmt::Display) -> OptimizerError {
        store_err(&redact(&self.url), e)
    }

    /// Runs `f` in one transaction; if the connection is lost, reconnects
    /// with back-off and runs it again (a transaction that did not commit
    /// left nothing behind).
    pub(super) fn tx<T>(
        &self,
        mut f: impl FnMut(&mut postgres::Transaction<'_>) -> PgResult<T>,
    ) -> Result<T, OptimizerError> {
        let mut client = self.client.lock().unwrap_or_else(|e| e.into_inner());
        let started = std::time::Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            let attempt = client.transaction().and_then(|mut tx| {
                let out = f(&mut tx)?;
                tx.commit()?;
                Ok(out)
            });
            match attempt {
                Ok(v) => return Ok(v),
                Err(e) if lost(&e, &client) && started.elapsed() < RECONNECT_FOR => {
                    tracing::warn!(error = %e, retry_in = ?wait, "study server unreachable; reconnecting");
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(5));
                    if let Ok(c) = Client::connect(&self.url, NoTls) {
                        *client = c;
                    }
                }
                Err(e) => return Err(self.err(e)),
            }
        }
    }
}

/// Whether an error means the connection (not the statement) failed.
fn lost(e: &postgres::Error, client: &Client) -> bool {
    client.is_closed()
        || e.is_closed()
        || e.as_db_error()
            .is_some_and(|d| d.code().code().starts_with("57P"))
}

fn store_err(location: &str, e: impl std::fmt::Display) -> OptimizerError {
    OptimizerError::Store {
        location: location.into(),
        message: e.to_string(),
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..s + 3], &url[at..])
        }
        _ => url.into(),
    }
}

fn inspect(c: &mut impl GenericClient) -> PgResult<Found> {
    let tables: Vec<String> = c
        .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let has_meta = tables.iter().any(|t| t == "aellm_meta");
    let mut meta = |k: &str| -> PgResult<Option<String>> {
        if !has_meta {
            return Ok(None);
        }
        Ok(
            c.query_opt("SELECT value FROM aellm_meta WHERE key = $1", &[&k])?
                .map(|r| r.get(0)),
        )
    };
    Ok(Found {
        program: meta("program")?,
        version: meta("schema_version")?,
        has_evaluations: tables.iter().any(|t| t == "evaluations"),
        foreign_tables: tables
            .into_iter()
            .filter(|t| !schema::TABLES.contains(&t.as_str()))
            .collect(),
    })
}

fn stamp(c: &mut impl GenericClient) -> PgResult<()> {
    for (k, val, overwrite) in schema::stamp() {
        let sql = if overwrite {
            "INSERT INTO aellm_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        } else {
            "INSERT INTO aellm_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
        };
        c.execute(sql, &[&k, &val])?;
    }
    Ok(())
}

pub(super) fn insert_evaluation(
    c: &mut impl GenericClient,
    key: &StudyKey,
    e: &Evaluation,
    phase: &str,
    host: &str,
) -> PgResult<bool> {
    let m = e.measurement().map(|m| m.objectives());
    // Serialising our own types cannot fail; an empty text would be reported as damaged on read.
    let outcome = serde_json::to_string(&e.outcome).unwrap_or_default();
    let configuration = serde_json::to_string(&e.configuration).unwrap_or_default();
    let n = c.execute(
        &format!(
            "INSERT INTO evaluations
             (scenario, evaluator, config_key, configuration, outcome, ok, accuracy, latency_ms, memory_gb, energy_j, phase, stored_at, host)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, {NOW}, $12)
             ON CONFLICT (scenario, evaluator, config_key) DO NOTHING"
        ),
        &[
            &key.scenario,
            &key.evaluator,
            &e.configuration.key(),
            &configuration,
            &outcome,
            &(m.is_some() as i32),
            &m.map(|o| o.accuracy),
            &m.map(|o| o.latency_ms),
            &m.map(|o| o.memory_gb),
            &m.map(|o| o.energy_j),
            &phase,
            &host,
        ],
    )?;
    Ok(n == 1)
}

const SELECT_RECORDS: &str =
    "SELECT id, configuration, outcome, phase, stored_at, host FROM evaluations";

impl PostgresStudy {
    fn decode(&self, rows: Vec<postgres::Row>) -> Vec<Record> {
        let location = redact(&self.url);
        rows.iter()
            .filter_map(|r| {
                let (c, o): (String, String) = (r.get(1), r.get(2));
                super::decode_or_skip(&location, r.get(0), &c, &o, r.get(3), r.get(4), r.get(5))
            })
            .collect()
    }
}

impl Study for PostgresStudy {
    fn record(&self, key: &StudyKey, e: &Evaluation, phase: &str) -> Result<bool, OptimizerError> {
        let host = this_host();
        self.tx(|tx| insert_evaluation(tx, key, e, phase, &host))
    }

    fn lookup(&self, key: &StudyKey, c: &Configuration) -> Result<Option<Record>, OptimizerError> {
        let rows = self.tx(|tx| {
            tx.query(
                &format!(
                    "{SELECT_RECORDS} WHERE scenario = $1 AND evaluator = $2 AND config_key = $3"
                ),
                &[&key.scenario, &key.evaluator, &c.key()],
            )
        })?;
        Ok(self.decode(rows).into_iter().next())
    }

    fn records(&self, key: &StudyKey) -> Result<Vec<Record>, OptimizerError> {
        let rows = self.tx(|tx| {
            tx.query(
                &format!("{SELECT_RECORDS} WHERE scenario = $1 AND evaluator = $2 ORDER BY id"),
                &[&key.scenario, &key.evaluator],
            )
        })?;
        Ok(self.decode(rows))
    }

    fn as_queue(&self) -> Option<&dyn Queue> {
        Some(self)
    }
}
