//! Parsers of command-line values shared by several subcommands.

use aellm::space::Preferences;
use std::time::Duration;

/// Preference weights `accuracy,latency,memory,energy`.
pub fn weights(s: &str) -> Result<Preferences, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .map_err(|e| format!("`{x}` in --weights: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let [accuracy, latency, memory, energy] = v[..] else {
        return Err(format!(
            "--weights needs 4 numbers `accuracy,latency,memory,energy`, got {}",
            v.len()
        ));
    };
    let p = Preferences {
        accuracy,
        latency,
        memory,
        energy,
    };
    p.check().map_err(|e| e.to_string())?;
    Ok(p)
}

/// A duration: `90s`, `10m`, `1h`, or plain seconds.
pub fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_alphabetic()).unwrap_or(s.len()));
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|e| format!("`{s}`: {e}; use e.g. 90s, 10m, 1h"))?;
    let secs = match unit {
        "" | "s" => v,
        "m" => 60.0 * v,
        "h" => 3600.0 * v,
        _ => return Err(format!("`{s}`: unknown unit `{unit}`; use s, m or h")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{s}`: {e}"))
}

/// A per-evaluation time limit: a [`duration`] above zero and at most a week.
pub fn eval_timeout(s: &str) -> Result<Duration, String> {
    let d = duration(s)?;
    aellm::space::check_eval_timeout(d.as_secs_f64()).map_err(|e| e.to_string())?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_weights_and_durations_with_clear_errors() {
        assert_eq!(weights("1,0,0,0").unwrap().accuracy, 1.0);
        assert!(weights("1,2,3").unwrap_err().contains("4 numbers"));
        assert!(weights("-1,0,0,1").is_err());
        assert_eq!(duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(duration("90").unwrap(), Duration::from_secs(90));
        assert!(duration("3 weeks").unwrap_err().contains("unit"));
        assert!(duration("-5s").is_err());
        assert_eq!(eval_timeout("2m").unwrap(), Duration::from_secs(120));
        for bad in ["0", "0s", "8d", "1000h", "nan"] {
            assert!(eval_timeout(bad).is_err(), "{bad}");
        }
    }
}
