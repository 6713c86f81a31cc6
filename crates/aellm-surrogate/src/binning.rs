//! Quantile binning: each feature is cut into at most 256 bins so that tree
//! growing works on `u8` bin ids and per-bin gradient histograms.
//!
//! The cuts are XGBoost's `hist` cuts (its weighted-quantile summary pruning,
//! see [`BinMapper::fit`]), so that the same data gives XGBoost's trees.
//! They are chosen from the *ranks* of the distinct values and sit at
//! training values (never interpolated), so any strictly increasing transform
//! of a feature yields the same partition of the rows, and so the same trees.

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
    /// must be finite), as XGBoost's `hist` does. Features with at most
    /// `max_bins` distinct values get one bin per value.
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

/// One entry of a weighted quantile summary (XGBoost's `WQSummary::Entry`):
/// a distinct value and the bounds of its rank. Ranks are `f32`, as in
/// XGBoost, so that pruning rounds where XGBoost's does.
#[derive(Debug, Clone, Copy)]
struct Entry {
    rmin: f32,
    rmax: f32,
    wmin: f32,
    value: f64,
}

/// Edges for one feature; `values` is scratch and gets sorted.
///
/// XGBoost's `hist` cuts: the exact summary of the column (distinct values
/// with their counts) pruned to `max_bins + 1` entries as XGBoost prunes it;
/// every kept value but the smallest, up to `max_bins − 1` of them, starts a
/// bin. XGBoost sends `x < cut` left; an edge just below the cut does the
/// same with this crate's `x ≤ edge`, so a value between two training values
/// goes left, as in XGBoost. Up to `8 · max_bins` rows (2,048 at 256 bins)
/// XGBoost 3.2 yields exactly these cuts (the tests pin its output); on
/// larger columns its streaming sketch approximates this exact summary and
/// its cuts can be a rank or so away.
fn feature_edges(values: &mut [f64], max_bins: usize) -> Vec<f64> {
    values.sort_unstable_by(f64::total_cmp);
    let mut summary: Vec<Entry> = Vec::new();
    let mut rank = 0.0f32;
    for &v in values.iter() {
        match summary.last_mut() {
            Some(e) if e.value == v => {
                e.rmax += 1.0;
                e.wmin += 1.0;
            }
            _ => summary.push(Entry {
                rmin: rank,
                rmax: rank + 1.0,
                wmin: 1.0,
                value: v,
            }),
        }
        rank += 1.0;
    }
    let summary = prune(&summary, max_bins + 1);
    let n_cuts = summary.len().min(max_bins);
    summary
        .get(1..n_cuts)
        .unwrap_or_default()
        .iter()
        .map(|e| e.value.next_down())
        .collect()
}

