//! Exact hypervolume in two and three objectives.
//!
//! - 2-D: a sweep over the points sorted by the first objective, O(n log n).
//! - 3-D: the dimension sweep of Beume, Fonseca, López-Ibáñez, Paquete and
//!   Vahrenhold (2009): points in order of the third objective update a 2-D
//!   staircase kept in a balanced tree (`BTreeMap`), O(n log n).

use std::collections::BTreeMap;

use crate::dominance::OrdF64 as Key;

pub(crate) fn hv2(mut pts: Vec<[f64; 2]>, r: &[f64]) -> f64 {
    pts.sort_unstable_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let mut area = 0.0;
    let mut level = r[1];
    for p in pts {
        if p[1] < level {
            area += (r[0] - p[0]) * (level - p[1]);
            level = p[1];
        }
    }
    area
}

/// A 2-D staircase (x ascending, y descending) and the area it dominates.
struct Staircase {
    steps: BTreeMap<Key, f64>,
    area: f64,
    rx: f64,
    ry: f64,
    doomed: Vec<Key>,
}

impl Staircase {
    fn new(rx: f64, ry: f64) -> Self {
        Self {
            steps: BTreeMap::new(),
            area: 0.0,
            rx,
            ry,
            doomed: Vec::new(),
        }
    }

    /// Inserts (x, y); returns the area it adds (0 when it is weakly dominated).
    fn insert(&mut self, x: f64, y: f64) -> f64 {
        if let Some((_, &qy)) = self.steps.range(..=Key(x)).next_back()
            && qy <= y
        {
            return 0.0;
        }
        // Height of the dominated region just left of x, then the steps p covers.
        let mut level = self
            .steps
            .range(..Key(x))
            .next_back()
            .map_or(self.ry, |(_, &qy)| qy);
        let mut cur = x;
        let mut end = self.rx;
        let mut added = 0.0;
        for (&Key(sx), &sy) in self.steps.range(Key(x)..) {
            if sy < y {
                end = sx;
                break;
            }
            added += (sx - cur) * (level - y);
            cur = sx;
            level = sy;
            self.doomed.push(Key(sx));
        }
        added += (end - cur) * (level - y);
        for k in self.doomed.drain(..) {
            self.steps.remove(&k);
        }
        self.steps.insert(Key(x), y);
        self.area += added;
        added
    }
}

pub(crate) fn hv3(mut pts: Vec<[f64; 3]>, r: &[f64]) -> f64 {
    pts.sort_unstable_by(|a, b| {
        a[2].total_cmp(&b[2])
            .then(a[0].total_cmp(&b[0]))
            .then(a[1].total_cmp(&b[1]))
    });
    let mut stairs = Staircase::new(r[0], r[1]);
    let mut total = 0.0;
    let mut z_prev = pts[0][2];
    for p in &pts {
        total += stairs.area * (p[2] - z_prev);
        z_prev = p[2];
        stairs.insert(p[0], p[1]);
    }
    total + stairs.area * (r[2] - z_prev)
}
