//! The decoder-only transformer LM and its parts, from composed,
//! differentiable candle ops.
//!
//! candle 0.11's fused `softmax_last_dim`, `rms_norm`, `layer_norm` and
//! `rope` return no gradient (candle issues #2168, #3011, #3752), so every
//! part here is written with ops that have a backward pass.

mod attention;
mod bytes;
mod calibration;
mod config;
mod ffn;
mod groups;
mod init;
mod kv_cache;
mod linear;
mod mla;
mod moe;
mod norm;
mod rope;
mod transformer;

pub use attention::{Attention, QkvBias, attend};
pub use bytes::tensor_bytes;
pub use calibration::Recorder;
pub use config::{AttentionConfig, DEFAULT_NORM_EPS, FfnConfig, ModelConfig};
pub use ffn::SwiGlu;
pub use groups::{LinearGroup, LinearRole, NamedLinear};
pub use init::{reseed, seeded};
pub use kv_cache::{CachePrecision, CacheTensor, LayerCache, ModelCache};
pub use linear::Linear;
pub use mla::LatentAttention;
pub use moe::{Moe, MoeOutput};
pub use norm::RmsNorm;
pub use rope::{Rope, RopeScaling, causal_mask};
pub use transformer::{AttentionLayer, Block, FfnLayer, Output, Transformer};

#[cfg(test)]
pub(crate) mod tests;
