//! One regression tree: its fitted form (thresholds in raw feature units, so
//! it predicts without any binning) and the histogram grower that builds it.

mod grow;
mod histogram;

pub(crate) use grow::{GrowParams, Grower};
pub(crate) use histogram::{Bin, SplitRule};

use serde::{Deserialize, Serialize};

/// A node of a [`Tree`]. A node with `left == 0` is a leaf (the root, index 0,
/// is never anyone's child).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Feature tested by a split node.
    pub feature: u32,
    /// Rows with `x[feature] <= threshold` go left, the others (NaN included) right.
    pub threshold: f64,
    /// Index of the left child; 0 for a leaf.
    pub left: u32,
    /// Index of the right child; 0 for a leaf.
    pub right: u32,
    /// The node's output (learning rate applied); used when it is a leaf.
    pub value: f64,
    /// Loss reduction of the split (0 for a leaf): what gain importance sums.
    pub gain: f64,
    /// Sum of hessians of the training rows that reached the node.
    pub cover: f64,
}

impl Node {
    pub(crate) fn leaf(value: f64, cover: f64) -> Self {
        Self {
            feature: 0,
            threshold: 0.0,
            left: 0,
            right: 0,
            value,
            gain: 0.0,
            cover,
        }
    }

    /// Whether the node is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.left == 0
    }
}

/// A fitted regression tree, nodes in breadth-first order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    pub(crate) fn new(nodes: Vec<Node>) -> Self {
        Self { nodes }
    }

    /// The nodes, root first.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Depth of the deepest leaf (a single leaf has depth 0).
    pub fn depth(&self) -> usize {
        fn go(nodes: &[Node], i: usize) -> usize {
            let n = &nodes[i];
            if n.is_leaf() {
                0
            } else {
                1 + go(nodes, n.left as usize).max(go(nodes, n.right as usize))
            }
        }
        go(&self.nodes, 0)
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_leaf()).count()
    }

    /// The tree's output for one row of raw features.
    #[inline]
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            let n = &self.nodes[i];
            if n.is_leaf() {
                return n.value;
            }
            // Indexing instead of branching: which way a row goes is a coin
            // flip to the branch predictor, and mispredictions dominated.
            let go_left = row[n.feature as usize] <= n.threshold; // NaN goes right
            i = [n.right, n.left][usize::from(go_left)] as usize;
        }
    }

    /// Adds the split gains of this tree to `importance[feature]`.
    pub(crate) fn add_gains(&self, importance: &mut [f64]) {
        for n in self.nodes.iter().filter(|n| !n.is_leaf()) {
            importance[n.feature as usize] += n.gain;
        }
    }
}
