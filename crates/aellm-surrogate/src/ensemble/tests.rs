use super::*;
use crate::GbdtParams;
use linfa::prelude::*;
use ndarray::{Array2, Ix1};

fn small_member() -> GbdtParams {
    GbdtParams::ae_llm()
        .n_trees(60)
        .max_depth(3)
        .learning_rate(0.1)
}

fn smooth(n: usize, offset: usize) -> Dataset<f64, f64, Ix1> {
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        (((i + offset) * 7919 + j * 104_729 + 13) % 1009) as f64 / 1009.0
    });
    let y = x
        .rows()
        .into_iter()
        .map(|r| (3.0 * r[0]).sin() + 2.0 * r[1])
        .collect();
    Dataset::new(x, y)
}

#[test]
fn deviation_shrinks_as_training_data_grows() {
    let test = smooth(200, 5000);
    let mean_std = |n| {
        let model = BootstrapEnsemble::params_with(small_member())
            .n_members(5)
            .fit(&smooth(n, 0))
            .unwrap();
        let (_, std) = model.predict_with_std(test.records()).unwrap();
        std.mean().unwrap()
    };
    let (few, many) = (mean_std(40), mean_std(640));
    assert!(many < 0.5 * few, "std {few} with 40 rows, {many} with 640");
}

#[test]
fn intervals_cover_about_ninety_percent_of_new_noisy_points() {
    let data = crate::datasets::friedman1(600, 1.0, 3);
    let (train, test) = data.split_with_ratio(0.5);
    let params = BootstrapEnsemble::params_with(small_member().n_trees(100)).n_members(6);
    let model = params.fit(&train).unwrap();
    let (mean, std) = model.predict_with_std(test.records()).unwrap();
    let inside = mean
        .iter()
        .zip(&std)
        .zip(test.targets())
        .filter(|((m, s), y)| (*y - *m).abs() <= Z90 * *s)
        .count() as f64
        / mean.len() as f64;
    assert!((0.82..=0.97).contains(&inside), "coverage {inside}");
    // The members' spread alone is far too narrow: OOB noise matters.
    let spread = model
        .predict_members(test.records())
        .unwrap()
        .var_axis(Axis(0), 0.0);
    let narrow = mean
        .iter()
        .zip(&spread)
        .zip(test.targets())
        .filter(|((m, v), y)| (*y - *m).abs() <= Z90 * v.sqrt())
        .count() as f64
        / mean.len() as f64;
    assert!(
        narrow < inside - 0.15,
        "spread-only coverage {narrow} vs {inside}"
    );
}

#[test]
fn fits_are_reproducible_and_survive_saving() {
    let data = smooth(80, 0);
    let params = BootstrapEnsemble::params_with(small_member())
        .n_members(3)
        .seed(9);
    let a = params.fit(&data).unwrap();
    assert_eq!(a, params.fit(&data).unwrap());
    let path = std::env::temp_dir().join(format!("aellm-ensemble-{}.json", std::process::id()));
    a.save_json(&path).unwrap();
    let b: BootstrapEnsemble = BootstrapEnsemble::load_json(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        a.predict_with_std(data.records()).unwrap(),
        b.predict_with_std(data.records()).unwrap()
    );
}

#[test]
fn bad_settings_and_inputs_are_errors() {
    let data = smooth(30, 0);
    assert!(BootstrapEnsemble::params().n_members(1).fit(&data).is_err());
    let model = BootstrapEnsemble::params_with(small_member().n_trees(5))
        .n_members(2)
        .fit(&data)
        .unwrap();
    assert!(matches!(
        model.predict_with_std(&Array2::<f64>::zeros((3, 5))),
        Err(SurrogateError::FeatureMismatch { .. })
    ));
}

#[test]
fn continued_ensembles_adapt_to_a_new_domain() {
    let old = smooth(300, 0);
    let new_y = old.targets().mapv(|v| 2.0 * v + 3.0);
    let params = BootstrapEnsemble::params_with(small_member()).n_members(3);
    let base = params.fit(&old).unwrap();
    let few = Dataset::new(
        old.records().slice(ndarray::s![..40, ..]).to_owned(),
        new_y.slice(ndarray::s![..40]).to_owned(),
    );
    let tuned = base.continue_training(&params, &few).unwrap();
    assert_eq!(tuned.members()[0].n_trees(), 120);
    let err = |e: &BootstrapEnsemble| {
        let (m, _) = e.predict_with_std(old.records()).unwrap();
        (m - &new_y).mapv(f64::abs).mean().unwrap()
    };
    assert!(
        err(&tuned) < 0.3 * err(&base),
        "{} vs {}",
        err(&tuned),
        err(&base)
    );
    assert!(
        base.continue_training(&params.clone().n_members(2), &few)
            .is_err()
    );
}
