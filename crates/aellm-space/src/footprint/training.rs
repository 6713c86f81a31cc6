//! What fine-tuning trains and holds: adapter parameters, optimizer state,
//! and the weights a fine-tune keeps in memory.

use super::operators::{Operator, OperatorKind};
use super::options::AdapterTargets;
use crate::{FineTuneMethod, FineTuning};

/// Bytes AdamW keeps per trainable element: two f32 moments.
pub const ADAMW_STATE_BYTES_PER_ELEMENT: u64 = 2 * 4;

/// Whether an operator carries an adapter under `targets` (never the router
/// or the LM head).
pub fn is_adapted(op: &Operator, targets: AdapterTargets) -> bool {
    match op.kind {
        OperatorKind::AttentionProjection => targets.attention,
        OperatorKind::Ffn | OperatorKind::Expert => targets.ffn,
        OperatorKind::Router | OperatorKind::LmHead => false,
    }
}

/// Adapter parameters: `r x (input + output)` per adapted matrix (A and B),
/// plus DoRA's magnitude vector of `output` per matrix. Zero for full
/// fine-tuning (which trains the weights themselves).
pub fn adapter_parameters(ops: &[Operator], ft: &FineTuning, targets: AdapterTargets) -> u64 {
    let Some(r) = ft.rank.filter(|_| ft.method.is_low_rank()) else {
        return 0;
    };
    ops.iter()
        .filter(|o| is_adapted(o, targets))
        .map(|o| {
            let per = r as u64 * (o.input + o.output)
                + if ft.method == FineTuneMethod::Dora {
                    o.output
                } else {
                    0
                };
            per * o.copies * o.layers
        })
        .sum()
}
