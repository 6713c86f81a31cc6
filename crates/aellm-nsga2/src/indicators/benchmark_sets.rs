//! Deterministic point sets for checking and timing hypervolume, and the
//! figures moocore recorded on them.
//!
//! `crates/aellm-nsga2/scripts/moocore_hv.py` rebuilds these sets bit for bit
//! (the same 64-bit LCG, the same float operations in the same order), runs
//! moocore's exact hypervolume on each and writes its value and median time to
//! `crates/aellm-nsga2/datasets/moocore_hv.csv`, which [`moocore_records`]
//! reads. The tests check our values against it; the `hypervolume_benchmark`
//! example prints our time beside moocore's.
//!
//! ```
//! use aellm_nsga2::indicators::benchmark_sets;
//! let rec = &benchmark_sets::moocore_records()[0];
//! let ours = rec.indicator.compute(&rec.points(), &rec.reference()).unwrap();
//! assert!((ours - rec.value).abs() <= 1e-12 * rec.value.max(1.0));
//! ```

use serde::{Deserialize, Serialize};

use super::{hypervolume, hypervolume_contributions};
use crate::error::Result;

/// moocore's recorded figures, as written by `scripts/moocore_hv.py`.
const RECORDED: &str = include_str!("../../datasets/moocore_hv.csv");

/// The 64-bit linear congruential generator the Python script reproduces.
#[derive(Debug, Clone)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number in [0, 1), from the top 53 bits of the state.
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The shape of a benchmark set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Mutually non-dominated points on the positive unit sphere (the hard case).
    Sphere,
    /// Uniform points in the unit cube (most of them dominated).
    Cube,
}

/// `n` points in `d` objectives of the given shape from `seed`.
pub fn points(shape: Shape, n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut g = Lcg(seed);
    (0..n)
        .map(|_| match shape {
            Shape::Cube => (0..d).map(|_| g.next_f64()).collect(),
            Shape::Sphere => {
                let u: Vec<f64> = (0..d).map(|_| g.next_f64() + 1e-3).collect();
                // Summed left to right, as the script does.
                let norm = u.iter().fold(0.0, |s, x| s + x * x).sqrt();
                u.iter().map(|x| x / norm).collect()
            }
        })
        .collect()
}

/// What a record measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// The exact hypervolume (moocore's `hypervolume`).
    Hypervolume,
    /// The sum of every point's exclusive contribution (moocore's `hv_contributions`).
    ContributionsSum,
}

impl Indicator {
    /// Our value of this indicator on `points`.
    pub fn compute(self, points: &[Vec<f64>], reference: &[f64]) -> Result<f64> {
        match self {
            Self::Hypervolume => hypervolume(points, reference),
            Self::ContributionsSum => {
                Ok(hypervolume_contributions(points, reference)?.iter().sum())
            }
        }
    }
}

/// One line of the recorded file: a set's recipe and moocore's figures on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoocoreRecord {
    /// What was measured.
    pub indicator: Indicator,
    /// The set's shape.
    pub shape: Shape,
    /// Number of points.
    pub n: usize,
    /// Number of objectives.
    pub d: usize,
    /// Generator seed.
    pub seed: u64,
    /// moocore's value of the indicator.
    pub value: f64,
    /// moocore's median wall-clock time per call, in seconds (measured by the
    /// script on the machine named in the file's header).
    pub moocore_seconds: f64,
    /// moocore's median CPU time per call of the calling thread, in seconds
    /// (what the script's process ran, whatever else the machine was doing).
    pub moocore_cpu_seconds: f64,
}

impl MoocoreRecord {
    /// The point set this record was computed on.
    pub fn points(&self) -> Vec<Vec<f64>> {
        points(self.shape, self.n, self.d, self.seed)
    }

    /// The reference point the script used: 1.1 in every objective.
    pub fn reference(&self) -> Vec<f64> {
        vec![1.1; self.d]
    }
}

/// The committed file's header comments (moocore's version, date, machine, load).
pub fn moocore_provenance() -> Vec<&'static str> {
    provenance(RECORDED)
}

/// Every record of the committed file, in its order.
pub fn moocore_records() -> Vec<MoocoreRecord> {
    parse_records(RECORDED)
}

/// The header comments of a file in the script's format.
pub fn provenance(text: &str) -> Vec<&str> {
    text.lines().filter_map(|l| l.strip_prefix("# ")).collect()
}

/// The records of a file in the script's format (a freshly written one, say);
/// lines that do not parse are skipped.
pub fn parse_records(text: &str) -> Vec<MoocoreRecord> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("indicator,") && !l.trim().is_empty())
        .filter_map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Option<MoocoreRecord> {
    let f: Vec<&str> = line.trim().split(',').collect();
    let [indicator, shape, n, d, seed, value, secs, cpu] = f.as_slice() else {
        return None;
    };
    Some(MoocoreRecord {
        indicator: match *indicator {
            "hypervolume" => Indicator::Hypervolume,
            "contributions_sum" => Indicator::ContributionsSum,
            _ => return None,
        },
        shape: match *shape {
            "sphere" => Shape::Sphere,
            "cube" => Shape::Cube,
            _ => return None,
        },
        n: n.parse().ok()?,
        d: d.parse().ok()?,
        seed: seed.parse().ok()?,
        value: value.parse().ok()?,
        moocore_seconds: secs.parse().ok()?,
        moocore_cpu_seconds: cpu.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_parses_and_the_generator_matches_the_script() {
        let n_lines = RECORDED
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("indicator,"))
            .count();
        assert_eq!(moocore_records().len(), n_lines);
        // Values the Python generator printed for these sets.
        assert_eq!(points(Shape::Sphere, 200, 3, 1)[0][0], 0.45686928461094656);
        assert_eq!(points(Shape::Cube, 60, 5, 6)[0][0], 0.1482117508448101);
        assert!(moocore_provenance()[0].starts_with("moocore "));
    }

    #[test]
    fn equals_moocore_to_1e12_relative() {
        for rec in moocore_records() {
            let ours = rec
                .indicator
                .compute(&rec.points(), &rec.reference())
                .unwrap();
            // Relative to the volume, absolute below 1: a sum of contributions
            // is small beside the boxes it is computed from.
            assert!(
                (ours - rec.value).abs() <= 1e-12 * rec.value.max(1.0),
                "{:?} on {:?} {}x{}: ours {ours}, moocore {}",
                rec.indicator,
                rec.shape,
                rec.n,
                rec.d,
                rec.value
            );
        }
    }
}
