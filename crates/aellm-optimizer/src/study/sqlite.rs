//! A study in an embedded SQLite database (WAL mode), one transaction per record.

use super::{Record, Study, StudyKey, now};
use crate::OptimizerError;
use aellm_space::{Configuration, Evaluation};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS evaluations (
    id            INTEGER PRIMARY KEY,
    scenario      TEXT NOT NULL,
    evaluator     TEXT NOT NULL,
    config_key    TEXT NOT NULL,
    configuration TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    ok            INTEGER NOT NULL,
    accuracy      REAL,
    latency_ms    REAL,
    memory_gb     REAL,
    energy_j      REAL,
    phase         TEXT NOT NULL,
    stored_at     REAL NOT NULL,
    UNIQUE (scenario, evaluator, config_key)
);
CREATE TABLE IF NOT EXISTS leases (
    scenario   TEXT NOT NULL,
    evaluator  TEXT NOT NULL,
    config_key TEXT NOT NULL,
    worker     TEXT NOT NULL,
    until      REAL NOT NULL,
    PRIMARY KEY (scenario, evaluator, config_key)
);
";

/// A [`Study`] in a SQLite file. Several processes may open the same file:
/// SQLite's locking and the `leases` table keep them from measuring a
/// configuration twice. The objective columns are plain so the file can be
/// queried with any SQLite tool.
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
    /// Opens (or creates) a study file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OptimizerError> {
        let path = path.as_ref().to_path_buf();
        let err = |e: rusqlite::Error| OptimizerError::Store {
            location: path.display().to_string(),
            message: e.to_string(),
        };
        let conn = Connection::open(&path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(SqliteStudy {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// The file this study lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> OptimizerError {
        OptimizerError::Store {
            location: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // rusqlite leaves the connection usable after a panic elsewhere.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn row_to_record(
        &self,
        id: i64,
        configuration: String,
        outcome: String,
        phase: String,
        stored_at: f64,
    ) -> Result<Record, OptimizerError> {
        let corrupt = |m: serde_json::Error| OptimizerError::Corrupt {
            location: self.path.display().to_string(),
            id,
            message: m.to_string(),
        };
        let configuration: Configuration = serde_json::from_str(&configuration).map_err(corrupt)?;
        let outcome = serde_json::from_str(&outcome).map_err(corrupt)?;
        Ok(Record {
            evaluation: Evaluation {
                configuration,
                outcome,
            },
            phase,
            stored_at,
        })
    }
}

type Row = (i64, String, String, String, f64);

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

impl Study for SqliteStudy {
    fn record(&self, key: &StudyKey, e: &Evaluation, phase: &str) -> Result<bool, OptimizerError> {
        let m = e.measurement().map(|m| m.objectives());
        let outcome = serde_json::to_string(&e.outcome).map_err(|x| self.err(x))?;
        let configuration = serde_json::to_string(&e.configuration).map_err(|x| self.err(x))?;
        let conn = self.conn();
        // A single INSERT is its own transaction: durable (WAL) when it returns.
        let n = conn
            .execute(
                "INSERT OR IGNORE INTO evaluations
                 (scenario, evaluator, config_key, configuration, outcome, ok, accuracy, latency_ms, memory_gb, energy_j, phase, stored_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
                    now()
                ],
            )
            .map_err(|x| self.err(x))?;
        Ok(n == 1)
    }

    fn lookup(&self, key: &StudyKey, c: &Configuration) -> Result<Option<Record>, OptimizerError> {
        let row = self
            .conn()
            .query_row(
                "SELECT id, configuration, outcome, phase, stored_at FROM evaluations
                 WHERE scenario = ?1 AND evaluator = ?2 AND config_key = ?3",
                params![key.scenario, key.evaluator, c.key()],
                read_row,
            )
            .optional()
            .map_err(|x| self.err(x))?;
        row.map(|(id, c, o, p, t)| self.row_to_record(id, c, o, p, t))
            .transpose()
    }

    fn records(&self, key: &StudyKey) -> Result<Vec<Record>, OptimizerError> {
        let rows: Vec<Row> = {
            let conn = self.conn();
            let mut st = conn
                .prepare(
                    "SELECT id, configuration, outcome, phase, stored_at FROM evaluations
                     WHERE scenario = ?1 AND evaluator = ?2 ORDER BY id",
                )
                .map_err(|x| self.err(x))?;
            st.query_map(params![key.scenario, key.evaluator], read_row)
                .map_err(|x| self.err(x))?
                .collect::<Result<_, _>>()
                .map_err(|x| self.err(x))?
        };
        rows.into_iter()
            .map(|(id, c, o, p, t)| self.row_to_record(id, c, o, p, t))
            .collect()
    }

    fn claim(
        &self,
        key: &StudyKey,
        candidates: &[Configuration],
        n: usize,
        worker: &str,
        lease_seconds: f64,
    ) -> Result<Vec<Configuration>, OptimizerError> {
        let mut conn = self.conn();
        // IMMEDIATE takes the write lock up front, so two workers cannot both
        // see a configuration as free.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|x| self.err(x))?;
        let t = now();
        let mut out = Vec::new();
        for c in candidates {
            if out.len() == n {
                break;
            }
            let ck = c.key();
            let stored: bool = tx
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM evaluations WHERE scenario=?1 AND evaluator=?2 AND config_key=?3)",
                    params![key.scenario, key.evaluator, ck],
                    |r| r.get(0),
                )
                .map_err(|x| self.err(x))?;
            let leased: bool = tx
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM leases WHERE scenario=?1 AND evaluator=?2 AND config_key=?3 AND until > ?4)",
                    params![key.scenario, key.evaluator, ck, t],
                    |r| r.get(0),
                )
                .map_err(|x| self.err(x))?;
            if stored || leased || out.contains(c) {
                continue;
            }
            tx.execute(
                "INSERT OR REPLACE INTO leases (scenario, evaluator, config_key, worker, until) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.scenario, key.evaluator, ck, worker, t + lease_seconds],
            )
            .map_err(|x| self.err(x))?;
            out.push(*c);
        }
        tx.commit().map_err(|x| self.err(x))?;
        Ok(out)
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
        let s = contract::scenario();
        let key = StudyKey::new(&s, "t");
        let cs = contract::configs(3);
        {
            let a = SqliteStudy::open(&path).unwrap();
            a.record(&key, &contract::ok(cs[0], 0.4), "initial")
                .unwrap();
            // A second process's handle sees the record at once and cannot claim it.
            let b = SqliteStudy::open(&path).unwrap();
            assert_eq!(
                b.claim(&key, &cs, 5, "b", 60.0).unwrap(),
                vec![cs[1], cs[2]]
            );
            assert!(a.claim(&key, &cs, 5, "a", 60.0).unwrap().is_empty());
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
