//! Crowding distance (Deb et al. 2002).

/// Crowding distance of each point of one front.
///
/// For every objective whose range over the front is non-zero, points taking
/// the minimum or maximum value get infinity (all of them, so duplicated
/// extremes are treated alike), and every other point adds the normalised gap
/// between its neighbours in that objective. Fronts of one or two points are
/// all infinite.
///
/// ```
/// use aellm_nsga2::crowding::crowding_distance;
/// let front = vec![vec![0.0, 1.0], vec![0.5, 0.5], vec![1.0, 0.0]];
/// let d = crowding_distance(&front);
/// assert!(d[0].is_infinite() && d[2].is_infinite());
/// assert!((d[1] - 2.0).abs() < 1e-12);
/// ```
pub fn crowding_distance<T: AsRef<[f64]>>(front: &[T]) -> Vec<f64> {
    let n = front.len();
    if n <= 2 {
        return vec![f64::INFINITY; n];
    }
    let m = front[0].as_ref().len();
    let mut d = vec![0.0; n];
    let mut order: Vec<usize> = (0..n).collect();
    for k in 0..m {
        let v = |i: usize| front[i].as_ref()[k];
        order.sort_by(|&a, &b| v(a).total_cmp(&v(b)).then(a.cmp(&b)));
        let (lo, hi) = (v(order[0]), v(order[n - 1]));
        let range = hi - lo;
        if range <= 0.0 {
            continue;
        }
        for w in 1..n - 1 {
            let i = order[w];
            d[i] += (v(order[w + 1]) - v(order[w - 1])) / range;
        }
        for &i in &order {
            if v(i) == lo || v(i) == hi {
                d[i] = f64::INFINITY;
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{cases, points, small_int};

    #[test]
    fn boundary_points_are_infinite() {
        cases(|rng| {
            let front = points(rng, 1..40, 3, |r| small_int(r, 20));
            let d = crowding_distance(&front);
            assert_eq!(d.len(), front.len());
            for k in 0..3 {
                let lo = front.iter().map(|p| p[k]).fold(f64::INFINITY, f64::min);
                let hi = front.iter().map(|p| p[k]).fold(f64::NEG_INFINITY, f64::max);
                for (p, di) in front.iter().zip(&d) {
                    if (hi > lo || front.len() <= 2) && (p[k] == lo || p[k] == hi) {
                        assert!(di.is_infinite());
                    }
                    assert!(*di >= 0.0);
                }
            }
        });
    }

    #[test]
    fn constant_objective_adds_nothing() {
        let f = vec![vec![1.0, 0.0], vec![1.0, 0.5], vec![1.0, 1.0]];
        let d = crowding_distance(&f);
        assert_eq!(d[1], 1.0);
    }
}
