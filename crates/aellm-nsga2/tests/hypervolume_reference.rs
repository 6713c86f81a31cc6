//! Hypervolume against an independent implementation.
//!
//! The check values were printed by moocore 0.3.2 (Python, `moocore.hypervolume`,
//! López-Ibáñez et al.), run on exactly these point sets: the generator below is
//! a 64-bit LCG reproduced line for line in the Python script that printed them.

use aellm_nsga2::indicators::hypervolume;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Mutually non-dominated points on the positive unit sphere.
fn sphere(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut g = Lcg(seed);
    (0..n)
        .map(|_| {
            let u: Vec<f64> = (0..d).map(|_| g.next() + 1e-3).collect();
            let norm = u.iter().map(|x| x * x).sum::<f64>().sqrt();
            u.iter().map(|x| x / norm).collect()
        })
        .collect()
}

/// Uniform points in the unit cube (many dominated).
fn cube(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut g = Lcg(seed);
    (0..n).map(|_| (0..d).map(|_| g.next()).collect()).collect()
}

#[test]
fn equals_moocore_to_1e9_relative() {
    let cases: [(&str, Vec<Vec<f64>>, f64); 8] = [
        ("sphere 200x3", sphere(200, 3, 1), 0.7207228514177154),
        ("cube 300x3", cube(300, 3, 2), 1.2652263309890095),
        ("sphere 100x4", sphere(100, 4, 3), 0.8091558883362072),
        ("cube 200x4", cube(200, 4, 4), 1.1962844126734473),
        ("sphere 40x5", sphere(40, 5, 5), 0.8317935116842075),
        ("cube 60x5", cube(60, 5, 6), 1.1182735285810728),
        ("sphere 20x6", sphere(20, 6, 7), 0.6681295244171246),
        ("sphere 300x2", sphere(300, 2, 8), 0.4205764760116446),
    ];
    // The generator must match the Python one before the values mean anything.
    assert!((sphere(200, 3, 1)[0][0] - 0.45686928461094656).abs() < 1e-15);
    assert!((cube(60, 5, 6)[0][0] - 0.1482117508448101).abs() < 1e-15);
    for (name, pts, expected) in cases {
        let d = pts[0].len();
        let hv = hypervolume(&pts, &vec![1.1; d]).unwrap();
        assert!(
            (hv - expected).abs() <= 1e-9 * expected,
            "{name}: got {hv}, moocore {expected}"
        );
    }
}
