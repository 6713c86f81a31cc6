//! A study held in memory, for tests and throw-away runs.

use super::{Record, Study, StudyKey, now};
use crate::OptimizerError;
use aellm_space::{Configuration, Evaluation};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
struct Inner {
    records: HashMap<StudyKey, Vec<Record>>,
}

/// A [`Study`] in memory: nothing survives the process.
#[derive(Default)]
pub struct MemoryStudy {
    inner: Mutex<Inner>,
}

impl MemoryStudy {
    /// An empty study.
    pub fn new() -> Self {
        Self::default()
    }

    /// Overwrites the stored failure of the evaluation's configuration
    /// ([`super::ReplaceFailure`]); `false` if none is stored.
    pub(super) fn replace_where_failed(
        &self,
        key: &StudyKey,
        evaluation: &Evaluation,
        phase: &str,
    ) -> Result<bool, OptimizerError> {
        let mut g = self.lock();
        let stored = g.records.get_mut(key).and_then(|v| {
            v.iter_mut().find(|r| {
                r.evaluation.configuration == evaluation.configuration
                    && r.evaluation.outcome.is_err()
            })
        });
        Ok(stored
            .map(|r| {
                r.evaluation = evaluation.clone();
                r.phase = phase.into();
                r.stored_at = now();
            })
            .is_some())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic in another thread cannot leave the maps half-updated, so a
        // poisoned lock is still safe to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Study for MemoryStudy {
    fn record(
        &self,
        key: &StudyKey,
        evaluation: &Evaluation,
        phase: &str,
    ) -> Result<bool, OptimizerError> {
        let mut g = self.lock();
        let v = g.records.entry(key.clone()).or_default();
        if v.iter()
            .any(|r| r.evaluation.configuration == evaluation.configuration)
        {
            return Ok(false);
        }
        v.push(Record {
            evaluation: evaluation.clone(),
            phase: phase.into(),
            stored_at: now(),
            host: None,
        });
        Ok(true)
    }

    fn lookup(&self, key: &StudyKey, c: &Configuration) -> Result<Option<Record>, OptimizerError> {
        let g = self.lock();
        Ok(g.records
            .get(key)
            .and_then(|v| v.iter().find(|r| r.evaluation.configuration == *c))
            .cloned())
    }

    fn records(&self, key: &StudyKey) -> Result<Vec<Record>, OptimizerError> {
        Ok(self.lock().records.get(key).cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_study_contract() {
        super::super::contract::run(&super::MemoryStudy::new());
    }
}
