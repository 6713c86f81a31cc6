//! The fine-tuning stage: method, and rank and alpha for the low-rank methods.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How the model is adapted to the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FineTuneMethod {
    /// Every weight trains.
    Full,
    /// Low-rank adapters scaled by alpha / rank (Hu et al. 2022).
    Lora,
    /// LoRA on a frozen 4-bit base (Dettmers et al. 2023).
    Qlora,
    /// Weight-decomposed low-rank adaptation (Liu et al. 2024).
    Dora,
    /// Rank-stabilised LoRA, scaled by alpha / sqrt(rank) (Kalajdzievski 2023).
    Rslora,
}

impl FineTuneMethod {
    /// Every method, in the order of the encoding.
    pub const ALL: [FineTuneMethod; 5] = [
        FineTuneMethod::Full,
        FineTuneMethod::Lora,
        FineTuneMethod::Qlora,
        FineTuneMethod::Dora,
        FineTuneMethod::Rslora,
    ];

    /// Whether the method trains low-rank adapters (and so has rank and alpha).
    pub fn is_low_rank(self) -> bool {
        !matches!(self, FineTuneMethod::Full)
    }
}

impl fmt::Display for FineTuneMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FineTuneMethod::Full => "Full",
            FineTuneMethod::Lora => "LoRA",
            FineTuneMethod::Qlora => "QLoRA",
            FineTuneMethod::Dora => "DoRA",
            FineTuneMethod::Rslora => "RSLoRA",
        })
    }
}

/// The fine-tuning stage of a configuration.
///
/// `rank` and `alpha` are set for the low-rank methods and absent for
/// [`FineTuneMethod::Full`]; the validity rules check this.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FineTuning {
    /// The method.
    pub method: FineTuneMethod,
    /// Adapter rank r.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Adapter scale numerator alpha (LoRA scales by alpha/r, RSLoRA by alpha/sqrt(r)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
}

impl FineTuning {
    /// Full fine-tuning.
    pub fn full() -> Self {
        FineTuning {
            method: FineTuneMethod::Full,
            rank: None,
            alpha: None,
        }
    }

    /// A low-rank method with the given rank and alpha.
    pub fn low_rank(method: FineTuneMethod, rank: u32, alpha: f64) -> Self {
        FineTuning {
            method,
            rank: Some(rank),
            alpha: Some(alpha),
        }
    }

    /// The update scale the method applies to B·A: alpha/r for LoRA, QLoRA and
    /// DoRA, alpha/sqrt(r) for RSLoRA; `None` for full fine-tuning.
    pub fn scale(&self) -> Option<f64> {
        let (r, a) = (self.rank? as f64, self.alpha?);
        match self.method {
            FineTuneMethod::Full => None,
            FineTuneMethod::Rslora => Some(a / r.sqrt()),
            _ => Some(a / r),
        }
    }
}

impl Default for FineTuning {
    fn default() -> Self {
        FineTuning::full()
    }
}

impl Eq for FineTuning {}

impl std::hash::Hash for FineTuning {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.method.hash(state);
        self.rank.hash(state);
        self.alpha.map(f64::to_bits).hash(state);
    }
}

impl fmt::Display for FineTuning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.rank, self.alpha) {
            (Some(r), Some(a)) => write!(f, "{} r={r} alpha={a}", self.method),
            _ => write!(f, "{}", self.method),
        }
    }
}
