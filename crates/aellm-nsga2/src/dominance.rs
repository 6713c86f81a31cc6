//! Pareto dominance and Deb's constrained dominance (minimisation).

/// True when `a` Pareto-dominates `b`: no worse in every objective, better in one.
///
/// ```
/// use aellm_nsga2::dominance::dominates;
/// assert!(dominates(&[1.0, 2.0], &[1.0, 3.0]));
/// assert!(!dominates(&[1.0, 2.0], &[1.0, 2.0]));
/// ```
#[inline]
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut strictly = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        if x < y {
            strictly = true;
        }
    }
    strictly
}

/// Deb's constrained domination: a feasible solution beats an infeasible one,
/// of two infeasible ones the smaller violation wins, and of two feasible ones
/// Pareto dominance decides.
#[inline]
pub fn constrained_dominates(a: &[f64], cv_a: f64, b: &[f64], cv_b: f64) -> bool {
    match (cv_a <= 0.0, cv_b <= 0.0) {
        (true, true) => dominates(a, b),
        (true, false) => true,
        (false, true) => false,
        (false, false) => cv_a < cv_b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constrained_rules() {
        assert!(constrained_dominates(&[9.0], 0.0, &[0.0], 0.1));
        assert!(constrained_dominates(&[9.0], 0.1, &[0.0], 0.2));
        assert!(!constrained_dominates(&[0.0], 0.2, &[9.0], 0.2));
        assert!(constrained_dominates(&[0.0], 0.0, &[1.0], 0.0));
    }
}

/// An `f64` ordered by `total_cmp`, for sorted containers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OrdF64(pub f64);
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
