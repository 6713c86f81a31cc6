//! The work-queue protocol ([`Queue`]) on SQLite: every step is one
//! immediate transaction, and times are read on the database's clock.

use super::StudyKey;
use super::queue::{
    Claim, LeasePolicy, Queue, QueueStatus, StudySpec, WorkerInfo, exhausted, lease_ran_out, token,
    with_attempt,
};
use super::sqlite::{NOW, SqliteStudy, insert_evaluation};
use crate::OptimizerError;
use aellm_space::{Configuration, EvalError, Evaluation};
use rusqlite::{Connection, OptionalExtension, params};

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// Ends attempt of trial `id` with `error`: back to the queue, or recorded
/// as failed with every attempt's error once `max_attempts` are spent.
fn end_attempt(
    c: &Connection,
    id: i64,
    error: &EvalError,
    policy: &LeasePolicy,
) -> rusqlite::Result<()> {
    let (scenario, evaluator, configuration, attempts, errors): (
        String,
        String,
        String,
        u32,
        String,
    ) = c.query_row(
        "SELECT scenario, evaluator, configuration, attempts, errors FROM trials WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let errors = with_attempt(&errors, error);
    let all = serde_json::to_string(&errors).map_err(json_err)?;
    if attempts < policy.max_attempts {
        c.execute(
            "UPDATE trials SET state = 'queued', token = NULL, lease_until = NULL, errors = ?2 WHERE id = ?1",
            params![id, all],
        )?;
        return Ok(());
    }
    c.execute(
        "UPDATE trials SET state = 'failed', token = NULL, lease_until = NULL, errors = ?2 WHERE id = ?1",
        params![id, all],
    )?;
    let configuration: Configuration = serde_json::from_str(&configuration).map_err(json_err)?;
    let key = StudyKey {
        scenario,
        evaluator,
    };
    insert_evaluation(c, &key, &exhausted(configuration, errors), "failed", "")?;
    Ok(())
}

/// Sends every expired lease back to the queue (or to `failed`).
fn expire(c: &Connection, policy: &LeasePolicy) -> rusqlite::Result<()> {
    let expired: Vec<(i64, Option<String>)> = {
        let mut st = c.prepare(&format!(
            "SELECT id, worker FROM trials WHERE state = 'running' AND lease_until < {NOW}"
        ))?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, worker) in expired {
        end_attempt(c, id, &lease_ran_out(worker), policy)?;
    }
    Ok(())
}

fn seen(c: &Connection, worker: &str, host: &str) -> rusqlite::Result<()> {
    c.execute(
        &format!("INSERT INTO workers (worker, host, last_seen) VALUES (?1, ?2, {NOW})
                  ON CONFLICT (worker) DO UPDATE SET host = excluded.host, last_seen = excluded.last_seen"),
        params![worker, host],
    )?;
    Ok(())
}

/// Whether `claim`'s token still holds an unexpired lease.
fn holds(c: &Connection, claim: &Claim) -> rusqlite::Result<bool> {
    c.query_row(
        &format!("SELECT EXISTS (SELECT 1 FROM trials WHERE id = ?1 AND token = ?2 AND state = 'running' AND lease_until >= {NOW})"),
        params![claim.trial, claim.token],
        |r| r.get(0),
    )
}

impl Queue for SqliteStudy {
    fn register(&self, spec: &StudySpec) -> Result<(), OptimizerError> {
        let text = serde_json::to_string(spec).map_err(|e| self.err(e))?;
        self.immediate(|tx| {
            tx.execute(
                "INSERT INTO studies (scenario, evaluator, spec) VALUES (?1, ?2, ?3)
                 ON CONFLICT (scenario, evaluator) DO UPDATE SET spec = excluded.spec",
                params![spec.key.scenario, spec.key.evaluator, text],
            )
            .map(|_| ())
        })
    }

    fn spec(&self, key: &StudyKey) -> Result<Option<StudySpec>, OptimizerError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT spec FROM studies WHERE scenario = ?1 AND evaluator = ?2",
                params![key.scenario, key.evaluator],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        text.map(|t: String| serde_json::from_str(&t).map_err(|e| self.err(e)))
            .transpose()
    }

    fn enqueue(
        &self,
        key: &StudyKey,
        configurations: &[Configuration],
        phase: &str,
    ) -> Result<usize, OptimizerError> {
        let rows: Vec<(String, String)> = configurations
            .iter()
            .map(|c| Ok((c.key(), serde_json::to_string(c)?)))
            .collect::<Result<_, serde_json::Error>>()
            .map_err(|e| self.err(e))?;
        self.immediate(|tx| {
            let mut added = 0;
            for (ck, text) in &rows {
                added += tx.execute(
                    "INSERT INTO trials (scenario, evaluator, config_key, configuration, phase, state)
                     SELECT ?1, ?2, ?3, ?4, ?5, 'queued'
                     WHERE NOT EXISTS (SELECT 1 FROM evaluations WHERE scenario = ?1 AND evaluator = ?2 AND config_key = ?3)
                     ON CONFLICT (scenario, evaluator, config_key) DO NOTHING",
                    params![key.scenario, key.evaluator, ck, text, phase],
                )?;
            }
            Ok(added)
        })
    }

    fn claim(
        &self,
        worker: &str,
        host: &str,
        policy: &LeasePolicy,
    ) -> Result<Option<Claim>, OptimizerError> {
        let found = self.immediate(|tx| {
            expire(tx, policy)?;
            seen(tx, worker, host)?;
            let next: Option<(i64, String, String, String, String, u32)> = tx
                .query_row(
                    "SELECT id, scenario, evaluator, configuration, phase, attempts FROM trials
                     WHERE state = 'queued' ORDER BY id LIMIT 1",
                    [],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ))
                    },
                )
                .optional()?;
            let Some((id, scenario, evaluator, configuration, phase, attempts)) = next else {
                return Ok(None);
            };
            let t = token();
            tx.execute(
                &format!(
                    "UPDATE trials SET state = 'running', attempts = attempts + 1, token = ?2,
                          lease_until = {NOW} + ?3, worker = ?4 WHERE id = ?1"
                ),
                params![id, t, policy.lease.as_secs_f64(), worker],
            )?;
            Ok(Some((
                id,
                StudyKey {
                    scenario,
                    evaluator,
                },
                configuration,
                phase,
                t,
                attempts + 1,
            )))
        })?;
        found
            .map(|(trial, key, configuration, phase, token, attempt)| {
                Ok(Claim {
                    trial,
                    key,
                    configuration: serde_json::from_str(&configuration).map_err(|e| self.err(e))?,
                    phase,
                    token,
                    attempt,
                })
            })
            .transpose()
    }

    fn heartbeat(&self, claim: &Claim, policy: &LeasePolicy) -> Result<bool, OptimizerError> {
        self.immediate(|tx| {
            let n = tx.execute(
                &format!("UPDATE trials SET lease_until = {NOW} + ?3
                          WHERE id = ?1 AND token = ?2 AND state = 'running' AND lease_until >= {NOW}"),
                params![claim.trial, claim.token, policy.lease.as_secs_f64()],
            )?;
            tx.execute(&format!("UPDATE workers SET last_seen = {NOW} WHERE worker = (SELECT worker FROM trials WHERE id = ?1)"), [claim.trial])?;
            Ok(n == 1)
        })
    }

    fn complete(
        &self,
        claim: &Claim,
        evaluation: &Evaluation,
        host: &str,
    ) -> Result<bool, OptimizerError> {
        self.immediate(|tx| {
            if !holds(tx, claim)? {
                return Ok(false);
            }
            tx.execute(
                "UPDATE trials SET state = 'done', token = NULL, lease_until = NULL WHERE id = ?1",
                [claim.trial],
            )?;
            insert_evaluation(tx, &claim.key, evaluation, &claim.phase, host)?;
            tx.execute(&format!("UPDATE workers SET last_seen = {NOW} WHERE host = ?1 AND worker = (SELECT worker FROM trials WHERE id = ?2)"), params![host, claim.trial])?;
            Ok(true)
        })
    }

    fn release(
        &self,
        claim: &Claim,
        error: &EvalError,
        policy: &LeasePolicy,
    ) -> Result<(), OptimizerError> {
        self.immediate(|tx| {
            if holds(tx, claim)? {
                end_attempt(tx, claim.trial, error, policy)?;
            }
            Ok(())
        })
    }

    fn status(&self) -> Result<QueueStatus, OptimizerError> {
        let conn = self.conn();
        let q = || -> rusqlite::Result<QueueStatus> {
            let mut s = QueueStatus::default();
            let mut st = conn.prepare("SELECT state, COUNT(*) FROM trials GROUP BY state")?;
            for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
                let (state, n) = row?;
                let n = n as usize;
                match state.as_str() {
                    "queued" => s.queued = n,
                    "running" => s.running = n,
                    "done" => s.done = n,
                    _ => s.failed += n,
                }
            }
            let mut st = conn.prepare(&format!(
                "SELECT worker, host, {NOW} - last_seen FROM workers ORDER BY last_seen DESC"
            ))?;
            s.workers = st
                .query_map([], |r| {
                    Ok(WorkerInfo {
                        worker: r.get(0)?,
                        host: r.get(1)?,
                        seconds_since_heartbeat: r.get(2)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            s.closed = conn
                .query_row(
                    "SELECT value FROM aellm_meta WHERE key = 'closed'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .is_some_and(|v| v == "1");
            Ok(s)
        };
        q().map_err(|e| self.err(e))
    }

    fn set_closed(&self, closed: bool) -> Result<(), OptimizerError> {
        self.immediate(|tx| {
            tx.execute(
                "INSERT INTO aellm_meta (key, value) VALUES ('closed', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [if closed { "1" } else { "0" }],
            )
            .map(|_| ())
        })
    }
}
