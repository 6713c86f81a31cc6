//! Reference values from scipy 1.17.1's `scipy.stats.wilcoxon` (the
//! script that printed them is quoted per case).

use super::*;
use proptest::prelude::*;

fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-12 * want.max(1.0),
        "{got} vs {want}"
    );
}

/// `wilcoxon(a, b, method="exact")`: statistic 10.0, p 0.083984375.
#[test]
fn exact_without_ties_matches_scipy() {
    let a = [12.0, 3.0, 25.0, 7.0, 18.0, 40.0, 9.0, 31.0, 22.0, 15.0];
    let b = [10.0, 8.0, 14.0, 1.0, 19.0, 11.0, 2.0, 28.0, 5.0, 19.0];
    let t = wilcoxon_signed_rank(&a, &b).unwrap();
    assert!(t.exact);
    assert_eq!((t.n, t.w_plus, t.w_minus), (10, 45.0, 10.0));
    close(t.p_value, 0.083984375);
}

/// Zeros dropped, ties mid-ranked: `wilcoxon(a, b, zero_method="wilcox",
/// correction=False, method="approx")`: statistic 12.5, p 0.11510021583257078.
#[test]
fn ties_and_zeros_match_scipys_normal_approximation() {
    let a = [5.0, 7.0, 7.0, 3.0, 9.0, 4.0, 6.0, 8.0, 2.0, 10.0, 6.0, 5.0];
    let b = [3.0, 7.0, 4.0, 6.0, 6.0, 2.0, 6.0, 5.0, 4.0, 7.0, 3.0, 7.0];
    let t = wilcoxon_signed_rank(&a, &b).unwrap();
    assert!(!t.exact);
    assert_eq!(t.n, 10);
    assert_eq!(t.w_plus.min(t.w_minus), 12.5);
    close(t.p_value, 0.11510021583257078);
}

/// 60 pairs, more than the exact limit: `method="approx", correction=False`:
/// statistic 648.0, p 0.049350845673823536.
#[test]
fn many_pairs_use_the_normal_approximation() {
    let d = [
        -17, -20, 54, 1, 55, 38, 13, -37, 11, 58, 27, 29, 5, -33, 48, -7, -25, 21, 23, 60, 47, 41,
        59, 2, -52, 10, -36, 15, -50, 51, -28, 4, -43, 45, 14, -40, 46, 18, 19, 56, -57, -53, 9, 8,
        -34, 31, 16, 30, 39, 49, -24, -26, 6, 44, 3, -32, 35, -22, 42, -12,
    ];
    let a: Vec<f64> = d.iter().map(|x| 100.0 + *x as f64).collect();
    let t = wilcoxon_signed_rank(&a, &[100.0; 60]).unwrap();
    assert!(!t.exact);
    assert_eq!(t.w_plus.min(t.w_minus), 648.0);
    close(t.p_value, 0.049350845673823536);
}

/// 50 pairs, the exact limit: `wilcoxon(d, method="exact")` with
/// d = ±(1..=50), negative every third: statistic 425.0, p 0.03996834652842374.
#[test]
fn fifty_pairs_are_still_exact() {
    let d: Vec<f64> = (1..=50)
        .map(|i| {
            if (i - 1) % 3 == 0 {
                -(i as f64)
            } else {
                i as f64
            }
        })
        .collect();
    let t = wilcoxon_signed_rank(&d, &[0.0; 50]).unwrap();
    assert!(t.exact);
    assert_eq!(t.w_plus.min(t.w_minus), 425.0);
    close(t.p_value, 0.03996834652842374);
}

#[test]
fn bad_samples_are_named() {
    let e = wilcoxon_signed_rank(&[1.0, 2.0], &[1.0])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`b`") && e.contains("as many values as `a` (2)"),
        "{e}"
    );
    let e = wilcoxon_signed_rank(&[1.0, 2.0], &[1.0, f64::NAN])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`b`") && e.contains("position 1"), "{e}");
    let same = wilcoxon_signed_rank(&[1.0, 2.0], &[1.0, 2.0]).unwrap();
    assert_eq!((same.n, same.p_value), (0, 1.0));
}

proptest! {
    /// Swapping the samples swaps the rank sums and keeps the p-value; the
    /// rank sums add up to n(n+1)/2; the p-value is a probability.
    #[test]
    fn symmetric_and_well_formed(pairs in prop::collection::vec((-20i32..20, -20i32..20), 1..70)) {
        let a: Vec<f64> = pairs.iter().map(|p| p.0 as f64).collect();
        let b: Vec<f64> = pairs.iter().map(|p| p.1 as f64).collect();
        let ab = wilcoxon_signed_rank(&a, &b).unwrap();
        let ba = wilcoxon_signed_rank(&b, &a).unwrap();
        prop_assert_eq!((ab.w_plus, ab.w_minus), (ba.w_minus, ba.w_plus));
        prop_assert!((ab.p_value - ba.p_value).abs() < 1e-12);
        prop_assert_eq!(ab.w_plus + ab.w_minus, (ab.n * (ab.n + 1)) as f64 / 2.0);
        prop_assert!(ab.p_value > 0.0 && ab.p_value <= 1.0);
    }
}
