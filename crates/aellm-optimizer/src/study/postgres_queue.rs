//! The work-queue protocol ([`Queue`]) on PostgreSQL: each step is one
//! transaction; a claim locks the oldest queued row with
//! `FOR UPDATE SKIP LOCKED`, so concurrent claimers take different rows.

use super::StudyKey;
use super::postgres::{NOW, PgResult, PostgresStudy, insert_evaluation};
use super::queue::{
    Claim, LeasePolicy, Queue, QueueStatus, StudySpec, WorkerInfo, exhausted, lease_ran_out, token,
    with_attempt,
};
use crate::OptimizerError;
use aellm_space::{Configuration, EvalError, Evaluation};
use postgres::Transaction;

/// Ends the attempt on trial `id` (see the SQLite store's `end_attempt`).
fn end_attempt(
    tx: &mut Transaction<'_>,
    id: i64,
    error: &EvalError,
    policy: &LeasePolicy,
) -> PgResult<()> {
    let r = tx.query_one(
        "SELECT scenario, evaluator, configuration, attempts, errors FROM trials WHERE id = $1",
        &[&id],
    )?;
    let (scenario, evaluator, configuration, attempts, errors): (
        String,
        String,
        String,
        i32,
        String,
    ) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
    let errors = with_attempt(&errors, error);
    let all = serde_json::to_string(&errors).unwrap_or_default();
    let spent = attempts as u32 >= policy.max_attempts;
    let state = if spent { "failed" } else { "queued" };
    tx.execute(
        "UPDATE trials SET state = $2, token = NULL, lease_until = NULL, errors = $3 WHERE id = $1",
        &[&id, &state, &all],
    )?;
    if spent && let Ok(c) = serde_json::from_str::<Configuration>(&configuration) {
        let key = StudyKey {
            scenario,
            evaluator,
        };
        insert_evaluation(tx, &key, &exhausted(c, errors), "failed", "")?;
    }
    Ok(())
}

fn expire(tx: &mut Transaction<'_>, policy: &LeasePolicy) -> PgResult<()> {
    let expired = tx.query(
        &format!("SELECT id, worker FROM trials WHERE state = 'running' AND lease_until < {NOW} FOR UPDATE SKIP LOCKED"),
        &[],
    )?;
    for r in expired {
        end_attempt(tx, r.get(0), &lease_ran_out(r.get(1)), policy)?;
    }
    Ok(())
}

fn holds(tx: &mut Transaction<'_>, claim: &Claim) -> PgResult<bool> {
    Ok(tx
        .query_opt(
            &format!("SELECT 1 FROM trials WHERE id = $1 AND token = $2 AND state = 'running' AND lease_until >= {NOW} FOR UPDATE"),
            &[&claim.trial, &claim.token],
        )?
        .is_some())
}

