//! The four objectives, and a measurement that says where each figure came from.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Where a figure came from. It travels with the figure to the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Read off a real run (a timer, an allocator, an energy counter).
    Measured,
    /// Computed from a stated model (e.g. CPU time times a stated wattage).
    Estimated,
    /// Predicted by a surrogate, not run at all.
    Predicted,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provenance::Measured => "measured",
            Provenance::Estimated => "estimated",
            Provenance::Predicted => "predicted",
        })
    }
}

/// One figure with its provenance and, where known, its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// The value.
    pub value: f64,
    /// How it was obtained.
    pub provenance: Provenance,
    /// One standard deviation, where known (repeats, or a surrogate's spread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// A short note on how, e.g. `"RAPL package energy"` or `"CPU time x 15 W"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
}

impl Figure {
    /// A measured figure.
    pub fn measured(value: f64) -> Self {
        Figure {
            value,
            provenance: Provenance::Measured,
            std: None,
            how: None,
        }
    }

    /// An estimated figure, with how it was estimated.
    pub fn estimated(value: f64, how: impl Into<String>) -> Self {
        Figure {
            value,
            provenance: Provenance::Estimated,
            std: None,
            how: Some(how.into()),
        }
    }

    /// A surrogate's prediction with its standard deviation.
    pub fn predicted(value: f64, std: f64) -> Self {
        Figure {
            value,
            provenance: Provenance::Predicted,
            std: Some(std),
            how: None,
        }
    }

    /// The same figure with a standard deviation.
    pub fn with_std(mut self, std: f64) -> Self {
        self.std = Some(std);
        self
    }

    /// The same figure with a note on how it was obtained.
    pub fn with_how(mut self, how: impl Into<String>) -> Self {
        self.how = Some(how.into());
        self
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.4} ({})", self.value, self.provenance)
    }
}

/// The four objectives of a configuration in a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Objectives {
    /// Task metric in [0, 1] (maximised).
    pub accuracy: f64,
    /// Latency in ms for the task's prompt and output lengths (minimised).
    pub latency_ms: f64,
    /// Peak memory in GB (minimised).
    pub memory_gb: f64,
    /// Energy per inference in J (minimised).
    pub energy_j: f64,
}

impl Objectives {
    /// Names of the objectives, in the order of [`Objectives::to_minimise`].
    pub const NAMES: [&'static str; 4] = ["accuracy", "latency_ms", "memory_gb", "energy_j"];

    /// All four as values to minimise: `[-accuracy, latency, memory, energy]`.
    pub fn to_minimise(&self) -> [f64; 4] {
        [
            -self.accuracy,
            self.latency_ms,
            self.memory_gb,
            self.energy_j,
        ]
    }

    /// The inverse of [`Objectives::to_minimise`].
    pub fn from_minimised(v: [f64; 4]) -> Self {
        Objectives {
            accuracy: -v[0],
            latency_ms: v[1],
            memory_gb: v[2],
            energy_j: v[3],
        }
    }

    /// Whether `self` is at least as good in every objective and better in one.
    pub fn dominates(&self, other: &Objectives) -> bool {
        let (a, b) = (self.to_minimise(), other.to_minimise());
        a.iter().zip(&b).all(|(x, y)| x <= y) && a.iter().zip(&b).any(|(x, y)| x < y)
    }

    /// Mean power in W over the inference: energy divided by latency.
    pub fn mean_power_w(&self) -> f64 {
        self.energy_j / (self.latency_ms / 1000.0)
    }
}

/// What an evaluator returns for one configuration: the four objectives,
/// each with its provenance, plus any extra figures (fine-tuning cost, …).
///
/// Evaluation failures are not measurements; they are
/// [`EvalError`](crate::EvalError) values that the optimizer records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Task metric in [0, 1].
    pub accuracy: Figure,
    /// Latency in ms.
    pub latency_ms: Figure,
    /// Peak memory in GB.
    pub memory_gb: Figure,
    /// Energy per inference in J.
    pub energy_j: Figure,
    /// Further named figures, e.g. `trainable_parameters`, `finetune_seconds_per_step`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Figure>,
    /// Which evaluator produced it.
    #[serde(default)]
    pub evaluator: String,
}

