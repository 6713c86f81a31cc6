//! The non-dominated subset of a flattened point set, for limit sets.

#[inline]
pub(crate) fn weakly_dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y)
}

/// Keeps the non-dominated points of a flattened set (duplicates kept once).
///
/// Points go in order of their coordinate sum, so a point's dominators come
/// before it (float addition is monotone) and each is checked against the
/// kept ones only: O(n log n + n·k·d) for k kept, and limited sets keep few.
/// The check starts at the last dominator found, which often dominates again.
pub(crate) fn nondominated(pts: &[f64], d: usize) -> Vec<f64> {
    match d {
        4 => nondominated_fixed::<4>(pts),
        5 => nondominated_fixed::<5>(pts),
        6 => nondominated_fixed::<6>(pts),
        _ => {
            let rows: Vec<Vec<f64>> = pts.chunks_exact(d).map(<[f64]>::to_vec).collect();
            filter_by_sum(rows, |q, p| weakly_dominates(q, p)).concat()
        }
    }
}

/// [`nondominated`] with a fixed width, which the compiler unrolls.
fn nondominated_fixed<const N: usize>(pts: &[f64]) -> Vec<f64> {
    let rows: Vec<[f64; N]> = pts
        .chunks_exact(N)
        .map(|c| std::array::from_fn(|k| c[k]))
        .collect();
    let dominates = |q: &[f64; N], p: &[f64; N]| (0..N).fold(true, |ok, k| ok & (q[k] <= p[k]));
    filter_by_sum(rows, dominates).concat()
}

fn filter_by_sum<R: AsRef<[f64]>>(rows: Vec<R>, dominates: impl Fn(&R, &R) -> bool) -> Vec<R> {
    // Sorting (key, index) pairs moves 16 bytes per swap, not whole rows.
    let mut keyed: Vec<(f64, u32)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_ref().iter().sum(), i as u32))
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut keep: Vec<usize> = Vec::new();
    let mut last = 0;
    for (_, i) in keyed {
        let p = &rows[i as usize];
        if keep.get(last).is_some_and(|&q| dominates(&rows[q], p)) {
            continue;
        }
        if let Some(j) = keep.iter().position(|&q| dominates(&rows[q], p)) {
            last = j;
            continue;
        }
        keep.push(i as usize);
    }
    let mut rows: Vec<Option<R>> = rows.into_iter().map(Some).collect();
    keep.into_iter().filter_map(|i| rows[i].take()).collect()
}
