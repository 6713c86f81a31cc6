//! Median and inter-quartile range of a figure over repeated runs.

use serde::{Deserialize, Serialize};

/// First quartile, median and third quartile, by linear interpolation
/// between order statistics (numpy's and R's default, type 7).
///
/// ```
/// use aellm_optimizer::experiment::Quartiles;
/// let q = Quartiles::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
/// assert_eq!((q.q1, q.median, q.q3), (1.75, 2.5, 3.25));
/// assert_eq!(q.iqr(), 1.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quartiles {
    /// 25th percentile.
    pub q1: f64,
    /// 50th percentile.
    pub median: f64,
    /// 75th percentile.
    pub q3: f64,
    /// Finite values summarised (NaN and infinities are left out).
    pub n: usize,
}

impl Quartiles {
    /// The quartiles of the finite values of `v`; `None` when there are none.
    pub fn of(v: &[f64]) -> Option<Quartiles> {
        let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        if s.is_empty() {
            return None;
        }
        s.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let h = p * (s.len() - 1) as f64;
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            s[lo] + (h - lo as f64) * (s[hi] - s[lo])
        };
        Some(Quartiles {
            q1: at(0.25),
            median: at(0.5),
            q3: at(0.75),
            n: s.len(),
        })
    }

    /// The inter-quartile range, `q3 - q1`.
    pub fn iqr(&self) -> f64 {
        self.q3 - self.q1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// numpy.percentile(v, [25, 50, 75]) for v = 1..=10 and for an odd count.
    #[test]
    fn matches_numpys_default_percentiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let q = Quartiles::of(&v).unwrap();
        assert_eq!((q.q1, q.median, q.q3, q.n), (3.25, 5.5, 7.75, 10));
        let q = Quartiles::of(&[7.0, f64::NAN, 1.0, 3.0]).unwrap();
        assert_eq!((q.q1, q.median, q.q3, q.n), (2.0, 3.0, 5.0, 3));
        assert_eq!(Quartiles::of(&[f64::NAN]), None);
        let one = Quartiles::of(&[2.5]).unwrap();
        assert_eq!((one.q1, one.median, one.q3), (2.5, 2.5, 2.5));
    }
}