impl Measurement {
    /// A measurement whose four figures all have the same provenance.
    pub fn new(
        objectives: Objectives,
        provenance: Provenance,
        evaluator: impl Into<String>,
    ) -> Self {
        let f = |value| Figure {
            value,
            provenance,
            std: None,
            how: None,
        };
        Measurement {
            accuracy: f(objectives.accuracy),
            latency_ms: f(objectives.latency_ms),
            memory_gb: f(objectives.memory_gb),
            energy_j: f(objectives.energy_j),
            extra: BTreeMap::new(),
            evaluator: evaluator.into(),
        }
    }

    /// The bare values.
    pub fn objectives(&self) -> Objectives {
        Objectives {
            accuracy: self.accuracy.value,
            latency_ms: self.latency_ms.value,
            memory_gb: self.memory_gb.value,
            energy_j: self.energy_j.value,
        }
    }

    /// The four figures in the order of [`Objectives::NAMES`].
    pub fn figures(&self) -> [&Figure; 4] {
        [
            &self.accuracy,
            &self.latency_ms,
            &self.memory_gb,
            &self.energy_j,
        ]
    }

    /// The provenance of the measurement as a whole: its weakest figure's
    /// (one predicted figure makes it predicted; else one estimated makes
    /// it estimated; else measured).
    pub fn provenance(&self) -> Provenance {
        let all = self.figures().map(|f| f.provenance);
        if all.contains(&Provenance::Predicted) {
            Provenance::Predicted
        } else if all.contains(&Provenance::Estimated) {
            Provenance::Estimated
        } else {
            Provenance::Measured
        }
    }

    /// Whether every one of the four figures was measured.
    pub fn fully_measured(&self) -> bool {
        self.figures()
            .iter()
            .all(|f| f.provenance == Provenance::Measured)
    }

    /// Checks the four values are finite and in range (accuracy in [0, 1],
    /// the others non-negative). Returns the first offending name.
    pub fn check(&self) -> Result<(), String> {
        let o = self.objectives();
        if !(0.0..=1.0).contains(&o.accuracy) {
            return Err(format!("accuracy {} is outside [0, 1]", o.accuracy));
        }
        for (name, v) in [
            ("latency_ms", o.latency_ms),
            ("memory_gb", o.memory_gb),
            ("energy_j", o.energy_j),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} {v} is not a finite non-negative number"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominance_is_strict_and_respects_accuracy_direction() {
        let a = Objectives {
            accuracy: 0.8,
            latency_ms: 10.0,
            memory_gb: 1.0,
            energy_j: 5.0,
        };
        let mut b = a;
        assert!(!a.dominates(&b));
        b.accuracy = 0.7;
        assert!(a.dominates(&b) && !b.dominates(&a));
        b.latency_ms = 5.0;
        assert!(!a.dominates(&b) && !b.dominates(&a));
        assert_eq!(Objectives::from_minimised(a.to_minimise()), a);
    }

    #[test]
    fn a_measurement_is_as_weak_as_its_weakest_figure() {
        let o = Objectives {
            accuracy: 0.5,
            latency_ms: 10.0,
            memory_gb: 1.0,
            energy_j: 5.0,
        };
        let mut m = Measurement::new(o, Provenance::Measured, "t");
        assert_eq!(m.provenance(), Provenance::Measured);
        m.energy_j = Figure::estimated(5.0, "CPU time x 10 W");
        assert_eq!(m.provenance(), Provenance::Estimated);
        m.latency_ms = Figure::predicted(10.0, 1.0);
        assert_eq!(m.provenance(), Provenance::Predicted);
    }
}
