//! Quantile binning: each feature is cut into at most 256 bins so that tree
//! growing works on `u8` bin ids and per-bin gradient histograms.
//!
//! Edges are chosen from the *ranks* of the distinct values (never by
//! interpolating values), so any strictly increasing transform of a feature
//! yields the same partition of the rows, and so the same trees.

use ndarray::{ArrayBase, Data, Ix2};
use serde::{Deserialize, Serialize};

/// The most bins a feature may have: bin ids are stored as `u8`.
pub const MAX_BINS: usize = 256;

/// Per-feature bin edges. A value `x` falls in bin `b` = the number of edges
/// strictly below `x`, so `bin(x) ≤ b` exactly when `x ≤ edges[b]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinMapper {
    edges: Vec<Vec<f64>>,
}

impl BinMapper {
    /// Finds at most `max_bins` quantile bins per feature of `x` (whose values
    /// must be finite). Features with few distinct values get one bin per value.
    pub fn fit<D: Data<Elem = f64>>(x: &ArrayBase<D, Ix2>, max_bins: usize) -> Self {
        let max_bins = max_bins.clamp(2, MAX_BINS);
        let mut column = Vec::with_capacity(x.nrows());
        let edges = x
            .columns()
            .into_iter()
            .map(|col| {
                column.clear();
                column.extend(col.iter().copied());
                feature_edges(&mut column, max_bins)
            })
            .collect();
        Self { edges }
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.edges.len()
    }

    /// Number of bins of `feature`.
    pub fn n_bins(&self, feature: usize) -> usize {
        self.edges[feature].len() + 1
    }

    /// The upper edge of `bin` of `feature`: the split threshold in raw units.
    pub fn upper_edge(&self, feature: usize, bin: usize) -> f64 {
        self.edges[feature][bin]
    }

    /// The bin of value `x` of `feature`.
    pub fn bin(&self, feature: usize, x: f64) -> u8 {
        self.edges[feature].partition_point(|&e| e < x) as u8
    }

    /// Bins every value of `x`, column-major.
    pub fn transform<D: Data<Elem = f64>>(&self, x: &ArrayBase<D, Ix2>) -> BinnedMatrix {
        let n_rows = x.nrows();
        let mut bins = Vec::with_capacity(n_rows * self.n_features());
        for (f, col) in x.columns().into_iter().enumerate() {
            bins.extend(col.iter().map(|&v| self.bin(f, v)));
        }
        let mut offsets = Vec::with_capacity(self.n_features() + 1);
        let mut total = 0;
        for f in 0..self.n_features() {
            offsets.push(total);
            total += self.n_bins(f);
        }
        offsets.push(total);
        BinnedMatrix {
            n_rows,
            bins,
            offsets,
        }
    }
}

/// Edges for one feature; `values` is scratch and gets sorted.
fn feature_edges(values: &mut [f64], max_bins: usize) -> Vec<f64> {
    values.sort_unstable_by(f64::total_cmp);
    // Distinct values and their counts.
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in values.iter() {
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => distinct.push((v, 1)),
        }
    }
    // A threshold strictly below the upper value, even for adjacent floats.
    let mid = |i: usize| {
        let (a, b) = (distinct[i].0, distinct[i + 1].0);
        let m = 0.5 * (a + b);
        if m < b { m } else { a }
    };
    if distinct.len() <= max_bins {
        return (0..distinct.len().saturating_sub(1)).map(mid).collect();
    }
    // Greedy equal-frequency cuts over the distinct values: close a bin once it
    // holds its share of the rows left for the bins left, or when the next
    // value alone fills a share (so a heavy value keeps a bin of its own).
    let mut edges = Vec::with_capacity(max_bins - 1);
    let mut remaining = values.len();
    let mut in_bin = 0;
    for i in 0..distinct.len() - 1 {
        in_bin += distinct[i].1;
        let bins_left = max_bins - edges.len();
        let share = remaining as f64 / bins_left as f64;
        if in_bin as f64 >= share || distinct[i + 1].1 as f64 >= share {
            edges.push(mid(i));
            remaining -= in_bin;
            in_bin = 0;
            if edges.len() == max_bins - 1 {
                break;
            }
        }
    }
    edges
}

