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
