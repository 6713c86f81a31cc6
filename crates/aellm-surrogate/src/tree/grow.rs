//! Depth-wise histogram tree growing (as XGBoost's `hist` and LightGBM do it).
//!
//! Rows of a node are a contiguous range of one index array, partitioned in
//! place at each split. Only the smaller child's histogram is built from its
//! rows; the larger child's is the parent's minus the smaller's. Nodes with
//! few rows skip histograms: scanning 256 mostly empty bins per feature costs
//! more than sorting their rows by bin.

use super::histogram::{self, Bin, SplitRule};
use super::{Node, Tree};
use crate::binning::{BinMapper, BinnedMatrix};

/// The shape and regularisation of one tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrowParams {
    pub max_depth: usize,
    pub learning_rate: f64,
    pub rule: SplitRule,
}

/// Nodes with at most this many rows find splits by sorting, not histograms.
const SMALL_NODE: usize = 64;

/// What a pending node's split search works from.
enum Source {
    Histogram(Vec<Bin>),
    SortedRows,
    /// At maximum depth: it stays a leaf.
    None,
}

/// A node waiting to be split.
struct Pending {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    sums: Bin,
    source: Source,
}

/// Grows trees over one binned data set, reusing its buffers from tree to tree.
pub(crate) struct Grower<'a> {
    binned: &'a BinnedMatrix,
    mapper: &'a BinMapper,
    params: GrowParams,
    pool: Vec<Vec<Bin>>,
    scratch: Vec<u32>,
    sort_buf: Vec<(u8, Bin)>,
    /// The bin threshold of each node of the last tree, to route binned rows.
    bin_thresholds: Vec<u8>,
}

impl<'a> Grower<'a> {
    pub(crate) fn new(binned: &'a BinnedMatrix, mapper: &'a BinMapper, params: GrowParams) -> Self {
        Self {
            binned,
            mapper,
            params,
            pool: Vec::new(),
            scratch: Vec::new(),
            sort_buf: Vec::new(),
            bin_thresholds: Vec::new(),
        }
    }

    fn take_hist(&mut self) -> Vec<Bin> {
        self.pool
            .pop()
            .unwrap_or_else(|| vec![[0.0; 2]; self.binned.total_bins()])
    }

    fn leaf_value(&self, [g, h]: Bin) -> f64 {
        -g / (h + self.params.rule.lambda) * self.params.learning_rate
    }

    /// Grows one tree on `rows` (which it reorders) using only `features`
    /// (ascending), from per-row gradient/hessian pairs `gh`.
    pub(crate) fn grow(&mut self, gh: &[Bin], rows: &mut [u32], features: &[usize]) -> Tree {
        let sums = rows.iter().fold([0.0, 0.0], |acc, &r| {
            let e = gh[r as usize];
            [acc[0] + e[0], acc[1] + e[1]]
        });
        let mut nodes = vec![Node::leaf(self.leaf_value(sums), sums[1])];
        self.bin_thresholds.clear();
        self.bin_thresholds.push(0);
        let root_source = if self.params.max_depth == 0 {
            Source::None
        } else if rows.len() <= SMALL_NODE {
            Source::SortedRows
        } else {
            let mut h = self.take_hist();
            histogram::build(&mut h, self.binned, gh, rows, features);
            Source::Histogram(h)
        };
        let mut level = vec![Pending {
            node: 0,
            start: 0,
            end: rows.len(),
            depth: 0,
            sums,
            source: root_source,
        }];
        let mut next = Vec::new();
        while !level.is_empty() {
            for p in level.drain(..) {
                let rule = self.params.rule;
                let (split, mut parent_hist) = match p.source {
                    Source::None => continue,
                    Source::Histogram(hist) => (
                        rule.best_split(&hist, self.binned, features, p.sums),
                        Some(hist),
                    ),
                    Source::SortedRows => (
                        rule.best_split_sorted(
                            self.binned,
                            gh,
                            &rows[p.start..p.end],
                            features,
                            p.sums,
                            &mut self.sort_buf,
                        ),
                        None,
                    ),
                };
                let Some(split) = split else {
                    self.pool.extend(parent_hist);
                    continue;
                };
                // Stable in-place partition: left rows keep their order at the
                // front, right rows go through scratch.
                let col = self.binned.column(split.feature);
                let range = &mut rows[p.start..p.end];
                self.scratch.clear();
                let mut n_left = 0;
                for i in 0..range.len() {
                    let r = range[i];
                    if col[r as usize] <= split.bin {
                        range[n_left] = r;
                        n_left += 1;
                    } else {
                        self.scratch.push(r);
                    }
                }
                range[n_left..].copy_from_slice(&self.scratch);
                let mid = p.start + n_left;

                let left = nodes.len();
                nodes.push(Node::leaf(self.leaf_value(split.left), split.left[1]));
                nodes.push(Node::leaf(self.leaf_value(split.right), split.right[1]));
                self.bin_thresholds.extend([0, 0]);
                let n = &mut nodes[p.node];
                n.feature = split.feature as u32;
                n.threshold = self.mapper.upper_edge(split.feature, split.bin as usize);
                n.left = left as u32;
                n.right = left as u32 + 1;
                n.gain = split.gain;
                self.bin_thresholds[p.node] = split.bin;

                let depth = p.depth + 1;
                let left_is_small = mid - p.start <= p.end - mid;
                let larger = (mid - p.start).max(p.end - mid);
                let (left_source, right_source) = match parent_hist.take() {
                    // A node above SMALL_NODE rows always has a histogram.
                    Some(mut hist) if depth < self.params.max_depth && larger > SMALL_NODE => {
                        let mut small = self.take_hist();
                        let small_rows = if left_is_small {
                            &rows[p.start..mid]
                        } else {
                            &rows[mid..p.end]
                        };
                        histogram::build(&mut small, self.binned, gh, small_rows, features);
                        histogram::subtract(&mut hist, &small, self.binned, features);
                        let (small, large) = (Source::Histogram(small), Source::Histogram(hist));
                        if left_is_small {
                            (small, large)
                        } else {
                            (large, small)
                        }
                    }
                    hist => {
                        self.pool.extend(hist);
                        if depth < self.params.max_depth {
                            (Source::SortedRows, Source::SortedRows)
                        } else {
                            (Source::None, Source::None)
                        }
                    }
                };
                next.push(Pending {
                    node: left,
                    start: p.start,
                    end: mid,
                    depth,
                    sums: split.left,
                    source: left_source,
                });
                next.push(Pending {
                    node: left + 1,
                    start: mid,
                    end: p.end,
                    depth,
                    sums: split.right,
                    source: right_source,
                });
            }
            std::mem::swap(&mut level, &mut next);
        }
        Tree::new(nodes)
    }

    /// Output of the last grown tree for binned row `row`.
    #[inline]
    pub(crate) fn predict_binned(&self, tree: &Tree, row: usize) -> f64 {
        let nodes = tree.nodes();
        let mut i = 0;
        loop {
            let n = &nodes[i];
            if n.is_leaf() {
                return n.value;
            }
            let bin = self.binned.column(n.feature as usize)[row];
            i = if bin <= self.bin_thresholds[i] {
                n.left
            } else {
                n.right
            } as usize;
        }
    }
}
