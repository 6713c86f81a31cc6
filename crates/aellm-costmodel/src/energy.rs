//! Energy of an inference: idle power plus dynamic power in proportion to
//! the utilisation of the binding resource, capped at board power, times time.

use crate::roofline::PhaseTime;
use aellm_space::HardwareSpec;

/// Share of board power assumed drawn idle when the hardware states no idle power.
pub const IDLE_SHARE_WHEN_UNKNOWN: f64 = 0.1;

/// Mean power of the node over a phase, in W.
pub fn power_w(hw: &HardwareSpec, phase: &PhaseTime) -> f64 {
    let board = hw.power_w;
    let idle = hw
        .idle_power_w
        .unwrap_or(IDLE_SHARE_WHEN_UNKNOWN * board)
        .min(board);
    (idle + (board - idle) * phase.utilisation()).min(board)
}

/// Energy of the phases in J.
pub fn energy_j(hw: &HardwareSpec, phases: &[PhaseTime]) -> f64 {
    phases.iter().map(|p| power_w(hw, p) * p.seconds).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aellm_space::presets;

    #[test]
    fn power_runs_from_idle_to_board_power() {
        let hw = presets::hardware("a100-80gb").unwrap();
        let idle = PhaseTime {
            seconds: 1.0,
            ..Default::default()
        };
        assert_eq!(power_w(&hw, &idle), 60.0);
        let busy = PhaseTime {
            seconds: 1.0,
            memory_at_peak: 1.0,
            ..Default::default()
        };
        assert_eq!(power_w(&hw, &busy), 400.0);
        let half = PhaseTime {
            seconds: 2.0,
            compute_at_peak: 1.0,
            ..Default::default()
        };
        assert_eq!(power_w(&hw, &half), 230.0);
        // Energy is power times time, phase by phase.
        assert_eq!(energy_j(&hw, &[idle, half]), 60.0 + 460.0);
        let mut unknown = hw.clone();
        unknown.idle_power_w = None;
        assert_eq!(power_w(&unknown, &idle), 40.0);
    }
}
