//! Property tests without a property-testing crate: each case draws its
//! inputs from its own seeded ChaCha8 stream, and a failing case names its
//! seed so it can be replayed. (A crate such as proptest would be built for
//! every example of this crate too, as Cargo builds all dev-dependencies for
//! examples, and it nearly doubled their build from a fresh clone.)

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Cases each property is checked on, as proptest's default.
pub(crate) const CASES: u64 = 256;

/// Runs `property` on [`CASES`] seeded cases; on failure, panics with the
/// case's seed and the property's message.
pub(crate) fn cases(property: impl FnMut(&mut ChaCha8Rng)) {
    cases_n(CASES, property)
}

/// [`cases`] with an explicit number of cases.
pub(crate) fn cases_n(n: u64, mut property: impl FnMut(&mut ChaCha8Rng)) {
    for seed in 0..n {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| property(&mut rng))) {
            let message = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("property fails on case seed {seed}: {message}");
        }
    }
}

/// Between `min` and `max - 1` points (uniform count) of `d` coordinates,
/// each drawn by `coordinate`.
pub(crate) fn points(
    rng: &mut ChaCha8Rng,
    count: std::ops::Range<usize>,
    d: usize,
    mut coordinate: impl FnMut(&mut ChaCha8Rng) -> f64,
) -> Vec<Vec<f64>> {
    let n = rng.random_range(count);
    (0..n)
        .map(|_| (0..d).map(|_| coordinate(rng)).collect())
        .collect()
}

/// A whole number in `0..below`, as a coordinate.
pub(crate) fn small_int(rng: &mut ChaCha8Rng, below: u32) -> f64 {
    rng.random_range(0..below) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "property fails on case seed")]
    fn a_failing_case_fails_the_test_and_names_its_seed() {
        cases(|rng| assert!(small_int(rng, 4) < 3.0, "drew 3"));
    }

    #[test]
    fn cases_differ_and_replay() {
        let mut first = Vec::new();
        cases_n(4, |rng| first.push(rng.random::<u64>()));
        let mut again = Vec::new();
        cases_n(4, |rng| again.push(rng.random::<u64>()));
        assert_eq!(first, again);
        first.dedup();
        assert_eq!(first.len(), 4);
    }
}
