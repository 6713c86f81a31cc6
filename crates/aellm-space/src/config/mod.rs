//! A configuration: one choice per stage (architecture, fine-tuning, inference).

mod architecture;
mod fine_tuning;
mod inference;
pub mod rules;

pub use architecture::{Architecture, Attention, Moe};
pub use fine_tuning::{FineTuneMethod, FineTuning};
pub use inference::{Inference, KvCache, QuantMethod, WeightPrecision};
pub use rules::{Rule, Violation};

use crate::scenario::ModelSpec;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One point of the search space: a choice for each of the three stages.
///
/// ```
/// use aellm_space::{Configuration, Attention, FineTuning, FineTuneMethod, WeightPrecision, QuantMethod};
///
/// let mut c = Configuration::default(); // MHA, dense, full fine-tune, FP16
/// assert!(c.is_valid());
///
/// c.architecture.attention = Attention::Gqa { kv_groups: 8 };
/// c.fine_tuning = FineTuning::low_rank(FineTuneMethod::Qlora, 16, 32.0);
/// // QLoRA needs a 4-bit base: the rule says so, and names the fix.
/// let broken = c.validate();
/// assert_eq!(broken.len(), 1);
/// assert!(broken[0].to_string().contains("QLoRA needs a 4-bit base"));
///
/// c.inference.weights = WeightPrecision::Int4;
/// c.inference.method = Some(QuantMethod::Gptq);
/// assert!(c.is_valid());
/// println!("{c}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Configuration {
    /// Attention variant and FFN layout.
    pub architecture: Architecture,
    /// Fine-tuning method, rank and alpha.
    pub fine_tuning: FineTuning,
    /// Weight precision, quantization method and KV cache.
    pub inference: Inference,
}

impl Configuration {
    /// Every validity rule this configuration breaks (empty when valid).
    pub fn validate(&self) -> Vec<Violation> {
        rules::check(self)
    }

    /// Every rule broken by this configuration, including those that depend on
    /// the model it is applied to (for example GQA groups dividing the heads).
    pub fn validate_for(&self, model: &ModelSpec) -> Vec<Violation> {
        let mut v = rules::check(self);
        v.extend(rules::check_for_model(self, model));
        v
    }

    /// Whether no rule is broken.
    pub fn is_valid(&self) -> bool {
        self.validate().is_empty()
    }

    /// A stable one-line key, used to identify a configuration in stores and caches.
    pub fn key(&self) -> String {
        serde_json::to_string(self).expect("a configuration always serialises")
    }
}

impl fmt::Display for Configuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} | {} | {}",
            self.architecture.attention, self.architecture.moe, self.fine_tuning, self.inference
        )
    }
}
