//! A rule's wish made real: the configuration of the space, valid for the
//! model, nearest to what a rule asks for. Rules name techniques (INT4 with
//! MQA and LoRA r32); the space and the model decide which of them exist, so a
//! rule never produces a value outside the space.

use crate::OptimizerError;
use aellm_space::{Attention, Configuration, Dimension, ModelSpec, Moe, Space};

/// How far `c` is from `wish`: one per differing dimension, less when the
/// two values are of the same kind (GQA-4 vs GQA-8, sparse 4 vs 8 experts)
/// or numerically close (rank 32 vs 64), so the nearest neighbour keeps the
/// technique a rule names even where the model forbids its exact setting.
fn distance(wish: &Configuration, c: &Configuration) -> f64 {
    let (wa, ca) = (&wish.architecture, &c.architecture);
    let mut d = 0.0;
    d += match (wa.attention, ca.attention) {
        (a, b) if a == b => 0.0,
        (Attention::Gqa { .. }, Attention::Gqa { .. })
        | (Attention::Mla { .. }, Attention::Mla { .. }) => 0.25,
        _ => 1.0,
    };
    d += match (wa.moe, ca.moe) {
        (a, b) if a == b => 0.0,
        (Moe::Sparse { .. }, Moe::Sparse { .. }) => 0.25,
        _ => 1.0,
    };
    let (wf, cf) = (&wish.fine_tuning, &c.fine_tuning);
    d += f64::from(u8::from(wf.method != cf.method));
    // Log-scale gaps stay below one step of the method itself.
    let log_gap = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => ((a / b).log2().abs() / 8.0).min(0.5),
        (None, None) => 0.0,
        _ => 0.5,
    };
    d += log_gap(wf.rank.map(f64::from), cf.rank.map(f64::from));
    d += log_gap(wf.alpha, cf.alpha);
    let (wi, ci) = (&wish.inference, &c.inference);
    d += f64::from(u8::from(wi.weights != ci.weights));
    d += 0.5 * f64::from(u8::from(wi.method != ci.method));
    d += f64::from(u8::from(wi.kv_cache != ci.kv_cache));
    d
}

/// The configuration of `space` valid for `model` nearest to `wish` (the
/// wish itself when it is one); ties go to the first in the space's order.
/// An error when the space holds no configuration valid for the model.
pub fn nearest_valid(
    wish: &Configuration,
    space: &Space,
    model: &ModelSpec,
) -> Result<Configuration, OptimizerError> {
    let space = space.for_model(model);
    if space.contains(wish) && wish.validate_for(model).is_empty() {
        return Ok(*wish);
    }
    let mut best: Option<(f64, Configuration)> = None;
    space.for_each(|c| {
        if !c.validate_for(model).is_empty() {
            return;
        }
        let d = distance(wish, &c);
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    });
    best.map(|(_, c)| c)
        .ok_or_else(|| OptimizerError::InvalidParameter {
            name: "space",
            value: format!("{} dimensions", Dimension::ALL.len()),
            allowed: format!(
                "a space holding at least one configuration valid for model {} (widen its attention or fine-tuning values)",
                model.name
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::{FineTuneMethod, FineTuning, QuantMethod, WeightPrecision, presets};

    #[test]
    fn a_valid_wish_is_kept_and_an_invalid_one_keeps_its_kind() {
        let m = presets::model("llama-2-7b").unwrap();
        let s = Space::paper();
        let mut wish = Configuration::default();
        wish.architecture.attention = Attention::Mqa;
        wish.fine_tuning = FineTuning::low_rank(FineTuneMethod::Lora, 32, 32.0);
        wish.inference.weights = WeightPrecision::Int4;
        wish.inference.method = Some(QuantMethod::Gptq);
        assert_eq!(nearest_valid(&wish, &s, &m).unwrap(), wish);
        // Rank 48 is not in the space: the nearest rank is kept, nothing else moves.
        let mut odd = wish;
        odd.fine_tuning = FineTuning::low_rank(FineTuneMethod::Lora, 48, 48.0);
        let got = nearest_valid(&odd, &s, &m).unwrap();
        assert!(s.contains(&got) && got.validate_for(&m).is_empty());
        assert_eq!(got.fine_tuning.method, FineTuneMethod::Lora);
        assert!(matches!(got.fine_tuning.rank, Some(32 | 64)));
        assert_eq!(got.inference, wish.inference);
        // GQA with 3 groups divides no head count of this model: another GQA.
        let mut gqa = wish;
        gqa.architecture.attention = Attention::Gqa { kv_groups: 3 };
        let got = nearest_valid(&gqa, &s, &m).unwrap();
        assert!(matches!(got.architecture.attention, Attention::Gqa { .. }));
    }

    #[test]
    fn a_space_with_nothing_valid_is_an_error_naming_the_model() {
        let m = presets::model("llama-2-7b").unwrap();
        let mut s = Space::paper();
        s.methods = vec![FineTuneMethod::Qlora];
        s.weights = vec![WeightPrecision::Fp16];
        let e = nearest_valid(&Configuration::default(), &s, &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("llama-2-7b"), "{e}");
    }
}
