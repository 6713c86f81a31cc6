//! Exponential reference volumes for tests: tiny sets only.

use super::nondominated::weakly_dominates;

/// Exact volume on the grid of all coordinates: a cell counts when its
/// lower corner is weakly dominated by some point. Exponential; tiny sets only.
pub(crate) fn grid_volume(points: &[Vec<f64>], r: &[f64]) -> f64 {
    let d = r.len();
    let pts: Vec<&Vec<f64>> = points
        .iter()
        .filter(|p| p.iter().zip(r).all(|(x, y)| x < y))
        .collect();
    let axes: Vec<Vec<f64>> = (0..d)
        .map(|k| {
            let mut v: Vec<f64> = pts.iter().map(|p| p[k]).chain([r[k]]).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        })
        .collect();
    let mut idx = vec![0usize; d];
    let mut total = 0.0;
    loop {
        if idx.iter().zip(&axes).all(|(&i, a)| i + 1 < a.len()) {
            let corner: Vec<f64> = idx.iter().zip(&axes).map(|(&i, a)| a[i]).collect();
            if pts.iter().any(|p| weakly_dominates(p, &corner)) {
                total += idx
                    .iter()
                    .zip(&axes)
                    .map(|(&i, a)| a[i + 1] - a[i])
                    .product::<f64>();
            }
        }
        let mut k = 0;
        loop {
            if k == d {
                return total;
            }
            idx[k] += 1;
            if idx[k] < axes[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}

/// Inclusion–exclusion over all subsets. Exponential; tiny sets only.
pub(crate) fn inclusion_exclusion(points: &[Vec<f64>], r: &[f64]) -> f64 {
    let n = points.len();
    let mut total = 0.0;
    for mask in 1u32..(1 << n) {
        let mut corner = vec![f64::NEG_INFINITY; r.len()];
        for (i, p) in points.iter().enumerate() {
            if mask & (1 << i) != 0 {
                for (c, v) in corner.iter_mut().zip(p) {
                    *c = c.max(*v);
                }
            }
        }
        let vol: f64 = corner
            .iter()
            .zip(r)
            .map(|(c, r)| (r - c).max(0.0))
            .product();
        total += if mask.count_ones() % 2 == 1 {
            vol
        } else {
            -vol
        };
    }
    total
}
