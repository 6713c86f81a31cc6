//! Benchmark data bundled with the crate (see `datasets/README.md` for
//! sources and licences) and the Friedman #1 generator.

use crate::error::{Result, SurrogateError};
use linfa::Dataset;
use ndarray::{Array1, Array2, Ix1};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

const DIABETES: &str = include_str!("../datasets/diabetes.csv");
const WINEQUALITY_RED: &str = include_str!("../datasets/winequality-red.csv");
const DIABETES_FOLDS: &str = include_str!("../datasets/folds-diabetes.csv");
const WINEQUALITY_RED_FOLDS: &str = include_str!("../datasets/folds-winequality-red.csv");

/// scikit-learn's diabetes data, unscaled: 442 patients, 10 baseline
/// variables (age, sex, bmi, bp, s1–s6), target a disease progression score.
pub fn diabetes() -> Result<Dataset<f64, f64, Ix1>> {
    parse_csv("diabetes.csv", DIABETES)
}

/// UCI wine quality, red: 1,599 wines, 11 physico-chemical features,
/// target the quality score (0–10).
pub fn winequality_red() -> Result<Dataset<f64, f64, Ix1>> {
    parse_csv("winequality-red.csv", WINEQUALITY_RED)
}

/// The fold of every row of [`diabetes`] for 3 repeats of 5-fold
/// cross-validation (`folds[repeat][row]`), as shipped in
/// `datasets/folds-diabetes.csv` and read by the XGBoost/LightGBM reference
/// script too: scikit-learn's `RepeatedKFold(n_splits=5, n_repeats=3,
/// random_state=17)`, exported by `datasets/write_sklearn_folds.py`.
pub fn diabetes_folds() -> Result<Vec<Vec<usize>>> {
    parse_folds("folds-diabetes.csv", DIABETES_FOLDS)
}

/// Folds of [`winequality_red`], exported as [`diabetes_folds`].
pub fn winequality_red_folds() -> Result<Vec<Vec<usize>>> {
    parse_folds("folds-winequality-red.csv", WINEQUALITY_RED_FOLDS)
}

/// Friedman #1 (Friedman 1991; scikit-learn's `make_friedman1`): features
/// `x ~ U(0, 1)^10`, target
/// `10 sin(π x₀ x₁) + 20 (x₂ − ½)² + 10 x₃ + 5 x₄ + noise · N(0, 1)`;
/// features 5–9 are irrelevant.
pub fn friedman1(n: usize, noise: f64, seed: u64) -> Dataset<f64, f64, Ix1> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_simple_fn((n, 10), || rng.random::<f64>());
    let y: Array1<f64> = x
        .rows()
        .into_iter()
        .map(|r| {
            10.0 * (std::f64::consts::PI * r[0] * r[1]).sin()
                + 20.0 * (r[2] - 0.5).powi(2)
                + 10.0 * r[3]
                + 5.0 * r[4]
                + noise * rng.sample::<f64, _>(StandardNormal)
        })
        .collect();
    let names = (0..10).map(|i| format!("x{i}")).collect();
    Dataset::new(x, y).with_feature_names(names)
}

fn parse_error(file: &str, line: usize, reason: impl Into<String>) -> SurrogateError {
    SurrogateError::Parse {
        file: file.into(),
        line,
        reason: reason.into(),
    }
}

/// Numbers of one CSV line.
fn numbers(file: &str, line_no: usize, line: &str) -> Result<Vec<f64>> {
    line.split(',')
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| parse_error(file, line_no, format!("`{v}` is not a number")))
        })
        .collect()
}

/// A CSV with a header; the last column is the target.
fn parse_csv(file: &str, text: &str) -> Result<Dataset<f64, f64, Ix1>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| parse_error(file, 1, "empty file"))?
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let width = header.len();
    let mut values = Vec::new();
    let mut rows = 0;
    for (i, line) in lines.enumerate() {
        let v = numbers(file, i + 2, line)?;
        if v.len() != width {
            return Err(parse_error(
                file,
                i + 2,
                format!("{} fields, expected {width}", v.len()),
            ));
        }
        values.extend(v);
        rows += 1;
    }
    let table = Array2::from_shape_vec((rows, width), values)
        .map_err(|e| parse_error(file, 0, e.to_string()))?;
    let x = table.slice(ndarray::s![.., ..width - 1]).to_owned();
    let y = table.column(width - 1).to_owned();
    Ok(Dataset::new(x, y).with_feature_names(header[..width - 1].to_vec()))
}

/// `row,repeat0,repeat1,...` → `folds[repeat][row]`.
fn parse_folds(file: &str, text: &str) -> Result<Vec<Vec<usize>>> {
    let mut lines = text.lines();
    let repeats = lines
        .next()
        .ok_or_else(|| parse_error(file, 1, "empty file"))?
        .split(',')
        .count()
        - 1;
    let mut folds = vec![Vec::new(); repeats];
    for (i, line) in lines.enumerate() {
        let v = numbers(file, i + 2, line)?;
        if v.len() != repeats + 1 || v[0] as usize != i {
            return Err(parse_error(
                file,
                i + 2,
                "expected `row,fold,...` in row order",
            ));
        }
        for (r, f) in v[1..].iter().enumerate() {
            folds[r].push(*f as usize);
        }
    }
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_has_the_published_shapes() {
        let d = diabetes().unwrap();
        assert_eq!(d.records().dim(), (442, 10));
        assert_eq!(d.targets()[0], 151.0);
        let w = winequality_red().unwrap();
        assert_eq!(w.records().dim(), (1599, 11));
        assert_eq!(w.feature_names()[10], "alcohol");
    }

    /// The fold files are scikit-learn's output, not regenerable here: pin
    /// their bytes so that an accidental edit cannot silently move the
    /// benchmark away from the folds the XGBoost/LightGBM references used.
    #[test]
    fn shipped_folds_are_the_recorded_export() {
        let hash = |s: &str| blake3::hash(s.as_bytes()).to_hex().to_string();
        assert_eq!(
            hash(DIABETES_FOLDS),
            "7205da092fba27cb1c3cd441551d87b0418ae6504edab8ed51baae1f3dddd240"
        );
        assert_eq!(
            hash(WINEQUALITY_RED_FOLDS),
            "bb1453a2686418e7a24bb62b9a97c70b3989c4b5b2ec2fd6398911812fad1ac2"
        );
        for (folds, n) in [
            (diabetes_folds().unwrap(), 442),
            (winequality_red_folds().unwrap(), 1599),
        ] {
            assert_eq!(folds.len(), 3);
            for f in &folds {
                // scikit-learn's KFold: the first n mod 5 folds get one row more.
                let mut sizes = [0; 5];
                f.iter().for_each(|&k| sizes[k] += 1);
                let expected: Vec<usize> = (0..5).map(|k| n / 5 + usize::from(k < n % 5)).collect();
                assert_eq!(sizes.to_vec(), expected);
            }
        }
    }

    #[test]
    fn friedman1_is_seeded_and_noise_free_at_zero_noise() {
        let a = friedman1(50, 1.0, 7);
        assert_eq!(a.records(), friedman1(50, 1.0, 7).records());
        let clean = friedman1(50, 0.0, 7);
        let r = clean.records().row(0);
        let expected = 10.0 * (std::f64::consts::PI * r[0] * r[1]).sin()
            + 20.0 * (r[2] - 0.5).powi(2)
            + 10.0 * r[3]
            + 5.0 * r[4];
        assert!((clean.targets()[0] - expected).abs() < 1e-12);
    }
}
