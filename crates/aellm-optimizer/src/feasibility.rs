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

/// Every limit of the scenario that `o` breaks: peak memory above the
/// hardware's (or the constraint's) memory, mean power above the power
/// budget, latency above `max_latency_ms`, accuracy below `min_accuracy`.
pub fn violations(o: &Objectives, s: &Scenario) -> Vec<ConstraintViolation> {
    let mut v = Vec::new();
    let mut over = |name: &str, limit: f64, value: f64| {
        if value > limit {
            v.push(ConstraintViolation {
                constraint: name.into(),
                limit,
                value,
                relative_excess: (value - limit) / limit.abs().max(f64::MIN_POSITIVE),
            });
        }
    };
    over("memory", s.memory_limit_gb(), o.memory_gb);
    if o.latency_ms > 0.0 {
        over("power", s.power_limit_w(), o.mean_power_w());
    }
    if let Some(l) = s.constraints.max_latency_ms {
        over("latency", l, o.latency_ms);
    }
    if let Some(a) = s.constraints.min_accuracy
        && o.accuracy < a
    {
        v.push(ConstraintViolation {
            constraint: "accuracy".into(),
            limit: a,
            value: o.accuracy,
            relative_excess: (a - o.accuracy) / a.abs().max(f64::MIN_POSITIVE),
        });
    }
    v
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
