//! Scenario files in TOML and JSON, naming presets or spelling figures out.

use super::{Constraints, HardwareSpec, ModelSpec, Preferences, Scenario, TaskSpec};
use crate::{error::SpaceError, presets};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use std::path::Path;

/// Either the name of a preset or the full figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PresetOr<T> {
    /// A preset's name, e.g. `"llama-2-7b"`.
    Preset(String),
    /// The figures themselves.
    Spec(T),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for PresetOr<T> {
    // Hand-written rather than `untagged`, so an inline spec's error keeps
    // the field it failed on instead of "did not match any variant".
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        if let serde_json::Value::String(name) = v {
            return Ok(PresetOr::Preset(name));
        }
        serde_path_to_error::deserialize::<_, T>(v)
            .map(PresetOr::Spec)
            .map_err(|e| {
                let path = e.path().to_string();
                D::Error::custom(format!("at `{path}`: {}", e.into_inner()))
            })
    }
}

/// A scenario file's model: a preset's name, a real checkpoint on disk
/// (`model = { path = "…" }`), or the figures themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ModelEntry {
    /// A preset's name, e.g. `"llama-2-7b"`.
    Preset(String),
    /// A checkpoint the harness reads: a path (relative to the scenario
    /// file's folder, or absolute) or a name it resolves (`smollm2-135m`).
    Checkpoint {
        /// The path or name.
        path: String,
    },
    /// The figures themselves.
    Spec(ModelSpec),
}

impl<'de> Deserialize<'de> for ModelEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        if let Some(map) = v.as_object()
            && map.len() == 1
            && let Some(path) = map.get("path")
        {
            let path = path
                .as_str()
                .ok_or_else(|| D::Error::custom("at `path`: a checkpoint path must be a string"))?;
            return Ok(ModelEntry::Checkpoint { path: path.into() });
        }
        Ok(
            match PresetOr::<ModelSpec>::deserialize(v).map_err(D::Error::custom)? {
                PresetOr::Preset(n) => ModelEntry::Preset(n),
                PresetOr::Spec(m) => ModelEntry::Spec(m),
            },
        )
    }
}

/// What a scenario file holds.
///
/// ```toml
/// model = "llama-3-8b"            # a preset name, a table of ModelSpec fields,
///                                 # or a real checkpoint: { path = "model.gguf" }
/// task = "gsm8k"
/// hardware = "h100-sxm"
/// budget = 120                    # optional: real evaluations the optimizer may spend
/// eval_timeout_s = 600            # optional: give up on one evaluation after this long
/// max_attempts = 3                # optional: tries of a failure that may pass (1 to 20)
///
/// [preferences]                   # optional, default 0.4/0.2/0.2/0.2
/// accuracy = 0.5
/// latency = 0.3
/// memory = 0.1
/// energy = 0.1
///
/// [constraints]                   # optional
/// max_latency_ms = 2000.0
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The model.
    pub model: ModelEntry,
    /// The task.
    pub task: PresetOr<TaskSpec>,
    /// The hardware.
    pub hardware: PresetOr<HardwareSpec>,
    /// The user's weights.
    #[serde(default)]
    pub preferences: Preferences,
    /// Hard limits.
    #[serde(default)]
    pub constraints: Constraints,
    /// Real evaluations the optimizer may spend, if the file sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<u32>,
    /// Give up on one evaluation after this many seconds (above 0, at most
    /// a week), if the file sets it; `--eval-timeout` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_timeout_s: Option<f64>,
    /// Attempts per configuration whose failure may pass, if the file sets
    /// it (the optimizer checks the range, as for `--max-attempts`, which
    /// overrides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
}

impl ScenarioFile {
    /// Parses TOML; errors name the field that failed.
    pub fn from_toml_str(text: &str) -> Result<ScenarioFile, SpaceError> {
        let de = toml::Deserializer::parse(text).map_err(|e| SpaceError::Parse {
            source_name: "scenario TOML".into(),
            message: e.to_string(),
        })?;
        serde_path_to_error::deserialize(de).map_err(|e| parse_error("scenario TOML", e))
    }

