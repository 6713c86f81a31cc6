//! The task a configuration is judged on.

use crate::error::SpaceError;
use serde::{Deserialize, Serialize};

/// The kind of a task, which decides what its latency and memory stress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Knowledge and commonsense understanding, usually multiple choice.
    Understanding,
    /// Multi-step reasoning with a generated answer (e.g. GSM8K).
    Reasoning,
    /// Program synthesis.
    Code,
    /// Open-ended instruction following.
    Generation,
    /// Inputs of many thousands of tokens.
    LongContext,
    /// Conversations over several turns.
    MultiTurn,
}

/// How a task scores an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskMetric {
    /// Fraction of multiple-choice questions answered right.
    Accuracy,
    /// Fraction of generated answers exactly equal to the reference.
    ExactMatch,
    /// Fraction of programs passing their unit tests on the first sample.
    PassAt1,
    /// Fraction of pairwise judgements won against a reference model.
    WinRate,
    /// A judge's score (MT-Bench's 1-10), reported normalised to [0, 1].
    JudgeScore,
    /// Token-level F1 against the reference answer.
    F1,
}

/// A task: what is asked, at which lengths, scored how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Name, e.g. `mmlu`.
    pub name: String,
    /// Kind of task.
    pub kind: TaskKind,
    /// Prompt length in tokens used for latency and memory.
    pub prompt_tokens: u32,
    /// Generated tokens used for latency and energy.
    pub output_tokens: u32,
    /// How answers are scored.
    pub metric: TaskMetric,
}

impl TaskSpec {
    /// Prompt plus generated tokens: the context the KV cache must hold.
    pub fn context_tokens(&self) -> u32 {
        self.prompt_tokens.saturating_add(self.output_tokens)
    }

    /// Checks the lengths: a prompt of at least one token, and a context
    /// (prompt plus output) that fits in `u32` with room to spare.
    pub fn check(&self) -> Result<(), SpaceError> {
        let bad = |field: &str, why: String| SpaceError::InvalidField {
            what: format!("task `{}`", self.name),
            field: field.into(),
            why,
        };
        if self.prompt_tokens == 0 {
            return Err(bad("prompt_tokens", "must be at least 1".into()));
        }
        // 16 Mi tokens is far beyond any model's context; a larger figure is a typo.
        const MOST: u32 = 1 << 24;
        for (field, v) in [
            ("prompt_tokens", self.prompt_tokens),
            ("output_tokens", self.output_tokens),
        ] {
            if v > MOST {
                return Err(bad(
                    field,
                    format!("must be at most {MOST} tokens, got {v}"),
                ));
            }
        }
        Ok(())
    }
}
