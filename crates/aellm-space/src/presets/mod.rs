//! Named models, hardware and tasks that a user can list and pick by name.
//!
//! ```
//! use aellm_space::presets;
//! assert!(presets::MODELS.iter().any(|m| m.name == "mixtral-8x7b"));
//! let h = presets::hardware("H100-SXM").unwrap(); // names are case-insensitive
//! assert_eq!(h.memory_gb, 80.0);
//! ```

mod hardware;
mod models;
mod tasks;

pub use hardware::*;
pub use models::*;
pub use tasks::*;

use crate::{HardwareSpec, ModelSpec, SpaceError, TaskSpec};

fn find<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> &str) -> Option<&'a T> {
    items
        .iter()
        .find(|i| key(i).eq_ignore_ascii_case(name.trim()))
}

fn unknown<T>(
    kind: &'static str,
    name: &str,
    names: impl Iterator<Item = &'static str>,
) -> Result<T, SpaceError> {
    Err(SpaceError::UnknownPreset {
        kind,
        name: name.into(),
        known: names.collect::<Vec<_>>().join(", "),
    })
}

/// The model preset with this name.
pub fn model(name: &str) -> Result<ModelSpec, SpaceError> {
    match find(MODELS, name, |m| m.name) {
        Some(m) => Ok(m.spec()),
        None => unknown("model", name, MODELS.iter().map(|m| m.name)),
    }
}

/// The hardware preset with this name.
pub fn hardware(name: &str) -> Result<HardwareSpec, SpaceError> {
    match find(HARDWARE, name, |h| h.name) {
        Some(h) => Ok(h.spec()),
        None => unknown("hardware", name, HARDWARE.iter().map(|h| h.name)),
    }
}

/// The task preset with this name.
pub fn task(name: &str) -> Result<TaskSpec, SpaceError> {
    match find(TASKS, name, |t| t.name) {
        Some(t) => Ok(t.spec()),
        None => unknown("task", name, TASKS.iter().map(|t| t.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_preset_is_consistent_and_its_count_matches_its_shapes() {
        for p in MODELS {
            let m = p.spec();
            m.check().unwrap_or_else(|e| panic!("{}: {e}", p.name));
            // Recompute the count from the shapes as from_hf_config does: the
            // published counts must agree within 3% (Phi-2's GELU MLP has two
            // projections, not three, so it is checked loosely).
            let json = format!(
                r#"{{"hidden_size":{},"intermediate_size":{},"num_attention_heads":{},"num_hidden_layers":{},
                    "num_key_value_heads":{},"vocab_size":{},"num_local_experts":{},"num_experts_per_tok":{}}}"#,
                m.hidden,
                m.ffn,
                m.heads,
                m.layers,
                m.kv_heads,
                m.vocab,
                m.experts,
                m.experts_per_token
            );
            let derived = ModelSpec::from_hf_config(p.name, &json).unwrap();
            let ratio = derived.parameters as f64 / m.parameters as f64;
            let tol = if p.name == "phi-2" { 0.35 } else { 0.03 };
            assert!(
                (ratio - 1.0).abs() < tol,
                "{}: derived {} vs published {}",
                p.name,
                derived.parameters,
                m.parameters
            );
        }
    }

    #[test]
    fn mixtral_active_parameters_match_its_card() {
        let m = model("mixtral-8x7b").unwrap();
        let active = m.active_parameters() as f64 / 1e9;
        assert!((active - 12.9).abs() < 0.3, "{active}");
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let e = hardware("tpu").unwrap_err().to_string();
        assert!(e.contains("tpu") && e.contains("h100-sxm"), "{e}");
        assert_eq!(TASKS.len(), 10);
    }
}
