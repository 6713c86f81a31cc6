//! The ten tasks of the paper's experiments, with their kind and usual lengths.

use crate::{TaskKind, TaskMetric, TaskSpec};

/// A task preset as a constant (converted to a [`TaskSpec`] on use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskPreset {
    /// Name.
    pub name: &'static str,
    /// Kind.
    pub kind: TaskKind,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub output_tokens: u32,
    /// Metric.
    pub metric: TaskMetric,
}

impl TaskPreset {
    /// The preset as a [`TaskSpec`].
    pub fn spec(&self) -> TaskSpec {
        TaskSpec {
            name: self.name.into(),
            kind: self.kind,
            prompt_tokens: self.prompt_tokens,
            output_tokens: self.output_tokens,
            metric: self.metric,
        }
    }
}

const fn t(
    name: &'static str,
    kind: TaskKind,
    prompt_tokens: u32,
    output_tokens: u32,
    metric: TaskMetric,
) -> TaskPreset {
    TaskPreset {
        name,
        kind,
        prompt_tokens,
        output_tokens,
        metric,
    }
}

// Lengths: the design's default of 512 prompt + 128 generated tokens, except
// where a task is known to differ (few-shot GSM8K prompts and long chains of
// thought, HumanEval's function bodies, LongBench's and needle tests' long
// inputs, MT-Bench's two turns). These are typical figures, not per-item ones.
/// MMLU: 57-subject multiple choice.
pub const MMLU: TaskPreset = t(
    "mmlu",
    TaskKind::Understanding,
    512,
    128,
    TaskMetric::Accuracy,
);
/// HellaSwag: commonsense sentence completion.
pub const HELLASWAG: TaskPreset = t(
    "hellaswag",
    TaskKind::Understanding,
    512,
    128,
    TaskMetric::Accuracy,
);
/// ARC-Easy: grade-school science questions.
pub const ARC_EASY: TaskPreset = t(
    "arc-easy",
    TaskKind::Understanding,
    512,
    128,
    TaskMetric::Accuracy,
);
/// GSM8K: grade-school maths word problems, 8-shot chain of thought.
pub const GSM8K: TaskPreset = t(
    "gsm8k",
    TaskKind::Reasoning,
    1024,
    256,
    TaskMetric::ExactMatch,
);
/// HumanEval: Python function synthesis.
pub const HUMANEVAL: TaskPreset = t("humaneval", TaskKind::Code, 512, 256, TaskMetric::PassAt1);
/// AlpacaEval: instruction following judged against a reference.
pub const ALPACAEVAL: TaskPreset = t(
    "alpacaeval",
    TaskKind::Generation,
    512,
    512,
    TaskMetric::WinRate,
);
/// LongBench: long-document understanding.
pub const LONGBENCH: TaskPreset = t(
    "longbench",
    TaskKind::LongContext,
    8192,
    128,
    TaskMetric::F1,
);
/// Needle-in-a-Haystack: retrieving one fact from a long context.
pub const NEEDLE: TaskPreset = t(
    "needle-in-a-haystack",
    TaskKind::LongContext,
    16384,
    64,
    TaskMetric::Accuracy,
);
/// MT-Bench: two-turn conversations scored by a judge.
pub const MT_BENCH: TaskPreset = t(
    "mt-bench",
    TaskKind::MultiTurn,
    1024,
    512,
    TaskMetric::JudgeScore,
);
/// Vicuna Bench: open questions scored by a judge.
pub const VICUNA_BENCH: TaskPreset = t(
    "vicuna-bench",
    TaskKind::Generation,
    512,
    512,
    TaskMetric::JudgeScore,
);

/// Every task preset.
pub const TASKS: &[TaskPreset] = &[
    MMLU,
    HELLASWAG,
    ARC_EASY,
    GSM8K,
    HUMANEVAL,
    ALPACAEVAL,
    LONGBENCH,
    NEEDLE,
    MT_BENCH,
    VICUNA_BENCH,
];
