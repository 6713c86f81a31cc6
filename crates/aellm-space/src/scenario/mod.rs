//! A deployment scenario: model, task, hardware, preferences and constraints.

mod file;
mod hardware;
mod model;
mod task;

pub use file::{ModelEntry, PresetOr, ScenarioFile};
pub use hardware::{HardwareSpec, Throughput};
pub use model::ModelSpec;
pub use task::{TaskKind, TaskMetric, TaskSpec};

use crate::error::SpaceError;
use serde::{Deserialize, Serialize};

/// How much the user cares about each objective (weights of the utility).
///
/// The utility of a configuration is the weighted sum of its metrics
/// normalised to [0, 1] (the paper's eq. 4); weights need not sum to one and
/// are normalised when used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Weight of accuracy.
    pub accuracy: f64,
    /// Weight of latency.
    pub latency: f64,
    /// Weight of peak memory.
    pub memory: f64,
    /// Weight of energy.
    pub energy: f64,
}

impl Default for Preferences {
    /// Balanced weights: 0.4 accuracy, 0.2 each for latency, memory and energy.
    fn default() -> Self {
        Preferences {
            accuracy: 0.4,
            latency: 0.2,
            memory: 0.2,
            energy: 0.2,
        }
    }
}

impl Preferences {
    /// The weights as `[accuracy, latency, memory, energy]`, summing to one.
    pub fn normalised(&self) -> [f64; 4] {
        let w = [self.accuracy, self.latency, self.memory, self.energy];
        let s: f64 = w.iter().sum();
        w.map(|x| x / s)
    }

    /// Checks every weight is finite, non-negative and not all are zero.
    pub fn check(&self) -> Result<(), SpaceError> {
        let w = [self.accuracy, self.latency, self.memory, self.energy];
        if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0 {
            return Err(SpaceError::InvalidField {
                what: "preferences".into(),
                field: "accuracy/latency/memory/energy".into(),
                why: format!("weights must be finite, >= 0 and not all zero, got {w:?}"),
            });
        }
        Ok(())
    }
}

/// Hard limits beyond the hardware's own memory and power.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// Peak memory limit in GB (defaults to the hardware's memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memory_gb: Option<f64>,
    /// Mean power limit in W (defaults to the hardware's power budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_power_w: Option<f64>,
    /// Latency limit in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_ms: Option<f64>,
    /// Lowest acceptable accuracy, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_accuracy: Option<f64>,
}

impl Constraints {
    /// Checks every limit that is set: finite and positive, and
    /// `min_accuracy` in [0, 1]. The error names the field, the value and
    /// what is allowed (a NaN limit would otherwise be silently ignored).
    pub fn check(&self) -> Result<(), SpaceError> {
        let positive = [
            ("max_memory_gb", self.max_memory_gb),
            ("max_power_w", self.max_power_w),
            ("max_latency_ms", self.max_latency_ms),
        ];
        for (field, value) in positive {
            if let Some(v) = value.filter(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(invalid_constraint(
                    field,
                    format!("must be a finite number above 0, got {v}; remove it for no limit"),
                ));
            }
        }
        if let Some(a) = self
            .min_accuracy
            .filter(|a| !(a.is_finite() && (0.0..=1.0).contains(a)))
        {
            return Err(invalid_constraint(
                "min_accuracy",
                format!("must be in [0, 1] (a fraction, not a percentage), got {a}"),
            ));
        }
        Ok(())
    }
}

fn invalid_constraint(field: &str, why: String) -> SpaceError {
    SpaceError::InvalidField {
        what: "constraints".into(),
        field: field.into(),
        why,
    }
}

/// One deployment scenario: what is optimised, where, and for whom.
///
/// ```
/// use aellm_space::{presets, Scenario, Preferences};
///
/// let s = Scenario::new(
///     presets::model("llama-2-7b").unwrap(),
///     presets::task("mmlu").unwrap(),
///     presets::hardware("a100-80gb").unwrap(),
/// );
/// assert_eq!(s.memory_limit_gb(), 80.0);
///
/// // The same scenario from a TOML file, naming presets.
/// let s2 = Scenario::from_toml_str(r#"
///     model = "llama-2-7b"
///     task = "mmlu"
///     hardware = "a100-80gb"
/// "#).unwrap();
/// assert_eq!(s2.model, s.model);
/// assert_eq!(s2.preferences, Preferences::default());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The model.
    pub model: ModelSpec,
    /// The task.
    pub task: TaskSpec,
    /// The hardware.
    pub hardware: HardwareSpec,
    /// The user's weights.
    #[serde(default)]
    pub preferences: Preferences,
    /// Hard limits.
    #[serde(default)]
    pub constraints: Constraints,
}

impl Scenario {
    /// A scenario with default preferences and no extra constraints.
    pub fn new(model: ModelSpec, task: TaskSpec, hardware: HardwareSpec) -> Self {
        Scenario {
            model,
            task,
            hardware,
            preferences: Preferences::default(),
            constraints: Constraints::default(),
        }
    }

    /// Peak memory allowed: the tighter of the hardware's and the constraint's.
    pub fn memory_limit_gb(&self) -> f64 {
        self.constraints
            .max_memory_gb
            .map_or(self.hardware.memory_gb, |m| m.min(self.hardware.memory_gb))
    }

    /// Mean power allowed: the tighter of the hardware's budget and the constraint's.
    pub fn power_limit_w(&self) -> f64 {
        self.constraints
            .max_power_w
            .map_or(self.hardware.power_w, |p| p.min(self.hardware.power_w))
    }

    /// Checks every part; the error names the field and the fix.
    pub fn check(&self) -> Result<(), SpaceError> {
        self.model.check()?;
        self.preferences.check()?;
        self.constraints.check()?;
        self.task.check()?;
        let h = &self.hardware;
        for (field, v) in [
            ("memory_gb", h.memory_gb),
            ("power_w", h.power_w),
            ("bandwidth_gbs", h.bandwidth_gbs),
            ("peak.fp16", h.peak.fp16),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(SpaceError::InvalidField {
                    what: format!("hardware `{}`", h.name),
                    field: field.into(),
                    why: format!("must be a finite number above 0, got {v}"),
                });
            }
        }
        if h.devices == 0 {
            return Err(SpaceError::InvalidField {
                what: format!("hardware `{}`", h.name),
                field: "devices".into(),
                why: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// Reads a scenario from TOML; see [`ScenarioFile`] for the format.
    pub fn from_toml_str(text: &str) -> Result<Scenario, SpaceError> {
        ScenarioFile::from_toml_str(text)?.resolve()
    }

    /// Reads a scenario from JSON; see [`ScenarioFile`] for the format.
    pub fn from_json_str(text: &str) -> Result<Scenario, SpaceError> {
        ScenarioFile::from_json_str(text)?.resolve()
    }

    /// Reads a scenario file, TOML or JSON by its extension.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Scenario, SpaceError> {
        ScenarioFile::from_path(path)?.resolve()
    }
}
