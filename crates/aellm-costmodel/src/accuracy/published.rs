//! The published figures the accuracy model reads: perplexity changes of
//! weight formats, and task-score changes of architecture conversions.
//! Every row's source is a section of `docs/sources/accuracy.md`.

use serde::{Deserialize, Serialize};

/// One published perplexity change: `technique` on a model of
/// `params_b` billion parameters raised perplexity by `ppl_increase` (relative).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PublishedChange {
    /// What was applied.
    pub technique: &'static str,
    /// Model size, billions of parameters.
    pub params_b: f64,
    /// Perplexity after / before, minus one.
    pub ppl_increase: f64,
    /// Key of the source in `docs/sources/accuracy.md`.
    pub source: &'static str,
}

const fn row(
    technique: &'static str,
    params_b: f64,
    before: f64,
    after: f64,
    source: &'static str,
) -> PublishedChange {
    PublishedChange {
        technique,
        params_b,
        ppl_increase: after / before - 1.0,
        source,
    }
}

/// The published perplexity rows (WikiText-2 / wiki.test perplexity).
pub const PUBLISHED: &[PublishedChange] = &[
    row("awq-int4-g128", 6.74, 5.47, 5.6, "llm-quantization"),
    row("awq-int4-g128", 13.0, 4.88, 4.97, "llm-quantization"),
    row("awq-int4-g128", 69.0, 3.32, 3.41, "llm-quantization"),
    row("gptq-int4-g128", 13.0, 4.88, 4.97, "llm-quantization"),
    row("gptq-int4-g128", 69.0, 3.32, 3.52, "llm-quantization"),
    row("gguf-q8_0", 70.6, 2.8308, 2.8316, "llama.cpp-6745"),
    row("gguf-q4_k_s", 70.6, 2.8308, 3.0050, "llama.cpp-6745"),
];

/// One published task-score change of an architecture conversion: the
/// converted model's score over the unconverted one's, minus one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PublishedScore {
    /// What was applied.
    pub technique: &'static str,
    /// Model size, billions of parameters.
    pub params_b: f64,
    /// Score after / before, minus one (negative: a loss).
    pub score_change: f64,
    /// What the score is.
    pub metric: &'static str,
    /// Key of the source in `docs/sources/accuracy.md`.
    pub source: &'static str,
}

const fn score(
    technique: &'static str,
    params_b: f64,
    before: f64,
    after: f64,
    metric: &'static str,
    source: &'static str,
) -> PublishedScore {
    PublishedScore {
        technique,
        params_b,
        score_change: after / before - 1.0,
        metric,
        source,
    }
}

/// Uptrained MQA from T5-XXL's 64 heads (Ainslie et al. 2023, Table 1).
pub const MQA_UPTRAINED: PublishedScore = score(
    "mqa-uptrained",
    11.0,
    47.2,
    46.6,
    "average of 7 summarisation/translation/QA scores",
    "gqa-table1",
);

/// Uptrained GQA with 8 key/value heads from T5-XXL's 64 (same table).
pub const GQA8_UPTRAINED: PublishedScore = score(
    "gqa8-uptrained",
    11.0,
    47.2,
    47.1,
    "average of 7 summarisation/translation/QA scores",
    "gqa-table1",
);

/// Key/value heads of the model [`GQA8_UPTRAINED`] was converted from.
pub const GQA_PAPER_HEADS: f64 = 64.0;

/// MHA2MLA on Llama-2-7B (Ji et al. 2025, abstract): "only a 0.5% drop in
/// LongBench performance", read as a relative drop; the figure is for MLA
/// combined with KV-cache quantization (92.19% smaller cache).
pub const MLA_CONVERTED: PublishedScore =
    score("mha2mla", 6.74, 100.0, 99.5, "LongBench", "mha2mla");

/// MoEfication (Zhang et al. 2022, abstract): 10% to 30% of the FFN's
/// parameters active per input keep "over 95%" of the original
/// performance; the bound is taken as the figure.
pub const MOEFICATION: PublishedScore = score(
    "moefication",
    0.77,
    100.0,
    95.0,
    "downstream tasks of T5 and BERT models (ReLU FFNs)",
    "moefication",
);

/// The active share of the FFN MoEfication's figure was published for (its upper end).
pub const MOEFICATION_ACTIVE: f64 = 0.3;
