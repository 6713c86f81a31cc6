//! Replacing a stored failure that may pass next time with a later attempt:
//! the one write a study allows besides adding records, so a retried
//! configuration keeps one row (its place in the order stored) and every
//! attempt's error.

use super::{MemoryStudy, PostgresStudy, SqliteStudy, StudyKey};
use crate::OptimizerError;
use aellm_space::Evaluation;

/// Writes a later attempt over a stored failure.
pub trait ReplaceFailure {
    /// Stores `evaluation` in place of the stored evaluation of the same
    /// configuration, only if that one is a failure (a success is never
    /// overwritten, so two runs retrying at once cannot lose a measurement).
    /// `Ok(false)` when nothing was replaced.
    fn replace_failure(
        &self,
        key: &StudyKey,
        evaluation: &Evaluation,
        phase: &str,
    ) -> Result<bool, OptimizerError>;
}

impl ReplaceFailure for MemoryStudy {
    fn replace_failure(
        &self,
        key: &StudyKey,
        evaluation: &Evaluation,
        phase: &str,
    ) -> Result<bool, OptimizerError> {
        self.replace_where_failed(key, evaluation, phase)
    }
}

/// The objective columns both SQL stores keep next to the JSON outcome.
fn columns(e: &Evaluation) -> (String, [Option<f64>; 4]) {
    let m = e.measurement().map(|m| m.objectives());
    // Serialising our own types cannot fail; an empty text would read back as a damaged row.
    let outcome = serde_json::to_string(&e.outcome).unwrap_or_default();
    (
        outcome,
        [
            m.map(|o| o.accuracy),
            m.map(|o| o.latency_ms),
            m.map(|o| o.memory_gb),
            m.map(|o| o.energy_j),
        ],
    )
}

impl ReplaceFailure for SqliteStudy {
    fn replace_failure(
        &self,
        key: &StudyKey,
        e: &Evaluation,
        phase: &str,
    ) -> Result<bool, OptimizerError> {
        let (outcome, [a, l, m, en]) = columns(e);
        let n = self
            .conn()
            .execute(
                &format!(
                    "UPDATE evaluations SET outcome = ?1, ok = ?2, accuracy = ?3, latency_ms = ?4,
                     memory_gb = ?5, energy_j = ?6, phase = ?7, stored_at = {}, host = ?8
                     WHERE scenario = ?9 AND evaluator = ?10 AND config_key = ?11 AND ok = 0",
                    super::sqlite::NOW
                ),
                rusqlite::params![
                    outcome,
                    e.outcome.is_ok() as i64,
                    a,
                    l,
                    m,
                    en,
                    phase,
                    super::this_host(),
                    key.scenario,
                    key.evaluator,
                    e.configuration.key()
                ],
            )
            .map_err(|x| self.err(x))?;
        Ok(n == 1)
    }
}

impl ReplaceFailure for PostgresStudy {
    fn replace_failure(
        &self,
        key: &StudyKey,
        e: &Evaluation,
        phase: &str,
    ) -> Result<bool, OptimizerError> {
        let (outcome, [a, l, m, en]) = columns(e);
        let host = super::this_host();
        let ok = e.outcome.is_ok() as i32;
        let config_key = e.configuration.key();
        let n = self.tx(|tx| {
            tx.execute(
                &format!(
                    "UPDATE evaluations SET outcome = $1, ok = $2, accuracy = $3, latency_ms = $4,
                     memory_gb = $5, energy_j = $6, phase = $7, stored_at = {}, host = $8
                     WHERE scenario = $9 AND evaluator = $10 AND config_key = $11 AND ok = 0",
                    super::postgres::NOW
                ),
                &[
                    &outcome,
                    &ok,
                    &a,
                    &l,
                    &m,
                    &en,
                    &phase,
                    &host,
                    &key.scenario,
                    &key.evaluator,
                    &config_key,
                ],
            )
        })?;
        Ok(n == 1)
    }
}
