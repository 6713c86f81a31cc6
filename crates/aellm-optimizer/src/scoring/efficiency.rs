//! The efficiency score of the paper's results: how much cheaper a
//! configuration is than the default, discounted by any accuracy it loses.

use aellm_space::Objectives;

/// The geometric mean of the improvement ratios in latency, memory and
/// energy against `default` (default ÷ configuration, so 2 means twice as
/// cheap), multiplied by `accuracy / default accuracy` when accuracy dropped
/// (the paper: "normalized by accuracy degradation, if any"). The default
/// itself scores 1.
///
/// ```
/// use aellm_optimizer::scoring::efficiency_score;
/// use aellm_space::Objectives;
/// let default = Objectives { accuracy: 0.60, latency_ms: 800.0, memory_gb: 16.0, energy_j: 240.0 };
/// let int4 = Objectives { accuracy: 0.57, latency_ms: 400.0, memory_gb: 4.0, energy_j: 120.0 };
/// let s = efficiency_score(&int4, &default);
/// // (2 x 4 x 2)^(1/3) = 2.52, times 0.57/0.60 = 0.95
/// assert!((s - 2.52 * 0.95).abs() < 0.01);
/// assert_eq!(efficiency_score(&default, &default), 1.0);
/// ```
pub fn efficiency_score(o: &Objectives, default: &Objectives) -> f64 {
    let ratio = |d: f64, x: f64| if x > 0.0 && d > 0.0 { d / x } else { f64::NAN };
    let gm = (ratio(default.latency_ms, o.latency_ms)
        * ratio(default.memory_gb, o.memory_gb)
        * ratio(default.energy_j, o.energy_j))
    .cbrt();
    let acc = if default.accuracy > 0.0 && o.accuracy < default.accuracy {
        o.accuracy / default.accuracy
    } else {
        1.0
    };
    gm * acc
}
