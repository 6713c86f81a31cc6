//! The non-dominated subset of a flattened point set, for limit sets.

#[inline]
pub(crate) fn weakly_dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y)
}

/// How the points of a set come.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// In any order: sorted here by coordinate sum first.
    Any,
    /// Roughly by coordinate sum already (a limit set built from a front kept
    /// in that order): no sort, and a kept point that a later one dominates is
    /// dropped then.
    Roughly,
}

/// Keeps the non-dominated points of a flattened set (duplicates kept once).
///
/// In order of coordinate sum a point's dominators come before it (float
/// addition is monotone), so each point is checked against the kept ones
/// only: O(n·k·d) for k kept, and limit sets keep few. The check starts at
/// the last dominator found, which often dominates again.
pub(crate) fn nondominated(pts: &[f64], d: usize, order: Order) -> Vec<f64> {
    match d {
        4 => nondominated_fixed::<4>(pts, order),
        5 => nondominated_fixed::<5>(pts, order),
        6 => nondominated_fixed::<6>(pts, order),
        _ => {
            let rows: Vec<&[f64]> = pts.chunks_exact(d).collect();
            filter(&rows, order, |q, p| weakly_dominates(q, p)).concat()
        }
    }
}

/// [`nondominated`] with a fixed width, which the compiler unrolls.
fn nondominated_fixed<const N: usize>(pts: &[f64], order: Order) -> Vec<f64> {
    let rows: Vec<[f64; N]> = pts
        .chunks_exact(N)
        .map(|c| std::array::from_fn(|k| c[k]))
        .collect();
    let dominates = |q: &[f64; N], p: &[f64; N]| (0..N).fold(true, |ok, k| ok & (q[k] <= p[k]));
    filter(&rows, order, dominates).concat()
}

fn filter<R: AsRef<[f64]> + Copy>(
    rows: &[R],
    order: Order,
    dominates: impl Fn(&R, &R) -> bool,
) -> Vec<R> {
    let visit: Vec<u32> = match order {
        Order::Roughly => (0..rows.len() as u32).collect(),
        Order::Any => {
            // Sorting (key, index) pairs moves 16 bytes per swap, not whole rows.
            let mut keyed: Vec<(f64, u32)> = (0..rows.len())
                .map(|i| (rows[i].as_ref().iter().sum(), i as u32))
                .collect();
            keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            keyed.into_iter().map(|(_, i)| i).collect()
        }
    };
    let mut keep: Vec<R> = Vec::new();
    let mut last = 0;
    for i in visit {
        let p = &rows[i as usize];
        if keep.get(last).is_some_and(|q| dominates(q, p)) {
            continue;
        }
        if let Some(j) = keep.iter().position(|q| dominates(q, p)) {
            last = j;
            continue;
        }
        if order == Order::Roughly {
            keep.retain(|q| !dominates(p, q));
        }
        keep.push(*p);
    }
    keep
}
