//! Which configurations a scenario allows, and by how much others miss.

use aellm_space::{Objectives, Scenario};
use serde::{Deserialize, Serialize};

/// One limit a configuration breaks, and by how much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstraintViolation {
    /// `memory`, `power`, `latency` or `accuracy`.
    pub constraint: String,
    /// The limit.
    pub limit: f64,
    /// The configuration's value.
    pub value: f64,
    /// How far past the limit, as a fraction of it (0.25 = 25% over).
    pub relative_excess: f64,
}

/// Which side of its limit a figure must stay on.
#[derive(Debug, Clone, Copy)]
enum Sense {
    AtMost,
    AtLeast,
}

/// A figure and its standard deviation, from objectives and their spread.
type Read = fn(&Objectives, &Objectives) -> (f64, f64);

/// One limit of a scenario: the only place the four constraints are written.
struct Limit {
    name: &'static str,
    limit: f64,
    sense: Sense,
    read: Read,
}

impl Limit {
    /// The constraint value `g` (met when `g <= 0`), relative to the limit,
    /// with `sigmas` standard deviations of safety margin.
    fn g(&self, mean: &Objectives, std: &Objectives, sigmas: f64) -> f64 {
        let (v, sd) = (self.read)(mean, std);
        let scale = self.limit.abs().max(1e-9);
        match self.sense {
            Sense::AtMost => (v + sigmas * sd - self.limit) / scale,
            Sense::AtLeast => (self.limit - (v - sigmas * sd)) / scale,
        }
    }
}

/// Mean power and its spread (from energy's); none without a latency.
fn power(m: &Objectives, sd: &Objectives) -> (f64, f64) {
    if m.latency_ms > 0.0 {
        (m.mean_power_w(), sd.energy_j / (m.latency_ms / 1000.0))
    } else {
        (0.0, 0.0)
    }
}

/// The scenario's limits: peak memory within the hardware's (or the
/// constraint's) memory, mean power within the power budget, and latency and
/// accuracy where the scenario sets them.
fn limits(s: &Scenario) -> Vec<Limit> {
    let mut v = vec![
        Limit {
            name: "memory",
            limit: s.memory_limit_gb(),
            sense: Sense::AtMost,
            read: |m, sd| (m.memory_gb, sd.memory_gb),
        },
        Limit {
            name: "power",
            limit: s.power_limit_w(),
            sense: Sense::AtMost,
            read: power,
        },
    ];
    if let Some(l) = s.constraints.max_latency_ms {
        v.push(Limit {
            name: "latency",
            limit: l,
            sense: Sense::AtMost,
            read: |m, sd| (m.latency_ms, sd.latency_ms),
        });
    }
    if let Some(a) = s.constraints.min_accuracy {
        v.push(Limit {
            name: "accuracy",
            limit: a,
            sense: Sense::AtLeast,
            read: |m, sd| (m.accuracy, sd.accuracy),
        });
    }
    v
}

const NO_SPREAD: Objectives = Objectives {
    accuracy: 0.0,
    latency_ms: 0.0,
    memory_gb: 0.0,
    energy_j: 0.0,
};

/// How many constraints the scenario sets (what a constrained search is told).
pub fn constraint_count(s: &Scenario) -> usize {
    limits(s).len()
}

/// The constraint values `g <= 0` of predicted objectives with their
/// standard deviations, each relative to its limit, `sigmas` deviations on
/// the unsafe side: what the search minimises the violation of.
pub fn constraint_values(
    mean: &Objectives,
    std: &Objectives,
    s: &Scenario,
    sigmas: f64,
) -> Vec<f64> {
    limits(s).iter().map(|l| l.g(mean, std, sigmas)).collect()
}

/// Every limit of the scenario that `o` breaks, and by how much.
pub fn violations(o: &Objectives, s: &Scenario) -> Vec<ConstraintViolation> {
    limits(s)
        .iter()
        .filter_map(|l| {
            let g = l.g(o, &NO_SPREAD, 0.0);
            (g > 0.0).then(|| ConstraintViolation {
                constraint: l.name.into(),
                limit: l.limit,
                value: (l.read)(o, &NO_SPREAD).0,
                relative_excess: g,
            })
        })
        .collect()
}

/// Total relative excess over every broken limit (0 when feasible): the
/// quantity a constrained search minimises and a report sorts near misses by.
pub fn total_violation(o: &Objectives, s: &Scenario) -> f64 {
    violations(o, s).iter().map(|v| v.relative_excess).sum()
}

/// Whether `o` meets every limit.
pub fn is_feasible(o: &Objectives, s: &Scenario) -> bool {
    violations(o, s).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::presets;

    #[test]
    fn names_each_broken_limit_and_its_excess() {
        let mut s = Scenario::new(
            presets::model("llama-2-7b").unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware("rtx-4090").unwrap(),
        );
        s.constraints.min_accuracy = Some(0.5);
        let o = Objectives {
            accuracy: 0.4,
            latency_ms: 1000.0,
            memory_gb: 30.0,
            energy_j: 100.0,
        };
        let v = violations(&o, &s);
        let names: Vec<&str> = v.iter().map(|x| x.constraint.as_str()).collect();
        assert_eq!(names, ["memory", "accuracy"]);
        assert!((v[0].relative_excess - 0.25).abs() < 1e-12);
        assert!((total_violation(&o, &s) - 0.45).abs() < 1e-12);
        let ok = Objectives {
            accuracy: 0.6,
            latency_ms: 1000.0,
            memory_gb: 14.0,
            energy_j: 300.0,
        };
        assert!(is_feasible(&ok, &s));
        assert_eq!(constraint_count(&s), 3);
        // A margin of two deviations of 0.1 GB pushes 23.9 GB over 24 GB.
        let near = Objectives {
            memory_gb: 23.9,
            ..ok
        };
        let sd = Objectives {
            memory_gb: 0.1,
            ..NO_SPREAD
        };
        assert!(constraint_values(&near, &sd, &s, 0.0)[0] < 0.0);
        assert!(constraint_values(&near, &sd, &s, 2.0)[0] > 0.0);
        // 300 J in 1 s is 300 W, inside the 4090's 450 W; 500 J is not.
        assert!(!is_feasible(
            &Objectives {
                energy_j: 500.0,
                ..ok
            },
            &s
        ));
    }
}
