//! Exact 4-objective hypervolume in O(n²): HV4D+ of Guerreiro and Fonseca,
//! "Computing and updating hypervolume contributions in up to four
//! dimensions", IEEE TEVC 22(3), 2018.
//!
//! Points enter in order of the 4th objective. The hypervolume of the 3-D
//! projections seen so far grows by each newcomer's 3-D contribution, and the
//! 4-D volume is that 3-D volume integrated over the 4th objective. A
//! contribution costs O(n), not a fresh 3-D sweep, because the structure is
//! kept between points: one list of the 3-D non-dominated projections sorted
//! by the 3rd objective, and for each point its two *closest* neighbours (its
//! delimiters in the (x, y) staircase of the points below it). Walking the
//! list once rebuilds the staircase at the newcomer's height in O(1) per point
//! and a second walk upward sweeps the newcomer's exclusive region.

/// A node of the z-sorted list: the point's first three objectives and links.
#[derive(Clone, Copy)]
struct Node {
    x: [f64; 3],
    /// Neighbours in the list sorted by (z, y, x).
    next: u32,
    prev: u32,
    /// Staircase links in the current sweep: `[0]` towards larger x, `[1]` towards larger y.
    cnext: [u32; 2],
    /// Delimiters among the points below in z: `[0]` smallest x with a smaller y,
    /// `[1]` smallest y with a smaller x.
    closest: [u32; 2],
}

/// Left wall (-∞, r_y, -∞) of every staircase.
const LEFT: u32 = 0;
/// Bottom wall (r_x, -∞, -∞) of every staircase.
const BOTTOM: u32 = 1;
/// End of the z list (-∞, -∞, r_z): it dominates everything in (x, y).
const TOP: u32 = 2;
/// Stands for -∞ without making 0·∞ products.
const NEG: f64 = f64::MIN;

/// The list of 3-D non-dominated projections and its sentinels.
struct Hv4d {
    nodes: Vec<Node>,
}

/// Exact hypervolume of flattened 4-D points (stride 4), all strictly inside the box of `r`.
pub(crate) fn hv4d(pts: &[f64], r: &[f64]) -> f64 {
    // Ties in the 4th objective may enter in any order: a later point weakly
    // dominated in 3-D adds nothing, and an earlier one it dominates is dropped.
    let mut order: Vec<(f64, u32)> = pts
        .chunks_exact(4)
        .enumerate()
        .map(|(i, p)| (p[3], i as u32))
        .collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let n = order.len();
    let w: Vec<f64> = order.iter().map(|&(w, _)| w).collect();
    let mut s = Hv4d::new(
        order.iter().map(|&(_, i)| {
            let i = i as usize * 4;
            [pts[i], pts[i + 1], pts[i + 2]]
        }),
        r,
    );
    let mut volume = 0.0;
    let mut total = 0.0;
    for k in 0..n {
        let p = k as u32 + 3;
        if s.restart(p) {
            volume += s.one_contribution(p);
            s.add_to_z(p);
            s.update_links(p);
        }
        let upper = w.get(k + 1).copied().unwrap_or(r[3]);
        total += volume * (upper - w[k]);
    }
    total
}

impl Hv4d {
    fn new(points: impl Iterator<Item = [f64; 3]>, r: &[f64]) -> Self {
        let sentinel = |x, closest| Node {
            x,
            next: 0,
            prev: 0,
            cnext: [0, 0],
            closest,
        };
        let mut nodes = vec![
            sentinel([NEG, r[1], NEG], [BOTTOM, LEFT]),
            sentinel([r[0], NEG, NEG], [BOTTOM, LEFT]),
            sentinel([NEG, NEG, r[2]], [BOTTOM, LEFT]),
        ];
        nodes.extend(points.map(|x| sentinel(x, [BOTTOM, LEFT])));
        let mut s = Self { nodes };
        for (a, b) in [(LEFT, BOTTOM), (BOTTOM, TOP), (TOP, LEFT)] {
            s.nodes[a as usize].next = b;
            s.nodes[b as usize].prev = a;
        }
        s
    }

    #[inline]
    fn x(&self, i: u32) -> [f64; 3] {
        self.nodes[i as usize].x
    }

    #[inline]
    fn node(&mut self, i: u32) -> &mut Node {
        &mut self.nodes[i as usize]
    }

    /// Links `q` into the staircase between its delimiters (hiding what it covers).
    #[inline]
    fn link_at_closest(&mut self, q: u32) {
        let [c0, c1] = self.nodes[q as usize].closest;
        self.node(q).cnext = [c0, c1];
        self.node(c0).cnext[1] = q;
        self.node(c1).cnext[0] = q;
    }

