//! Score changes of the architecture conversions (fewer key/value heads,
//! a latent cache, experts split out of the FFN), read off the published
//! rows with the interpolation each states.

use super::published::{
    GQA_PAPER_HEADS, GQA8_UPTRAINED, MLA_CONVERTED, MOEFICATION, MOEFICATION_ACTIVE, MQA_UPTRAINED,
};
use aellm_space::{Attention, ModelSpec, Moe};

/// A predicted relative score change with its standard deviation and how.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    /// Score after / before, minus one.
    pub change: f64,
    /// One standard deviation of it.
    pub std: f64,
    /// The row and the rule used.
    pub how: String,
}

/// Relative loss of uptraining to `kv` key/value heads from `heads`:
/// piecewise linear in log2(kv heads) through MQA (1 head), GQA-8 (8 heads)
/// and no loss at every head, as published for T5-XXL (64 heads).
fn kv_heads_loss(kv: f64, heads: f64) -> f64 {
    let (mqa, gqa8) = (MQA_UPTRAINED.score_change, GQA8_UPTRAINED.score_change);
    let x = kv.max(1.0).log2();
    if kv >= heads {
        0.0
    } else if x <= 3.0 {
        mqa + (gqa8 - mqa) * x / 3.0
    } else {
        // Between 8 heads and all of them (at least 8 + a little).
        let top = heads.max(8.0).log2().max(3.0 + 1e-9);
        gqa8 * (top - x) / (top - 3.0)
    }
}

/// The change of moving attention from the model's own key/value heads to `a`'s.
pub(crate) fn attention(a: Attention, m: &ModelSpec) -> Option<Change> {
    let heads = m.heads as f64;
    let native = (m.kv_heads.max(1) as f64).min(heads);
    let target = match a {
        Attention::Mha => return None,
        Attention::Mla { latent_dim } => {
            return Some(Change {
                change: MLA_CONVERTED.score_change,
                // The row is one size and one latent width: a loss as large
                // again either way is within what it supports.
                std: MLA_CONVERTED.score_change.abs().max(0.005),
                how: format!(
                    "MLA (latent {latent_dim}): {:+.1}% {} at {:.0}B ({}), any latent width",
                    100.0 * MLA_CONVERTED.score_change,
                    MLA_CONVERTED.metric,
                    MLA_CONVERTED.params_b,
                    MLA_CONVERTED.source
                ),
            });
        }
        Attention::Mqa => 1.0,
        Attention::Gqa { kv_groups } => kv_groups as f64,
    };
    if target >= native {
        return None;
    }
    // Scale the model's heads onto the paper's 64 so "MQA" and "GQA-8 of
    // 64" keep their published meaning; a model already below MHA starts
    // from its own heads' loss.
    let scale = GQA_PAPER_HEADS / heads;
    let change = kv_heads_loss(target * scale, GQA_PAPER_HEADS)
        - kv_heads_loss(native * scale, GQA_PAPER_HEADS);
    Some(Change {
        change,
        // Uptrained with 5% of pre-training compute in the paper; a shorter
        // uptraining loses more, so the interval reaches twice the loss.
        std: change.abs().max(0.002),
        how: format!(
            "{a} from {native:.0} to {target:.0} key/value heads: {:+.2}% (uptrained MQA {:+.2}%, GQA-8 {:+.2}% of 64 heads on T5-XXL, {}; log-interpolated, 5% of pre-training compute assumed)",
            100.0 * change,
            100.0 * MQA_UPTRAINED.score_change,
            100.0 * GQA8_UPTRAINED.score_change,
            MQA_UPTRAINED.source
        ),
    })
}

/// The change of splitting the model's FFN into `moe`'s experts
/// (MoEfication: the same parameters, a share of them active per token).
pub(crate) fn moe(moe: Moe, m: &ModelSpec) -> Option<Change> {
    let Moe::Sparse { experts, top_k } = moe else {
        return None;
    };
    let native = m.experts_per_token.max(1) as f64 / m.experts.max(1) as f64;
    let active = (top_k as f64 / experts.max(1) as f64 / native).min(1.0);
    if active >= 1.0 {
        return None;
    }
    let published = MOEFICATION.score_change;
    // Up to the published share the bound holds; above it the loss shrinks
    // linearly to none at the whole FFN (an assumption of this model).
    let change = if active <= MOEFICATION_ACTIVE {
        published
    } else {
        published * (1.0 - active) / (1.0 - MOEFICATION_ACTIVE)
    };
    Some(Change {
        change,
        // Published on ReLU FFNs, which are sparser than the SwiGLU FFNs of
        // today's models: the loss may well be twice as large.
        std: change.abs(),
        how: format!(
            "{moe} ({:.0}% of the FFN active): {:+.1}% (MoEfication keeps over 95% at 10-30% active, {}; {}; linear to no loss at 100% active)",
            100.0 * active,
            100.0 * change,
            MOEFICATION.metric,
            MOEFICATION.source
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::presets;

    #[test]
    fn fewer_kv_heads_never_cost_less_and_mha_costs_nothing() {
        let m = presets::model("llama-2-7b").unwrap();
        assert!(attention(Attention::Mha, &m).is_none());
        let mut last = 0.0;
        for g in [16, 8, 4, 2] {
            let c = attention(Attention::Gqa { kv_groups: g }, &m)
                .unwrap()
                .change;
            assert!(c <= last && c < 0.0, "GQA-{g}: {c}");
            last = c;
        }
        let mqa = attention(Attention::Mqa, &m).unwrap().change;
        assert!(mqa <= last);
        // Llama-2-7B's 32 heads scaled onto 64: MQA sits at 2 of 64 heads,
        // one third of the way from the MQA row to the GQA-8 row.
        let expected = -0.6 / 47.2 + (0.6 - 0.1) / 47.2 / 3.0;
        assert!((mqa - expected).abs() < 1e-12, "{mqa} vs {expected}");
    }

    #[test]
    fn a_gqa_checkpoint_pays_only_for_heads_below_its_own() {
        let m = presets::model("llama-3-8b").unwrap(); // 8 of 32 heads
        assert!(attention(Attention::Gqa { kv_groups: 8 }, &m).is_none());
        let own = presets::model("llama-2-7b").unwrap();
        let from_8 = attention(Attention::Mqa, &m).unwrap().change;
        let from_32 = attention(Attention::Mqa, &own).unwrap().change;
        assert!(from_8 > from_32 && from_8 < 0.0);
    }

    #[test]
    fn moefication_bound_applies_up_to_30_percent_active() {
        let m = presets::model("llama-2-7b").unwrap();
        let top1_of_8 = moe(
            Moe::Sparse {
                experts: 8,
                top_k: 1,
            },
            &m,
        )
        .unwrap();
        assert!((top1_of_8.change - (-0.05)).abs() < 1e-12);
        let half = moe(
            Moe::Sparse {
                experts: 4,
                top_k: 2,
            },
            &m,
        )
        .unwrap();
        assert!((half.change - (-0.05 * 0.5 / 0.7)).abs() < 1e-12);
        // Mixtral routes 2 of 8: 2 of 8 again is its own FFN.
        let mixtral = presets::model("mixtral-8x7b").unwrap();
        assert!(
            moe(
                Moe::Sparse {
                    experts: 8,
                    top_k: 2
                },
                &mixtral
            )
            .is_none()
        );
        assert!(moe(Moe::Dense, &m).is_none());
    }
}
