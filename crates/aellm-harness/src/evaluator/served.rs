//! What the inference stage hands to the measurements.

use crate::model::{CachePrecision, ModelConfig, Transformer};

/// The model the inference stage serves, with its shape and cache precision.
pub(crate) struct Served {
    /// The quantized model.
    pub model: Transformer,
    /// Its shape (after the KV-cache layout).
    pub config: ModelConfig,
    /// How its KV cache stores entries.
    pub cache: CachePrecision,
}