/// XGBoost's `WQSummary::SetPrune`: keeps at most `max_size` entries, the
/// first, the last, and those nearest to `max_size − 2` evenly spaced ranks
/// in between (an entry nearest to two ranks is kept once).
fn prune(src: &[Entry], max_size: usize) -> Vec<Entry> {
    if src.len() <= max_size {
        return src.to_vec();
    }
    let last = src.len() - 1;
    let begin = src[0].rmax;
    let range = src[last].rmin - src[0].rmax;
    let n = max_size - 1;
    let mut out = vec![src[0]];
    let (mut i, mut last_kept) = (1, 0);
    for k in 1..n {
        let dx2 = 2.0 * ((k as f32 * range) / n as f32 + begin);
        while i < last && dx2 >= src[i + 1].rmax + src[i + 1].rmin {
            i += 1;
        }
        if i == last {
            break;
        }
        // `rmin + wmin` of entry i against `rmax − wmin` of entry i + 1.
        let pick = if dx2 < (src[i].rmin + src[i].wmin) + (src[i + 1].rmax - src[i + 1].wmin) {
            i
        } else {
            i + 1
        };
        if pick != last_kept {
            out.push(src[pick]);
            last_kept = pick;
        }
    }
    if last_kept != last {
        out.push(src[last]);
    }
    out
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
        // XGBoost's `x < 2` split: everything below the next training value goes left.
        assert_eq!(m.bin(0, 1.999), 0);
        assert_eq!(m.bin(0, 2.0), 1);
        let b = m.transform(&x);
        assert_eq!(b.column(0), &[2, 0, 1, 0, 2]);
    }

    /// `xgboost.QuantileDMatrix(v, max_bin=B).get_quantile_cut()` with
    /// XGBoost 3.2.0, without its leading `-1e-5` and trailing `2·max + 1e-5`
    /// entries: bins start at these values.
    fn assert_xgboost_cuts(v: Vec<f64>, max_bins: usize, cuts: &[f64]) {
        let x = Array2::from_shape_vec((v.len(), 1), v).unwrap();
        let m = BinMapper::fit(&x, max_bins);
        let starts: Vec<f64> = (0..m.n_bins(0) - 1)
            .map(|b| m.upper_edge(0, b).next_up())
            .collect();
        assert_eq!(starts, cuts);
    }

    /// 1,500 distinct values, 200 bins: XGBoost's pruning with its `f32`
    /// rank arithmetic (gaps of 7 and 8 where they fall).
    #[test]
    fn many_values_get_xgboost_cuts() {
        #[rustfmt::skip]
        let cuts: [u16; 199] = [
            8, 15, 23, 30, 38, 45, 53, 60, 68, 75, 83, 90, 98, 105, 113, 120, 128, 135, 143,
            150, 158, 165, 173, 180, 188, 195, 203, 210, 218, 225, 233, 240, 248, 255, 263,
            270, 278, 285, 293, 300, 308, 315, 323, 330, 338, 345, 353, 360, 368, 375, 382,
            390, 397, 405, 412, 420, 427, 435, 442, 450, 457, 465, 472, 480, 487, 495, 502,
            510, 517, 525, 532, 540, 547, 555, 562, 570, 577, 585, 592, 600, 607, 615, 622,
            630, 637, 645, 652, 660, 667, 675, 682, 690, 697, 705, 712, 720, 727, 735, 742,
            750, 757, 764, 772, 779, 787, 794, 802, 809, 817, 824, 832, 839, 847, 854, 862,
            869, 877, 884, 892, 899, 907, 914, 922, 929, 937, 944, 952, 959, 967, 974, 982,
            989, 997, 1004, 1012, 1019, 1027, 1034, 1042, 1049, 1057, 1064, 1072, 1079,
            1087, 1094, 1102, 1109, 1117, 1124, 1131, 1139, 1146, 1154, 1161, 1169, 1176,
            1184, 1191, 1199, 1206, 1214, 1221, 1229, 1236, 1244, 1251, 1259, 1266, 1274,
            1281, 1289, 1296, 1304, 1311, 1319, 1326, 1334, 1341, 1349, 1356, 1364, 1371,
            1379, 1386, 1394, 1401, 1409, 1416, 1424, 1431, 1439, 1446, 1454, 1461, 1469,
            1476, 1484, 1491
        ];
        let v = (0..1500).map(|i| ((i * 7919) % 1500) as f64).collect();
        assert_xgboost_cuts(v, 200, &cuts.map(f64::from));
    }

    /// A value holding 28 of 128 rows is one cut, kept once however many
    /// evenly spaced ranks fall on it: 15 bins where 16 were allowed.
    #[test]
    fn a_heavy_value_gets_xgboost_cuts() {
        let mut v: Vec<f64> = (0..100).map(f64::from).collect();
        v.extend(std::iter::repeat_n(50.5, 28));
        let cuts = [
            8.0, 16.0, 24.0, 32.0, 40.0, 48.0, 50.5, 51.0, 59.0, 67.0, 75.0, 83.0, 91.0, 99.0,
        ];
        assert_xgboost_cuts(v, 16, &cuts);
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
