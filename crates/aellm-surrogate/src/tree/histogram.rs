//! Per-node gradient/hessian histograms: building, subtraction, split search.

use crate::binning::BinnedMatrix;
use rayon::prelude::*;

/// One histogram bin: summed gradient and hessian.
pub(crate) type Bin = [f64; 2];

/// Work (rows × features) above which features are binned in parallel; below
/// it rayon's hand-off costs more than it saves.
const PARALLEL_WORK: usize = 1 << 16;

/// Fills the histograms of `features` from `rows`. Bins of other features are
/// left untouched (and never read).
pub(crate) fn build(
    hist: &mut [Bin],
    binned: &BinnedMatrix,
    gh: &[Bin],
    rows: &[u32],
    features: &[usize],
) {
    let fill = |f: usize, h: &mut [Bin]| {
        h.fill([0.0; 2]);
        let col = binned.column(f);
        for &r in rows {
            let r = r as usize;
            let e = &mut h[col[r] as usize];
            e[0] += gh[r][0];
            e[1] += gh[r][1];
        }
    };
    if rows.len() * features.len() < PARALLEL_WORK || rayon::current_num_threads() < 2 {
        for &f in features {
            let o = binned.offset(f);
            fill(f, &mut hist[o..o + binned.n_bins(f)]);
        }
    } else {
        feature_slices(hist, binned, features)
            .into_par_iter()
            .for_each(|(f, h)| fill(f, h));
    }
}

/// Disjoint mutable views of each (ascending) feature's bins.
fn feature_slices<'h>(
    mut hist: &'h mut [Bin],
    binned: &BinnedMatrix,
    features: &[usize],
) -> Vec<(usize, &'h mut [Bin])> {
    let mut out = Vec::with_capacity(features.len());
    let mut consumed = 0;
    for &f in features {
        let (_, rest) = std::mem::take(&mut hist).split_at_mut(binned.offset(f) - consumed);
        let (mine, rest) = rest.split_at_mut(binned.n_bins(f));
        consumed = binned.offset(f) + binned.n_bins(f);
        out.push((f, mine));
        hist = rest;
    }
    out
}

/// `parent -= child` over the bins of `features`: the sibling's histogram
/// without touching its rows.
pub(crate) fn subtract(
    parent: &mut [Bin],
    child: &[Bin],
    binned: &BinnedMatrix,
    features: &[usize],
) {
    for &f in features {
        let range = binned.offset(f)..binned.offset(f) + binned.n_bins(f);
        for (p, c) in parent[range.clone()].iter_mut().zip(&child[range]) {
            p[0] -= c[0];
            p[1] -= c[1];
        }
    }
}

/// The best split of a node found in its histogram.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split {
    pub feature: usize,
    /// Rows with bin ≤ `bin` go left.
    pub bin: u8,
    pub gain: f64,
    /// `2 (gain + γ)` rounded to f32: what candidates are compared by.
    pub key: f32,
    pub left: Bin,
    pub right: Bin,
}

/// Regularisation of the split search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SplitRule {
    pub lambda: f64,
    pub gamma: f64,
    pub min_child_weight: f64,
}

/// The running best split of one node's search.
struct Search<'r> {
    rule: &'r SplitRule,
    total: Bin,
    parent: f64,
    best: Option<Split>,
}

impl Search<'_> {
    /// Considers sending the rows with bin ≤ `bin` of `feature`, whose sums
    /// are `left`, to the left child. Returns `false` once the right child is
    /// too light, so that later bins of this feature need no look.
    #[inline]
    fn consider(&mut self, feature: usize, bin: u8, left: Bin) -> bool {
        let rule = self.rule;
        let [gl, hl] = left;
        if hl <= 0.0 || hl < rule.min_child_weight {
            return true;
        }
        let hr = self.total[1] - hl;
        if hr <= 0.0 || hr < rule.min_child_weight {
            return false;
        }
        let gr = self.total[0] - gl;
        let change = rule.score(gl, hl) + rule.score(gr, hr) - self.parent;
        let gain = 0.5 * change - rule.gamma;
        // XGBoost keeps split gains as f32 and replaces its best only on a
        // strictly larger one, so mirror-image splits (equal gains up to
        // summation rounding) go to the lowest feature and bin, not to
        // whichever rounding favoured.
        let key = change as f32;
        if gain > 0.0 && self.best.is_none_or(|b| key > b.key) {
            self.best = Some(Split {
                feature,
                bin,
                gain,
                key,
                left,
                right: [gr, hr],
            });
        }
        true
    }
}

impl SplitRule {
    /// `G²/(H + λ)`: twice the loss reduction a leaf with sums `G`, `H` achieves.
    #[inline]
    fn score(&self, g: f64, h: f64) -> f64 {
        g * g / (h + self.lambda)
    }

