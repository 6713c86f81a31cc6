//! The weight matrices of a shape, grouped by the operator that multiplies by them.

use super::shape::{AttentionShape, Shape};
use serde::{Deserialize, Serialize};

/// Which part of a layer an operator belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorKind {
    /// Attention projections (q, k, v, o; MLA's down and up projections).
    AttentionProjection,
    /// A dense FFN projection.
    Ffn,
    /// One projection of a routed expert.
    Expert,
    /// The MoE router (kept in floating point).
    Router,
    /// The output projection to the vocabulary.
    LmHead,
}

/// One kind of weight matrix: `copies` matrices of `input x output` in each
/// of `layers` layers, of which `active_copies` multiply each token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// Name, e.g. `q`, `ffn.up`, `expert.down`.
    pub name: String,
    /// What it belongs to.
    pub kind: OperatorKind,
    /// Input width.
    pub input: u64,
    /// Output width.
    pub output: u64,
    /// Matrices per layer (experts for an expert projection, else 1).
    pub copies: u64,
    /// Matrices each token multiplies by (top-k for an expert projection).
    pub active_copies: u64,
    /// Layers holding it (1 for the LM head).
    pub layers: u64,
}

impl Operator {
    /// Weights of one matrix.
    pub fn elements(&self) -> u64 {
        self.input * self.output
    }

    /// Weights over every copy and layer.
    pub fn parameters(&self) -> u64 {
        self.elements() * self.copies * self.layers
    }

    /// Weights a token passes through over every layer (also its multiply-adds).
    pub fn active_parameters(&self) -> u64 {
        self.elements() * self.active_copies * self.layers
    }

    /// Whether a low-rank adapter or weight quantization can apply to it.
    pub fn is_linear_weight(&self) -> bool {
        self.kind != OperatorKind::Router
    }
}

fn op(name: &'static str, kind: OperatorKind, input: u64, output: u64, layers: u64) -> Operator {
    Operator {
        name: name.into(),
        kind,
        input,
        output,
        copies: 1,
        active_copies: 1,
        layers,
    }
}

fn attention(s: &Shape) -> Vec<Operator> {
    use OperatorKind::AttentionProjection as A;
    let (h, n, d, l) = (s.hidden, s.heads, s.head_dim, s.layers);
    match s.attention {
        AttentionShape::Standard { kv_heads } => vec![
            op("q", A, h, n * d, l),
            op("k", A, h, kv_heads * d, l),
            op("v", A, h, kv_heads * d, l),
            op("o", A, n * d, h, l),
        ],
        // The harness's MLA: queries split into a position-free and a RoPE
        // part, the latent down-projection, a shared RoPE key, and the
        // latent's up-projections to position-free keys and to values.
        AttentionShape::Latent { latent, rope_dim } => {
            let dn = d - rope_dim.min(d);
            vec![
                op("q_nope", A, h, n * dn, l),
                op("q_rope", A, h, n * rope_dim, l),
                op("kv_down", A, h, latent, l),
                op("k_rope", A, h, rope_dim, l),
                op("k_up", A, latent, n * dn, l),
                op("v_up", A, latent, n * d, l),
                op("o", A, n * d, h, l),
            ]
        }
    }
}

fn ffn(s: &Shape) -> Vec<Operator> {
    let (h, f, l) = (s.hidden, s.ffn.width, s.layers);
    let moe = s.ffn.experts > 1;
    let kind = if moe {
        OperatorKind::Expert
    } else {
        OperatorKind::Ffn
    };
    let names: &[&'static str] = match (moe, s.ffn.projections) {
        (false, 2) => &["ffn.up", "ffn.down"],
        (false, _) => &["ffn.gate", "ffn.up", "ffn.down"],
        (true, 2) => &["expert.up", "expert.down"],
        (true, _) => &["expert.gate", "expert.up", "expert.down"],
    };
    let mut out: Vec<Operator> = names
        .iter()
        .map(|&name| {
            let (i, o) = if name.ends_with("down") {
                (f, h)
            } else {
                (h, f)
            };
            Operator {
                copies: s.ffn.experts,
                active_copies: s.ffn.top_k,
                ..op(name, kind, i, o, l)
            }
        })
        .collect();
    if moe {
        out.push(op("router", OperatorKind::Router, h, s.ffn.experts, l));
    }
    out
}

/// Every weight matrix of the shape, layer operators first, LM head last.
pub fn operators(s: &Shape) -> Vec<Operator> {
    let mut out = attention(s);
    out.extend(ffn(s));
    out.push(op("lm_head", OperatorKind::LmHead, s.hidden, s.vocab, 1));
    out
}

/// Parameters outside the matrices: the embedding table (none apart when
/// tied: the LM head's matrix is the table) and [`rest_parameters`].
pub fn non_matrix_parameters(s: &Shape) -> u64 {
    let table = if s.tied_embeddings {
        0
    } else {
        s.vocab * s.hidden
    };
    table + rest_parameters(s)
}

/// Parameters outside the matrices and the embedding table: two norms per
/// layer, the final norm and the unmodelled rest of the published count.
pub fn rest_parameters(s: &Shape) -> u64 {
    2 * s.hidden * s.layers + s.hidden + s.other_parameters
}