    /// Rebuilds the staircase of the points below `p` in z and finds `p`'s
    /// delimiters and place in the list. False when a point there weakly
    /// dominates `p` in 3-D (then `p`, later in the 4th objective, adds nothing).
    fn restart(&mut self, p: u32) -> bool {
        let px = self.x(p);
        let (mut c0, mut c1) = (BOTTOM, LEFT);
        let (mut c0x, mut c1x) = (self.x(BOTTOM), self.x(LEFT));
        self.node(LEFT).cnext[0] = BOTTOM;
        self.node(BOTTOM).cnext[1] = LEFT;
        let mut q = self.nodes[BOTTOM as usize].next;
        loop {
            let qx = self.x(q);
            if qx[0] <= px[0] && qx[1] <= px[1] && qx[2] <= px[2] {
                return false;
            }
            let below = qx[2] < px[2]
                || (qx[2] == px[2] && (qx[1] < px[1] || (qx[1] == px[1] && qx[0] < px[0])));
            if !below {
                let prev = self.nodes[q as usize].prev;
                let node = self.node(p);
                node.closest = [c0, c1];
                node.prev = prev;
                node.next = q;
                return true;
            }
            self.link_at_closest(q);
            if qx[1] < px[1] && (qx[0] < c0x[0] || (qx[0] == c0x[0] && qx[1] < c0x[1])) {
                (c0, c0x) = (q, qx);
            } else if qx[0] < px[0] && (qx[1] < c1x[1] || (qx[1] == c1x[1] && qx[0] < c1x[0])) {
                (c1, c1x) = (q, qx);
            }
            q = self.nodes[q as usize].next;
        }
    }

    /// Area of the (x, y) region dominated by `px` and not by the staircase,
    /// walking the staircase from `q` along axis `i` (0: growing x, 1: growing y).
    #[inline]
    fn area_from(&self, px: [f64; 2], mut q: u32, i: usize) -> f64 {
        let j = 1 - i;
        let mut u = self.nodes[q as usize].cnext[i];
        let mut area = (self.x(q)[j] - px[j]) * (self.x(u)[i] - px[i]);
        while px[j] < self.x(u)[j] {
            q = u;
            u = self.nodes[q as usize].cnext[i];
            area += (self.x(q)[j] - px[j]) * (self.x(u)[i] - self.x(q)[i]);
        }
        area
    }

    /// 3-D exclusive volume of `p` against the points in the list: its
    /// exclusive (x, y) area, swept upward in z as points above cut into it.
    fn one_contribution(&mut self, p: u32) -> f64 {
        let px = self.x(p);
        self.node(p).cnext = self.nodes[p as usize].closest;
        let mut area = self.area_from([px[0], px[1]], self.nodes[p as usize].cnext[0], 1);
        let mut volume = 0.0;
        let mut last_z = px[2];
        let mut q = self.nodes[p as usize].next;
        loop {
            let qx = self.x(q);
            volume += area * (qx[2] - last_z);
            if qx[0] <= px[0] && qx[1] <= px[1] {
                return volume;
            }
            let closest = self.nodes[q as usize].closest;
            self.node(q).cnext = closest;
            let [p_right, p_left] = self.nodes[p as usize].cnext;
            if qx[0] < px[0] {
                // q cuts p's region from above: it becomes p's left delimiter.
                if qx[1] <= self.x(p_left)[1] {
                    area -= self.area_from([px[0], qx[1]], p_left, 0);
                    self.node(q).cnext[1] = p_left;
                    self.node(closest[0]).cnext[1] = q;
                    self.node(p).cnext[1] = q;
                }
            } else if qx[1] < px[1] {
                // q cuts p's region from the right: it becomes p's right delimiter.
                if qx[0] <= self.x(p_right)[0] {
                    area -= self.area_from([qx[0], px[1]], p_right, 1);
                    self.node(q).cnext[0] = p_right;
                    self.node(closest[1]).cnext[0] = q;
                    self.node(p).cnext[0] = q;
                }
            } else {
                // q lies inside p's box: it covers its own exclusive area there.
                area -= self.area_from([qx[0], qx[1]], closest[0], 1);
                self.node(closest[1]).cnext[0] = q;
                self.node(closest[0]).cnext[1] = q;
            }
            last_z = qx[2];
            q = self.nodes[q as usize].next;
        }
    }

    fn add_to_z(&mut self, p: u32) {
        let prev = self.nodes[p as usize].prev;
        let next = self.nodes[prev as usize].next;
        self.node(p).next = next;
        self.node(next).prev = p;
        self.node(prev).next = p;
    }

    /// Walks the points above `p` in z: removes those `p` dominates in 3-D and
    /// makes `p` the closest delimiter of those it now delimits.
    fn update_links(&mut self, p: u32) {
        let px = self.x(p);
        let mut q = self.nodes[p as usize].next;
        while q != TOP {
            let qx = self.x(q);
            if qx[0] <= px[0] && qx[1] <= px[1] && (qx[0] < px[0] || qx[1] < px[1]) {
                // Everything above q is delimited at least as well by q.
                return;
            }
            let next = self.nodes[q as usize].next;
            if px[0] <= qx[0] {
                if px[1] <= qx[1] {
                    let prev = self.nodes[q as usize].prev;
                    self.node(prev).next = next;
                    self.node(next).prev = prev;
                } else if px[0] < qx[0] {
                    let c = self.x(self.nodes[q as usize].closest[1]);
                    if lex_less(px, c, [1, 0, 2]) {
                        self.node(q).closest[1] = p;
                    }
                }
            } else if px[1] < qx[1] {
                let c = self.x(self.nodes[q as usize].closest[0]);
                if lex_less(px, c, [0, 1, 2]) {
                    self.node(q).closest[0] = p;
                }
            }
            q = next;
        }
    }
}

/// Lexicographic `a < b` over the coordinates in `order`.
#[inline]
fn lex_less(a: [f64; 3], b: [f64; 3], order: [usize; 3]) -> bool {
    for k in order {
        if a[k] != b[k] {
            return a[k] < b[k];
        }
    }
    false
}