/// Bin ids of a data set, column-major (`bins[feature * n_rows + row]`), and
/// each feature's offset into a flat per-node histogram.
#[derive(Debug, Clone)]
pub struct BinnedMatrix {
    n_rows: usize,
    bins: Vec<u8>,
    offsets: Vec<usize>,
}

impl BinnedMatrix {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// The bin ids of one feature, one per row.
    pub fn column(&self, feature: usize) -> &[u8] {
        &self.bins[feature * self.n_rows..(feature + 1) * self.n_rows]
    }

    /// Start of `feature`'s bins in a flat histogram.
    pub fn offset(&self, feature: usize) -> usize {
        self.offsets[feature]
    }

    /// Number of bins of `feature`.
    pub fn n_bins(&self, feature: usize) -> usize {
        self.offsets[feature + 1] - self.offsets[feature]
    }

    /// Total bins over all features: the length of a histogram.
    pub fn total_bins(&self) -> usize {
        *self.offsets.last().unwrap_or(&0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use proptest::prelude::*;

    #[test]
    fn few_distinct_values_get_one_bin_each() {
        let x = Array2::from_shape_vec((5, 1), vec![3.0, 1.0, 2.0, 1.0, 3.0]).unwrap();
        let m = BinMapper::fit(&x, 256);
        assert_eq!(m.n_bins(0), 3);
        assert_eq!(m.upper_edge(0, 0), 1.5);
        let b = m.transform(&x);
        assert_eq!(b.column(0), &[2, 0, 1, 0, 2]);
    }

    #[test]
    fn many_values_are_capped_and_balanced() {
        let x = Array2::from_shape_fn((10_000, 1), |(i, _)| ((i * 7919) % 10_000) as f64);
        let m = BinMapper::fit(&x, 256);
        assert_eq!(m.n_bins(0), 256);
        let b = m.transform(&x);
        let mut counts = [0usize; 256];
        for &v in b.column(0) {
            counts[v as usize] += 1;
        }
        let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*lo >= 30 && *hi <= 50, "unbalanced bins: {lo}..{hi}");
    }

    #[test]
    fn a_heavy_value_keeps_its_own_bin() {
        let mut v: Vec<f64> = (0..1000).map(f64::from).collect();
        v.extend(std::iter::repeat_n(500.5, 3000));
        let x = Array2::from_shape_vec((v.len(), 1), v).unwrap();
        let m = BinMapper::fit(&x, 16);
        let heavy = m.bin(0, 500.5);
        assert!(m.bin(0, 500.0) < heavy && m.bin(0, 501.0) > heavy);
    }

    proptest! {
        #[test]
        fn bins_are_ordered_and_match_edges(
            values in prop::collection::vec(-1e6f64..1e6, 1..600),
            max_bins in 2usize..=256,
        ) {
            let n = values.len();
            let x = Array2::from_shape_vec((n, 1), values.clone()).unwrap();
            let m = BinMapper::fit(&x, max_bins);
            prop_assert!(m.n_bins(0) <= max_bins);
            let b = m.transform(&x);
            let mut pairs: Vec<(f64, u8)> =
                values.iter().copied().zip(b.column(0).iter().copied()).collect();
            pairs.sort_by(|a, c| a.0.total_cmp(&c.0));
            for w in pairs.windows(2) {
                prop_assert!(w[0].1 <= w[1].1);
                if w[0].0 == w[1].0 {
                    prop_assert_eq!(w[0].1, w[1].1);
                }
            }
            for &(v, bin) in &pairs {
                let bin = bin as usize;
                if bin + 1 < m.n_bins(0) {
                    prop_assert!(v <= m.upper_edge(0, bin));
                }
                if bin > 0 {
                    prop_assert!(v > m.upper_edge(0, bin - 1));
                }
            }
        }
    }
}
