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

/// A name reduced to what tells presets apart: lower case, letters and
/// digits only (`Llama3-8B` and `llama-3-8b` agree).
fn squashed(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The name's words in sorted order, with a device count written either
/// side (`8x`, `x8`, `h200x8`) as one `8x` word, so `h200-8x`, `8x-h200` and
/// `H200 x8` agree.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in name
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
    {
        let count = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
        match (w.strip_suffix('x'), w.strip_prefix('x'), w.rsplit_once('x')) {
            (Some(n), _, _) | (_, Some(n), _) if count(n) => out.push(format!("{n}x")),
            (_, _, Some((head, n))) if count(n) && !head.is_empty() => {
                out.push(head.to_string());
                out.push(format!("{n}x"));
            }
            _ if !w.is_empty() => out.push(w.to_string()),
            _ => {}
        }
    }
    out.sort();
    out
}

/// Short names people use for a hardware preset.
const HARDWARE_ALIASES: &[(&str, &str)] = &[
    ("4090", "rtx-4090"),
    ("a100", "a100-80gb"),
    ("a100-80g", "a100-80gb"),
    ("a100-sxm", "a100-80gb"),
    ("h100", "h100-sxm"),
    ("h200", "h200-sxm"),
    ("hgx-h200", "8x-h200"),
];

fn find<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> &str) -> Option<&'a T> {
    let (sq, ws) = (squashed(name), words(name));
    items
        .iter()
        .find(|i| key(i).eq_ignore_ascii_case(name.trim()))
        .or_else(|| items.iter().find(|i| squashed(key(i)) == sq))
        .or_else(|| items.iter().find(|i| words(key(i)) == ws))
}

/// Every known name, the nearest to `name` first when one is close enough
/// to be a likely typo (edit distance within a third of its length).
fn known_names(name: &str, names: impl Iterator<Item = &'static str>) -> String {
    let mut names: Vec<&str> = names.collect();
    let sq = squashed(name);
    let nearest = names
        .iter()
        .map(|n| (strsim::levenshtein(&squashed(n), &sq), *n))
        .min()
        .filter(|(d, n)| *d <= (squashed(n).len() / 3).max(2));
    match nearest {
        Some((_, n)) => {
            names.retain(|x| *x != n);
            format!("{n} (nearest: did you mean it?), {}", names.join(", "))
        }
        None => names.join(", "),
    }
}

fn unknown<T>(
    kind: &'static str,
    name: &str,
    names: impl Iterator<Item = &'static str>,
) -> Result<T, SpaceError> {
    Err(SpaceError::UnknownPreset {
        kind,
        name: name.into(),
        known: known_names(name, names),
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
    let alias = HARDWARE_ALIASES
        .iter()
        .find(|(a, _)| squashed(a) == squashed(name))
        .map(|(_, n)| *n);
    match find(HARDWARE, alias.unwrap_or(name), |h| h.name) {
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
    fn common_spellings_find_their_preset() {
        for (spelling, name) in [
            ("h200-8x", "8x-h200"),
            ("H200 x8", "8x-h200"),
            ("h200x8", "8x-h200"),
            ("8xH200", "8x-h200"),
            ("RTX4090", "rtx-4090"),
            ("4090", "rtx-4090"),
            ("A100", "a100-80gb"),
            ("h100_sxm", "h100-sxm"),
        ] {
            assert_eq!(hardware(spelling).unwrap().name, name, "{spelling}");
        }
        assert_eq!(model("Llama3-8B").unwrap().name, "llama-3-8b");
        assert_eq!(model("mixtral_8x7b").unwrap().name, "mixtral-8x7b");
        assert_eq!(task("GSM-8K").unwrap().name, "gsm8k");
    }

    #[test]
    fn a_typo_is_answered_with_the_nearest_name() {
        let e = hardware("a100-80bg").unwrap_err().to_string();
        assert!(e.contains("a100-80gb (nearest"), "{e}");
        let e = model("lama-2-7b").unwrap_err().to_string();
        assert!(e.contains("llama-2-7b (nearest"), "{e}");
        // Far from every name: no guess, just the list.
        let e = hardware("tpu-v5").unwrap_err().to_string();
        assert!(!e.contains("nearest"), "{e}");
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let e = hardware("tpu").unwrap_err().to_string();
        assert!(e.contains("tpu") && e.contains("h100-sxm"), "{e}");
        assert_eq!(TASKS.len(), 10);
    }
}
