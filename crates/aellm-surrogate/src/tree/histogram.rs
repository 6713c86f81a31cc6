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

impl SplitRule {
    /// `G²/(H + λ)`: twice the loss reduction a leaf with sums `G`, `H` achieves.
    #[inline]
    fn score(&self, g: f64, h: f64) -> f64 {
        g * g / (h + self.lambda)
    }

    /// Best split with positive gain `½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)] − γ`,
    /// both children holding hessian ≥ `min_child_weight`.
    pub(crate) fn best_split(
        &self,
        hist: &[Bin],
        binned: &BinnedMatrix,
        features: &[usize],
        total: Bin,
    ) -> Option<Split> {
        let [g, h] = total;
        let parent = self.score(g, h);
        let mut best: Option<Split> = None;
        let mut best_gain = 0.0;
        for &f in features {
            let o = binned.offset(f);
            let bins = &hist[o..o + binned.n_bins(f)];
            let (mut gl, mut hl) = (0.0, 0.0);
            for (b, e) in bins[..bins.len().saturating_sub(1)].iter().enumerate() {
                // An empty bin repeats the previous candidate's gain; in deep
                // nodes most bins are empty, so skipping them is most of the speed.
                if e[1] == 0.0 {
                    continue;
                }
                gl += e[0];
                hl += e[1];
                if hl <= 0.0 || hl < self.min_child_weight {
                    continue;
                }
                let hr = h - hl;
                if hr <= 0.0 || hr < self.min_child_weight {
                    break;
                }
                let gr = g - gl;
                let gain = 0.5 * (self.score(gl, hl) + self.score(gr, hr) - parent) - self.gamma;
                if gain > best_gain {
                    best_gain = gain;
                    best = Some(Split {
                        feature: f,
                        bin: b as u8,
                        gain,
                        left: [gl, hl],
                        right: [gr, hr],
                    });
                }
            }
        }
        best
    }
}