impl Queue for PostgresStudy {
    fn register(&self, spec: &StudySpec) -> Result<(), OptimizerError> {
        let text = serde_json::to_string(spec).map_err(|e| self.err(e))?;
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO studies (scenario, evaluator, spec) VALUES ($1, $2, $3)
                 ON CONFLICT (scenario, evaluator) DO UPDATE SET spec = excluded.spec",
                &[&spec.key.scenario, &spec.key.evaluator, &text],
            )
            .map(|_| ())
        })
    }

    fn spec(&self, key: &StudyKey) -> Result<Option<StudySpec>, OptimizerError> {
        let text: Option<String> = self.tx(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT spec FROM studies WHERE scenario = $1 AND evaluator = $2",
                    &[&key.scenario, &key.evaluator],
                )?
                .map(|r| r.get(0)))
        })?;
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
        self.tx(|tx| {
            let mut added = 0;
            for (ck, text) in &rows {
                added += tx.execute(
                    "INSERT INTO trials (scenario, evaluator, config_key, configuration, phase, state)
                     SELECT $1, $2, $3, $4, $5, 'queued'
                     WHERE NOT EXISTS (SELECT 1 FROM evaluations WHERE scenario = $1 AND evaluator = $2 AND config_key = $3)
                     ON CONFLICT (scenario, evaluator, config_key) DO NOTHING",
                    &[&key.scenario, &key.evaluator, ck, text, &phase],
                )? as usize;
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
        let lease = policy.lease.as_secs_f64();
        let found = self.tx(|tx| {
            expire(tx, policy)?;
            tx.execute(
                &format!("INSERT INTO workers (worker, host, last_seen) VALUES ($1, $2, {NOW})
                          ON CONFLICT (worker) DO UPDATE SET host = excluded.host, last_seen = excluded.last_seen"),
                &[&worker, &host],
            )?;
            let Some(r) = tx.query_opt(
                "SELECT id, scenario, evaluator, configuration, phase, attempts FROM trials
                 WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                &[],
            )?
            else {
                return Ok(None);
            };
            let (id, attempts): (i64, i32) = (r.get(0), r.get(5));
            let t = token();
            tx.execute(
                &format!("UPDATE trials SET state = 'running', attempts = attempts + 1, token = $2,
                          lease_until = {NOW} + $3, worker = $4 WHERE id = $1"),
                &[&id, &t, &lease, &worker],
            )?;
            let key = StudyKey { scenario: r.get(1), evaluator: r.get(2) };
            Ok(Some((id, key, r.get::<_, String>(3), r.get::<_, String>(4), t, attempts as u32 + 1)))
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
        let lease = policy.lease.as_secs_f64();
        self.tx(|tx| {
            let n = tx.execute(
                &format!("UPDATE trials SET lease_until = {NOW} + $3
                          WHERE id = $1 AND token = $2 AND state = 'running' AND lease_until >= {NOW}"),
                &[&claim.trial, &claim.token, &lease],
            )?;
            tx.execute(
                &format!("UPDATE workers SET last_seen = {NOW} WHERE worker = (SELECT worker FROM trials WHERE id = $1)"),
                &[&claim.trial],
            )?;
            Ok(n == 1)
        })
    }

    fn complete(
        &self,
        claim: &Claim,
        evaluation: &Evaluation,
        host: &str,
    ) -> Result<bool, OptimizerError> {
        self.tx(|tx| {
            if !holds(tx, claim)? {
                return Ok(false);
            }
            tx.execute(
                "UPDATE trials SET state = 'done', token = NULL, lease_until = NULL WHERE id = $1",
                &[&claim.trial],
            )?;
            insert_evaluation(tx, &claim.key, evaluation, &claim.phase, host)?;
            tx.execute(
                &format!("UPDATE workers SET last_seen = {NOW} WHERE worker = (SELECT worker FROM trials WHERE id = $1)"),
                &[&claim.trial],
            )?;
            Ok(true)
        })
    }

    fn release(
        &self,
        claim: &Claim,
        error: &EvalError,
        policy: &LeasePolicy,
    ) -> Result<(), OptimizerError> {
        self.tx(|tx| {
            if holds(tx, claim)? {
                end_attempt(tx, claim.trial, error, policy)?;
            }
            Ok(())
        })
    }

    fn status(&self) -> Result<QueueStatus, OptimizerError> {
        self.tx(|tx| {
            let mut s = QueueStatus::default();
            for r in tx.query("SELECT state, COUNT(*) FROM trials GROUP BY state", &[])? {
                let (state, n): (String, i64) = (r.get(0), r.get(1));
                let n = n as usize;
                match state.as_str() {
                    "queued" => s.queued = n,
                    "running" => s.running = n,
                    "done" => s.done = n,
                    _ => s.failed += n,
                }
            }
            s.workers = tx
                .query(&format!("SELECT worker, host, {NOW} - last_seen FROM workers ORDER BY last_seen DESC"), &[])?
                .iter()
                .map(|r| WorkerInfo {
                    worker: r.get(0),
                    host: r.get(1),
                    seconds_since_heartbeat: r.get(2),
                })
                .collect();
            s.closed = tx
                .query_opt("SELECT value FROM aellm_meta WHERE key = 'closed'", &[])?
                .is_some_and(|r| r.get::<_, String>(0) == "1");
            Ok(s)
        })
    }

    fn set_closed(&self, closed: bool) -> Result<(), OptimizerError> {
        let v = if closed { "1" } else { "0" };
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO aellm_meta (key, value) VALUES ('closed', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&v],
            )
            .map(|_| ())
        })
    }
}
