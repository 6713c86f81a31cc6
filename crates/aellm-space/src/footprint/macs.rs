//! Multiply-adds per token, split by operator, for prefill and decode.

use super::operators::{Operator, OperatorKind};
use super::shape::Shape;
use serde::{Deserialize, Serialize};

/// Multiply-adds one token costs in each kind of operator, over every layer
/// (attention over the context excluded: it grows with the position, see
/// [`MacsPerToken::attention_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MacsPerToken {
    /// Attention projections.
    pub attention_projections: f64,
    /// Dense FFN, or the routed experts (top-k of them).
    pub ffn: f64,
    /// The MoE router.
    pub router: f64,
    /// The LM head.
    pub lm_head: f64,
    /// Attention over the context per position attended to, over every
    /// layer: `2 x heads x head_dim x layers` (scores and the weighted sum of
    /// values; MLA's keys and values count as reconstructed, once per token,
    /// in its up-projections).
    pub attention_per_position: f64,
}

impl MacsPerToken {
    /// From the operators of a shape.
    pub fn new(shape: &Shape, ops: &[Operator]) -> Self {
        let sum = |f: &dyn Fn(OperatorKind) -> bool| -> f64 {
            ops.iter()
                .filter(|o| f(o.kind))
                .map(|o| o.active_parameters() as f64)
                .sum()
        };
        MacsPerToken {
            attention_projections: sum(&|k| k == OperatorKind::AttentionProjection),
            ffn: sum(&|k| matches!(k, OperatorKind::Ffn | OperatorKind::Expert)),
            router: sum(&|k| k == OperatorKind::Router),
            lm_head: sum(&|k| k == OperatorKind::LmHead),
            attention_per_position: (2 * shape.heads * shape.head_dim * shape.layers) as f64,
        }
    }

    /// Per-token multiply-adds of the layers' matrices (no LM head, no context).
    pub fn layers(&self) -> f64 {
        self.attention_projections + self.ffn + self.router
    }

    /// Attention over a context of `positions` tokens.
    pub fn attention_at(&self, positions: u64) -> f64 {
        self.attention_per_position * positions as f64
    }

    /// Prefill of `prompt` tokens, causal (token t attends to t positions),
    /// with the LM head once: serving engines compute logits for the last
    /// prompt position only.
    pub fn prefill(&self, prompt: u64) -> f64 {
        let p = prompt as f64;
        p * self.layers() + self.attention_per_position * p * (p + 1.0) / 2.0 + self.lm_head
    }

    /// One decode step whose new token attends to `context` positions (itself included).
    pub fn decode_step(&self, context: u64) -> f64 {
        self.layers() + self.lm_head + self.attention_at(context)
    }

    /// Every decode step after a prefill of `prompt` tokens that generates
    /// `output` tokens: the prefill gives the first, `output - 1` steps the rest.
    pub fn decode(&self, prompt: u64, output: u64) -> f64 {
        let steps = output.saturating_sub(1) as f64;
        // Step i (1-based) attends to prompt + i positions.
        let positions = steps * prompt as f64 + steps * (steps + 1.0) / 2.0;
        steps * (self.layers() + self.lm_head) + self.attention_per_position * positions
    }
}
