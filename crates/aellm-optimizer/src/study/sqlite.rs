//! A study in an embedded SQLite database (WAL mode), one transaction per
//! record; the work queue's claims are immediate transactions, so two
//! workers never see one configuration as free.

use super::queue::Queue;
use super::schema::{self, Found, Opening};
use super::{Record, Study, StudyKey, this_host};
use crate::OptimizerError;
use aellm_space::{Configuration, Evaluation};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Seconds since the Unix epoch on the database's clock.
pub(super) const NOW: &str = "((julianday('now') - 2440587.5) * 86400.0)";

/// A [`Study`] (and [`Queue`]) in a SQLite file. Several processes may open
/// the same file: SQLite's locking and the lease tokens keep them from
/// measuring a configuration twice. The objective columns are plain so the
/// file can be queried with any SQLite tool.
///
/// ```
/// use aellm_optimizer::study::{SqliteStudy, Study, StudyKey};
/// # let dir = tempfile::tempdir().unwrap();
/// let study = SqliteStudy::open(dir.path().join("study.sqlite")).unwrap();
/// # let scenario = aellm_space::Scenario::new(aellm_space::presets::model("phi-2").unwrap(),
/// #     aellm_space::presets::task("mmlu").unwrap(), aellm_space::presets::hardware("rtx-4090").unwrap());
/// let key = StudyKey::new(&scenario, "my-evaluator");
/// assert!(study.records(&key).unwrap().is_empty());
/// ```
pub struct SqliteStudy {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteStudy {
    /// Opens (or creates) a study file. A version-1 study is migrated in
    /// place; a newer one, or a database another program wrote, is refused
    /// and left untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OptimizerError> {
        let path = path.as_ref().to_path_buf();
        let location = path.display().to_string();
        let err = |e: rusqlite::Error| match e.sqlite_error_code() {
            // Some other file: refused (and left untouched), not a store failure.
            Some(rusqlite::ErrorCode::NotADatabase) => OptimizerError::ForeignStudy {
                location: location.clone(),
                found: "a file that is not an SQLite database".into(),
            },
            _ => OptimizerError::Store {
                location: location.clone(),
                message: e.to_string(),
            },
        };
        let mut conn = Connection::open(&path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        // One writer decides and migrates; a second opener waits, then finds it done.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let found = inspect(&tx).map_err(err)?;
        match schema::decide(&location, &found)? {
            Opening::Current => {}
            Opening::Create => tx
                .execute_batch(&schema::tables(schema::Dialect::Sqlite))
                .map_err(err)?,
            Opening::MigrateFrom1 => {
                tx.execute_batch(
                    "ALTER TABLE evaluations ADD COLUMN host TEXT; DROP TABLE IF EXISTS leases;",
                )
                .map_err(err)?;
                tx.execute_batch(&schema::tables(schema::Dialect::Sqlite))
                    .map_err(err)?;
                tracing::info!(study = %location, "migrated a version-1 study to version {}", schema::SCHEMA_VERSION);
            }
        }
        stamp(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(SqliteStudy {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// The file this study lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn err(&self, e: impl std::fmt::Display) -> OptimizerError {
        OptimizerError::Store {
            location: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    pub(super) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // rusqlite leaves the connection usable after a panic elsewhere.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn immediate<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, OptimizerError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let out = f(&tx).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(out)
    }
}

/// What the file holds before it is opened.
fn inspect(c: &Connection) -> rusqlite::Result<Found> {
    let mut st = c.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let tables: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let meta = |k: &str| -> rusqlite::Result<Option<String>> {
        c.query_row("SELECT value FROM aellm_meta WHERE key = ?1", [k], |r| {
            r.get(0)
        })
        .optional()
    };
    let has_meta = tables.iter().any(|t| t == "aellm_meta");
    Ok(Found {
        program: if has_meta { meta("program")? } else { None },
        version: if has_meta {
            meta("schema_version")?
        } else {
            None
        },
        has_evaluations: tables.iter().any(|t| t == "evaluations"),
        foreign_tables: tables
            .into_iter()
            .filter(|t| !schema::TABLES.contains(&t.as_str()))
            .collect(),
    })
}

/// Writes who we are: program and version once, the last writer each time.
fn stamp(c: &Connection) -> rusqlite::Result<()> {
    for (k, val, overwrite) in schema::stamp() {
        let sql = if overwrite {
            "INSERT INTO aellm_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        } else {
            "INSERT INTO aellm_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING"
        };
        c.execute(sql, params![k, val])?;
    }
    Ok(())
}

type Row = (i64, String, String, String, f64, Option<String>);

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

const SELECT_RECORDS: &str =
    "SELECT id, configuration, outcome, phase, stored_at, host FROM evaluations";

/// Stores an evaluation unless its configuration is stored already.
pub(super) fn insert_evaluation(
    c: &Connection,
    key: &StudyKey,
    e: &Evaluation,
    phase: &str,
    host: &str,
) -> rusqlite::Result<bool> {
    let m = e.measurement().map(|m| m.objectives());
    let text = |x: serde_json::Result<String>| {
        x.map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
    };
    let outcome = text(serde_json::to_string(&e.outcome))?;
    let configuration = text(serde_json::to_string(&e.configuration))?;
    let n = c.execute(
        &format!(
            "INSERT OR IGNORE INTO evaluations
             (scenario, evaluator, config_key, configuration, outcome, ok, accuracy, latency_ms, memory_gb, energy_j, phase, stored_at, host)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, {NOW}, ?12)"
        ),
        params![
            key.scenario,
            key.evaluator,
            e.configuration.key(),
            configuration,
            outcome,
            m.is_some() as i64,
            m.map(|o| o.accuracy),
            m.map(|o| o.latency_ms),
            m.map(|o| o.memory_gb),
            m.map(|o| o.energy_j),
            phase,
            host
        ],
    )?;
    Ok(n == 1)
}

impl Study for SqliteStudy {
    fn record(&self, key: &StudyKey, e: &Evaluation, phase: &str) -> Result<bool, OptimizerError> {
        // A single INSERT is its own transaction: durable (WAL) when it returns.
        insert_evaluation(&self.conn(), key, e, phase, &this_host()).map_err(|x| self.err(x))
    }

    fn lookup(&self, key: &StudyKey, c: &Configuration) -> Result<Option<Record>, OptimizerError> {
        let row = self
            .conn()
            .query_row(
                &format!(
                    "{SELECT_RECORDS} WHERE scenario = ?1 AND evaluator = ?2 AND config_key = ?3"
                ),
                params![key.scenario, key.evaluator, c.key()],
                read_row,
            )
            .optional()
            .map_err(|x| self.err(x))?;
        Ok(row.and_then(|(id, c, o, p, t, h)| {
            super::decode_or_skip(&self.path.display().to_string(), id, &c, &o, p, t, h)
        }))
    }

    fn records(&self, key: &StudyKey) -> Result<Vec<Record>, OptimizerError> {
        let rows: Vec<Row> = {
            let conn = self.conn();
            let mut st = conn
                .prepare(&format!(
                    "{SELECT_RECORDS} WHERE scenario = ?1 AND evaluator = ?2 ORDER BY id"
                ))
                .map_err(|x| self.err(x))?;
            st.query_map(params![key.scenario, key.evaluator], read_row)
                .map_err(|x| self.err(x))?
                .collect::<Result<_, _>>()
                .map_err(|x| self.err(x))?
        };
        let location = self.path.display().to_string();
        Ok(rows
            .into_iter()
            .filter_map(|(id, c, o, p, t, h)| super::decode_or_skip(&location, id, &c, &o, p, t, h))
            .collect())
    }

    fn as_queue(&self) -> Option<&dyn Queue> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::contract;

    #[test]
    fn keeps_the_study_contract() {
        let dir = tempfile::tempdir().unwrap();
        contract::run(&SqliteStudy::open(dir.path().join("s.sqlite")).unwrap());
    }

    #[test]
    fn survives_reopening_and_is_shared_between_handles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let key = StudyKey::new(&contract::scenario(), "t");
        let cs = contract::configs(3);
        {
            let a = SqliteStudy::open(&path).unwrap();
            a.record(&key, &contract::ok(cs[0], 0.4), "initial")
                .unwrap();
            // A second process's handle sees the record at once.
            let b = SqliteStudy::open(&path).unwrap();
            assert!(b.lookup(&key, &cs[0]).unwrap().is_some());
            assert!(!b.record(&key, &contract::ok(cs[0], 0.9), "x").unwrap());
        }
        let reopened = SqliteStudy::open(&path).unwrap();
        assert_eq!(reopened.records(&key).unwrap().len(), 1);
        assert_eq!(
            reopened.lookup(&key, &cs[0]).unwrap().unwrap().evaluation,
            contract::ok(cs[0], 0.4)
        );
    }

    #[test]
    fn an_unwritable_path_is_a_clear_error() {
        let e = SqliteStudy::open("/nonexistent-dir/x/study.sqlite")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("/nonexistent-dir/x/study.sqlite"), "{e}");
    }
}
