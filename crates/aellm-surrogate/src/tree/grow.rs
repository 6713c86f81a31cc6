//! Depth-wise histogram tree growing (as XGBoost's `hist` and LightGBM do it).
//!
//! Rows of a node are a contiguous range of one index array, partitioned in
//! place at each split. Only the smaller child's histogram is built from its
//! rows; the larger child's is the parent's minus the smaller's. Nodes with
//! few rows skip histograms: scanning 256 mostly empty bins per feature costs
//! more than sorting their rows by bin.

use super::histogram::{self, Bin, Split, SplitRule};
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

/// The per-row inputs of one tree, fixed while it grows.
#[derive(Clone, Copy)]
struct TreeInputs<'t> {
    /// Gradient/hessian pair of each row.
    gh: &'t [Bin],
    /// Features the tree may split on, ascending.
    features: &'t [usize],
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
        let inputs = TreeInputs { gh, features };
        let sums = rows.iter().fold([0.0, 0.0], |acc, &r| {
            let e = gh[r as usize];
            [acc[0] + e[0], acc[1] + e[1]]
        });
        let mut nodes = vec![Node::leaf(self.leaf_value(sums), sums[1])];
        self.bin_thresholds.clear();
        self.bin_thresholds.push(0);
        let mut level = vec![Pending {
            node: 0,
            start: 0,
            end: rows.len(),
            depth: 0,
            sums,
            source: self.root_source(rows, inputs),
        }];
        let mut next = Vec::new();
        while !level.is_empty() {
            for p in level.drain(..) {
                self.split_node(p, rows, inputs, &mut nodes, &mut next);
            }
            std::mem::swap(&mut level, &mut next);
        }
        Tree::new(nodes)
    }

    /// What the root's split search works from.
    fn root_source(&mut self, rows: &[u32], inputs: TreeInputs<'_>) -> Source {
        if self.params.max_depth == 0 {
            Source::None
        } else if rows.len() <= SMALL_NODE {
            Source::SortedRows
        } else {
            let mut h = self.take_hist();
            histogram::build(&mut h, self.binned, inputs.gh, rows, inputs.features);
            Source::Histogram(h)
        }
    }

    /// Splits pending node `p` if a split gains anything: partitions its rows,
    /// turns it into a split node of `nodes` with two leaf children, and queues
    /// the children on `next`.
    fn split_node(
        &mut self,
        p: Pending,
        rows: &mut [u32],
        inputs: TreeInputs<'_>,
        nodes: &mut Vec<Node>,
        next: &mut Vec<Pending>,
    ) {
        let Some((split, parent_hist)) =
            self.find_split(p.source, p.sums, &rows[p.start..p.end], inputs)
        else {
            return;
        };
        let mid = p.start + self.partition(&mut rows[p.start..p.end], &split);
        let left = self.attach_children(nodes, p.node, &split);
        let depth = p.depth + 1;
        let (left_source, right_source) = self.child_sources(
            parent_hist,
            depth,
            &rows[p.start..mid],
            &rows[mid..p.end],
            inputs,
        );
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

    /// The best split of a node with rows `rows` and gradient sums `sums`,
    /// with the node's histogram (if it had one) for its children. `None` when
    /// the node stays a leaf; its histogram then goes back to the pool.
    fn find_split(
        &mut self,
        source: Source,
        sums: Bin,
        rows: &[u32],
        inputs: TreeInputs<'_>,
    ) -> Option<(Split, Option<Vec<Bin>>)> {
        let rule = self.params.rule;
        let (split, hist) = match source {
            Source::None => return None,
            Source::Histogram(hist) => (
                rule.best_split(&hist, self.binned, inputs.features, sums),
                Some(hist),
            ),
            Source::SortedRows => (
                rule.best_split_sorted(
                    self.binned,
                    inputs.gh,
                    rows,
                    inputs.features,
                    sums,
                    &mut self.sort_buf,
                ),
                None,
            ),
        };
        match split {
            Some(split) => Some((split, hist)),
            None => {
                self.pool.extend(hist);
                None
            }
        }
    }

    /// Stable in-place partition of `range` by `split`: left rows keep their
    /// order at the front, right rows go through scratch. Returns the number
    /// of left rows.
    fn partition(&mut self, range: &mut [u32], split: &Split) -> usize {
        let col = self.binned.column(split.feature);
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
        n_left
    }

    /// Turns leaf `node` into the split `split` with two new leaf children;
    /// returns the index of the left one (the right one follows it).
    fn attach_children(&mut self, nodes: &mut Vec<Node>, node: usize, split: &Split) -> usize {
        let left = nodes.len();
        nodes.push(Node::leaf(self.leaf_value(split.left), split.left[1]));
        nodes.push(Node::leaf(self.leaf_value(split.right), split.right[1]));
        self.bin_thresholds.extend([0, 0]);
        let n = &mut nodes[node];
        n.feature = split.feature as u32;
        n.threshold = self.mapper.upper_edge(split.feature, split.bin as usize);
        n.left = left as u32;
        n.right = left as u32 + 1;
        n.gain = split.gain;
        self.bin_thresholds[node] = split.bin;
        left
    }

    /// What the children at `depth`, with rows `left_rows` and `right_rows`,
    /// search from: histograms while either child is large (the smaller one
    /// built, the larger one the parent's minus it), sorted rows below that,
    /// nothing at maximum depth.
    fn child_sources(
        &mut self,
        parent_hist: Option<Vec<Bin>>,
        depth: usize,
        left_rows: &[u32],
        right_rows: &[u32],
        inputs: TreeInputs<'_>,
    ) -> (Source, Source) {
        let left_is_small = left_rows.len() <= right_rows.len();
        let larger = left_rows.len().max(right_rows.len());
        match parent_hist {
            // A node above SMALL_NODE rows always has a histogram.
            Some(mut hist) if depth < self.params.max_depth && larger > SMALL_NODE => {
                let mut small = self.take_hist();
                let small_rows = if left_is_small { left_rows } else { right_rows };
                histogram::build(
                    &mut small,
                    self.binned,
                    inputs.gh,
                    small_rows,
                    inputs.features,
                );
                histogram::subtract(&mut hist, &small, self.binned, inputs.features);
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
        }
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