    fn search(&self, total: Bin) -> Search<'_> {
        Search {
            rule: self,
            total,
            parent: self.score(total[0], total[1]),
            best: None,
        }
    }

    /// Best split with positive gain `½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)] − γ`,
    /// both children holding hessian ≥ `min_child_weight`, from the node's histogram.
    pub(crate) fn best_split(
        &self,
        hist: &[Bin],
        binned: &BinnedMatrix,
        features: &[usize],
        total: Bin,
    ) -> Option<Split> {
        let mut search = self.search(total);
        for &f in features {
            let o = binned.offset(f);
            let bins = &hist[o..o + binned.n_bins(f)];
            let mut left = [0.0, 0.0];
            for (b, e) in bins[..bins.len().saturating_sub(1)].iter().enumerate() {
                // An empty bin repeats the previous candidate.
                if e[1] == 0.0 {
                    continue;
                }
                left = [left[0] + e[0], left[1] + e[1]];
                if !search.consider(f, b as u8, left) {
                    break;
                }
            }
        }
        search.best
    }

    /// The same search for a node with few rows, without a histogram: its
    /// rows are sorted by bin, feature by feature, and only the bins they
    /// occupy are candidates (an empty bin never beats the one before it).
    /// `buf` is scratch.
    pub(crate) fn best_split_sorted(
        &self,
        binned: &BinnedMatrix,
        gh: &[Bin],
        rows: &[u32],
        features: &[usize],
        total: Bin,
        buf: &mut Vec<(u8, Bin)>,
    ) -> Option<Split> {
        let mut search = self.search(total);
        for &f in features {
            let col = binned.column(f);
            buf.clear();
            buf.extend(rows.iter().map(|&r| (col[r as usize], gh[r as usize])));
            buf.sort_unstable_by_key(|e| e.0);
            let mut left = [0.0, 0.0];
            for (i, &(bin, e)) in buf.iter().enumerate() {
                left = [left[0] + e[0], left[1] + e[1]];
                // Candidates sit where the bin changes (the last bin is none).
                let at_boundary = buf.get(i + 1).is_some_and(|next| next.0 != bin);
                if at_boundary && !search.consider(f, bin, left) {
                    break;
                }
            }
        }
        search.best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binning::BinMapper;
    use ndarray::Array2;
    use proptest::prelude::*;

    proptest! {
        /// With integer gradients (exact sums) both searches see the same
        /// candidates in the same order, so they must pick the same split.
        #[test]
        fn sorted_search_equals_histogram_search(
            values in prop::collection::vec(0u8..40, 6..120),
            grads in prop::collection::vec(-20i32..20, 120),
            min_child_weight in 0.0f64..4.0,
            lambda in 0.0f64..3.0,
        ) {
            let n = values.len() / 3 * 3;
            let rows_n = n / 3;
            let x = Array2::from_shape_vec((rows_n, 3), values[..n].iter().map(|&v| f64::from(v)).collect())
                .unwrap();
            let mapper = BinMapper::fit(&x, 16);
            let binned = mapper.transform(&x);
            let gh: Vec<Bin> = grads[..rows_n].iter().map(|&g| [f64::from(g), 1.0]).collect();
            let rows: Vec<u32> = (0..rows_n as u32).collect();
            let features = [0, 2];
            let total = gh.iter().fold([0.0, 0.0], |a, e| [a[0] + e[0], a[1] + e[1]]);
            let rule = SplitRule { lambda, gamma: 0.0, min_child_weight };
            let mut hist = vec![[0.0; 2]; binned.total_bins()];
            build(&mut hist, &binned, &gh, &rows, &features);
            let by_hist = rule.best_split(&hist, &binned, &features, total);
            let by_sort = rule.best_split_sorted(&binned, &gh, &rows, &features, total, &mut Vec::new());
            let key = |s: Option<Split>| s.map(|s| (s.feature, s.bin, s.left, s.right));
            prop_assert_eq!(key(by_hist), key(by_sort));
        }

        /// A mirrored copy of a feature offers the same partitions, with
        /// gains equal up to summation rounding: as in XGBoost, the lower
        /// feature wins every such tie.
        #[test]
        fn mirrored_feature_ties_go_to_the_lower_feature(
            values in prop::collection::vec(0u8..60, 8..80),
            grads in prop::collection::vec(-1.0f64..1.0, 80),
        ) {
            let n = values.len();
            let x = Array2::from_shape_fn((n, 2), |(r, c)| {
                let v = f64::from(values[r]);
                if c == 0 { -v } else { v }
            });
            let mapper = BinMapper::fit(&x, 256);
            let binned = mapper.transform(&x);
            let gh: Vec<Bin> = grads[..n].iter().map(|&g| [g * 0.1, 1.0]).collect();
            let rows: Vec<u32> = (0..n as u32).collect();
            let total = gh.iter().fold([0.0, 0.0], |a, e| [a[0] + e[0], a[1] + e[1]]);
            let rule = SplitRule { lambda: 1.0, gamma: 0.0, min_child_weight: 1.0 };
            let mut hist = vec![[0.0; 2]; binned.total_bins()];
            build(&mut hist, &binned, &gh, &rows, &[0, 1]);
            if let Some(split) = rule.best_split(&hist, &binned, &[0, 1], total) {
                prop_assert_eq!(split.feature, 0);
            }
        }
    }
}