    /// Parses JSON; errors name the field that failed.
    pub fn from_json_str(text: &str) -> Result<ScenarioFile, SpaceError> {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| parse_error("scenario JSON", e))
    }

    /// Reads a file: `.json` as JSON, anything else as TOML.
    pub fn from_path(path: impl AsRef<Path>) -> Result<ScenarioFile, SpaceError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| SpaceError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let parsed = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        };
        parsed.map_err(|e| match e {
            SpaceError::Parse { message, .. } => SpaceError::Parse {
                source_name: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// The file's per-evaluation time limit, checked (the error names the
    /// file's field `eval_timeout_s`).
    pub fn eval_timeout(&self) -> Result<Option<std::time::Duration>, SpaceError> {
        let Some(seconds) = self.eval_timeout_s else {
            return Ok(None);
        };
        crate::check_eval_timeout(seconds).map_err(|e| match e {
            SpaceError::InvalidField { why, .. } => SpaceError::InvalidField {
                what: "scenario file".into(),
                field: "eval_timeout_s".into(),
                why,
            },
            e => e,
        })?;
        Ok(Some(std::time::Duration::from_secs_f64(seconds)))
    }

    /// Looks presets up and checks the whole scenario. A checkpoint model
    /// needs a reader of checkpoints: see [`ScenarioFile::resolve_with`].
    pub fn resolve(self) -> Result<Scenario, SpaceError> {
        self.resolve_with(|path| {
            Err(SpaceError::InvalidField {
                what: "scenario file".into(),
                field: "model.path".into(),
                why: format!(
                    "names the checkpoint `{path}`, which only a checkpoint reader can describe: \
                     use `aellm optimize --scenario` or `aellm measure --scenario` (the harness \
                     reads it), or spell the model's figures out"
                ),
            })
        })
    }

    /// As [`ScenarioFile::resolve`], with `checkpoint` turning a checkpoint
    /// model's path into its [`ModelSpec`] (the harness reads the file).
    pub fn resolve_with(
        self,
        checkpoint: impl FnOnce(&str) -> Result<ModelSpec, SpaceError>,
    ) -> Result<Scenario, SpaceError> {
        self.eval_timeout()?;
        let model = match self.model {
            ModelEntry::Preset(n) => presets::model(&n)?,
            ModelEntry::Checkpoint { path } => checkpoint(&path)?,
            ModelEntry::Spec(m) => m,
        };
        let task = match self.task {
            PresetOr::Preset(n) => presets::task(&n)?,
            PresetOr::Spec(t) => t,
        };
        let hardware = match self.hardware {
            PresetOr::Preset(n) => presets::hardware(&n)?,
            PresetOr::Spec(h) => h,
        };
        if self.budget == Some(0) {
            return Err(SpaceError::InvalidField {
                what: "scenario file".into(),
                field: "budget".into(),
                why: "must be at least 1 evaluation; remove it for the optimizer's default".into(),
            });
        }
        let s = Scenario {
            model,
            task,
            hardware,
            preferences: self.preferences,
            constraints: self.constraints,
        };
        s.check()?;
        Ok(s)
    }
}

fn parse_error<E: std::fmt::Display>(
    source_name: &str,
    e: serde_path_to_error::Error<E>,
) -> SpaceError {
    let path = e.path().to_string();
    SpaceError::Parse {
        source_name: source_name.into(),
        message: format!("at `{path}`: {}", e.into_inner()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_and_the_allowed_values() {
        let e = Scenario::from_toml_str(
            "model = \"llama-2-7b\"\ntask = \"mmlu\"\nhardware = \"a100-80gb\"\n[preferences]\naccuracy = 1\nlatency = 0\nmemory = 0\nenergy = \"x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("preferences.energy"), "{e}");

        let e = Scenario::from_toml_str(
            "model = \"llama-9\"\ntask = \"mmlu\"\nhardware = \"a100-80gb\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("llama-9") && e.contains("llama-2-7b"), "{e}");

        let e = Scenario::from_json_str(
            r#"{"model": "llama-2-7b", "hardware": "h100-sxm",
                "task": {"name": "t", "kind": "poetry", "prompt_tokens": 5, "output_tokens": 5, "metric": "accuracy"}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("kind") && e.contains("understanding"), "{e}");
    }

    #[test]
    fn a_checkpoint_model_is_described_by_the_given_reader() {
        let text = "model = { path = \"m.gguf\" }\ntask = \"mmlu\"\nhardware = \"a100-80gb\"\n";
        let f = ScenarioFile::from_toml_str(text).unwrap();
        assert_eq!(
            f.model,
            ModelEntry::Checkpoint {
                path: "m.gguf".into()
            }
        );
        let e = f.clone().resolve().unwrap_err().to_string();
        assert!(e.contains("m.gguf") && e.contains("aellm optimize"), "{e}");
        let spec = presets::model("llama-2-7b").unwrap();
        let s = f
            .resolve_with(|p| {
                Ok(ModelSpec {
                    checkpoint: Some(p.into()),
                    ..spec.clone()
                })
            })
            .unwrap();
        assert_eq!(s.model.checkpoint.as_deref(), Some("m.gguf"));
        // A table with other fields is still a spelled-out model.
        let e = ScenarioFile::from_toml_str(
            "model = { path = \"m\", layers = 2 }\ntask = \"mmlu\"\nhardware = \"a100-80gb\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("model"), "{e}");
    }

    #[test]
    fn the_time_limit_and_retries_are_read_and_the_limit_checked() {
        let base = "model = \"llama-2-7b\"\ntask = \"mmlu\"\nhardware = \"a100-80gb\"\n";
        let f =
            ScenarioFile::from_toml_str(&format!("{base}eval_timeout_s = 90\nmax_attempts = 5\n"))
                .unwrap();
        assert_eq!(
            f.eval_timeout().unwrap(),
            Some(std::time::Duration::from_secs(90))
        );
        assert_eq!(f.max_attempts, Some(5));
        assert!(f.resolve().is_ok());
        for bad in ["0", "-5", "nan", "inf", "604801"] {
            let f =
                ScenarioFile::from_toml_str(&format!("{base}eval_timeout_s = {bad}\n")).unwrap();
            let e = f.eval_timeout().unwrap_err().to_string();
            assert!(
                e.contains("eval_timeout_s") && e.contains("604800"),
                "{bad}: {e}"
            );
            assert!(f.resolve().is_err(), "{bad}");
        }
        let e = ScenarioFile::from_toml_str(&format!("{base}max_attempts = -1\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_attempts"), "{e}");
    }

    #[test]
    fn bad_numbers_are_refused_naming_field_and_value() {
        let base = "model = \"llama-2-7b\"\ntask = \"mmlu\"\nhardware = \"a100-80gb\"\n";
        let cases = [
            ("[constraints]\nmin_accuracy = nan\n", "min_accuracy"),
            ("[constraints]\nmin_accuracy = 75.0\n", "min_accuracy"),
            ("[constraints]\nmax_latency_ms = -5.0\n", "max_latency_ms"),
            ("[constraints]\nmax_memory_gb = inf\n", "max_memory_gb"),
            ("[constraints]\nmax_power_w = 0.0\n", "max_power_w"),
            ("budget = 0\n", "budget"),
            (
                "[preferences]\naccuracy = nan\nlatency = 1\nmemory = 1\nenergy = 1\n",
                "preferences",
            ),
        ];
        for (extra, field) in cases {
            let text = if extra.starts_with('[') {
                format!("{base}{extra}")
            } else {
                format!("{extra}{base}")
            };
            let e = Scenario::from_toml_str(&text).expect_err(extra).to_string();
            assert!(e.contains(field), "{extra}: {e}");
        }
        let ok = format!("{base}[constraints]\nmin_accuracy = 0.5\nmax_latency_ms = 900.0\n");
        assert!(Scenario::from_toml_str(&ok).is_ok());
    }

    #[test]
    fn inline_figures_and_json_agree_with_toml() {
        let toml = r#"
            task = "gsm8k"
            hardware = "rtx-4090"
            budget = 50
            [model]
            name = "tiny"
            parameters = 1000000
            layers = 2
            hidden = 64
            heads = 4
            kv_heads = 4
            ffn = 128
            vocab = 100
        "#;
        let f = ScenarioFile::from_toml_str(toml).unwrap();
        assert_eq!(f.budget, Some(50));
        let json = serde_json::to_string(&f).unwrap();
        let g = ScenarioFile::from_json_str(&json).unwrap();
        assert_eq!(f, g);
        let s = f.resolve().unwrap();
        assert_eq!(s.model.experts, 1);
        assert_eq!(s.hardware.memory_gb, 24.0);
    }
}
