use super::*;
use crate::SurrogateError;
use linfa::prelude::*;
use ndarray::{Array1, Array2};
use proptest::prelude::*;

/// Deterministic pseudo-random features in [0, 1).
fn grid(n: usize, p: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, p), |(i, j)| {
        ((i * 7919 + j * 104_729 + 13) % 1000) as f64 / 1000.0
    })
}

fn smooth_target(x: &Array2<f64>) -> Array1<f64> {
    x.rows()
        .into_iter()
        .map(|r| (3.0 * r[0]).sin() + r[1] * r[1] - 0.5 * r[2])
        .collect()
}

#[test]
fn a_single_tree_fits_a_step_function_exactly() {
    let x = grid(100, 2);
    let y = x.column(0).mapv(|v| if v > 0.37 { 3.0 } else { -1.0 });
    let data = Dataset::new(x, y.clone());
    let model = GradientBoostedTrees::params()
        .n_trees(1)
        .max_depth(1)
        .learning_rate(1.0)
        .lambda(0.0)
        .subsample(1.0)
        .colsample(1.0)
        .fit(&data)
        .unwrap();
    assert_eq!(model.trees()[0].n_leaves(), 2);
    let pred = model.predict(data.records());
    for (p, t) in pred.iter().zip(&y) {
        assert!((p - t).abs() < 1e-12, "{p} vs {t}");
    }
    assert_eq!(model.feature_importance(), Array1::from(vec![1.0, 0.0]));
}

#[test]
fn training_error_falls_monotonically_with_trees() {
    let x = grid(300, 3);
    let y = smooth_target(&x);
    let data = Dataset::new(x, y);
    let params = GradientBoostedTrees::params()
        .n_trees(60)
        .max_depth(3)
        .learning_rate(0.3)
        .subsample(1.0)
        .colsample(1.0)
        .check()
        .unwrap();
    // Watching the training set itself records the training loss after every tree.
    let model = params.fit_with_validation(&data, &data).unwrap();
    let losses = model.validation_loss();
    assert_eq!(losses.len(), 60);
    for w in losses.windows(2) {
        assert!(w[1] <= w[0], "training loss rose: {} -> {}", w[0], w[1]);
    }
    assert!(
        losses[59] < 0.01 * losses[0],
        "{} vs {}",
        losses[59],
        losses[0]
    );
}

#[test]
fn predictions_are_invariant_to_a_monotone_feature_transform() {
    let x = grid(400, 3);
    let y = smooth_target(&x);
    let mut z = x.clone();
    z.column_mut(1).mapv_inplace(|v| (5.0 * v).exp() - 7.0);
    z.column_mut(2).mapv_inplace(|v| v * v * v);
    let params = GradientBoostedTrees::params().n_trees(40).max_depth(4);
    let a = params.fit(&Dataset::new(x.clone(), y.clone())).unwrap();
    let b = params.fit(&Dataset::new(z.clone(), y)).unwrap();
    assert_eq!(a.predict(&x), b.predict(&z));
}

#[test]
fn a_fitted_model_survives_a_serde_round_trip() {
    let x = grid(200, 3);
    let data = Dataset::new(x.clone(), smooth_target(&x));
    let model = GradientBoostedTrees::params()
        .n_trees(30)
        .max_depth(4)
        .fit(&data)
        .unwrap();
    let json = serde_json::to_string(&model).unwrap();
    let back: GradientBoostedTrees = serde_json::from_str(&json).unwrap();
    assert_eq!(back, model);
    assert_eq!(back.predict(&x), model.predict(&x));
}

#[test]
fn early_stopping_keeps_the_best_prefix() {
    let x = grid(300, 3);
    // A signal plus noise the features cannot explain: validation loss first
    // falls, then rises as trees fit the noise.
    let y: Array1<f64> = (0..300)
        .map(|i| 10.0 * x[[i, 0]] + ((i * 37) % 11) as f64)
        .collect();
    let (train, valid) = Dataset::new(x, y).split_with_ratio(0.7);
    let params = GradientBoostedTrees::params()
        .n_trees(400)
        .max_depth(4)
        .learning_rate(0.3)
        .early_stopping(10)
        .check()
        .unwrap();
    let model = params.fit_with_validation(&train, &valid).unwrap();
    let losses = model.validation_loss();
    assert!(losses.len() < 400, "never stopped");
    assert!(model.n_trees() > 0);
    let best = losses.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(losses[model.n_trees() - 1], best);
    assert_eq!(losses.len(), model.n_trees() + 10);

    // Without an explicit validation set a hold-out is used.
    let internal = GradientBoostedTrees::params()
        .n_trees(400)
        .learning_rate(0.3)
        .early_stopping(5)
        .fit(&train)
        .unwrap();
    assert!(internal.n_trees() < 400);
}

#[test]
fn fit_with_none_is_fit_and_with_a_model_adds_trees() {
    let x = grid(150, 3);
    let data = Dataset::new(x.clone(), smooth_target(&x));
    let params = GradientBoostedTrees::params()
        .n_trees(20)
        .max_depth(3)
        .check()
        .unwrap();
    let fitted = params.fit(&data).unwrap();
    let via_fit_with = params.fit_with(None, &data).unwrap();
    assert_eq!(fitted, via_fit_with);
    let more = params.fit_with(Some(fitted.clone()), &data).unwrap();
    assert_eq!(more.n_trees(), 40);
    assert_eq!(&more.trees()[..20], fitted.trees());
}

#[test]
fn warm_start_on_a_shifted_domain_beats_the_old_model() {
    let x = grid(400, 3);
    let y = smooth_target(&x);
    let shifted = &y * 1.5 + 0.7;
    let params = GradientBoostedTrees::params()
        .n_trees(100)
        .max_depth(3)
        .learning_rate(0.1);
    let base = params.fit(&Dataset::new(x.clone(), y)).unwrap();
    // Few rows of the new domain, features on a new scale (new bin edges).
    let few = x.slice(ndarray::s![..40, ..]).mapv(|v| v * 10.0) / 10.0;
    let tuned = base
        .continue_training(
            &params.clone().n_trees(50),
            &Dataset::new(few, shifted.slice(ndarray::s![..40]).to_owned()),
        )
        .unwrap();
    let rmse = |m: &GradientBoostedTrees| {
        let d = m.predict(&x.slice(ndarray::s![40.., ..])) - shifted.slice(ndarray::s![40..]);
        d.mapv(|v| v * v).mean().unwrap().sqrt()
    };
    assert!(
        rmse(&tuned) < 0.5 * rmse(&base),
        "{} vs {}",
        rmse(&tuned),
        rmse(&base)
    );
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let mut x = grid(20, 2);
    let y = Array1::zeros(20);
    x[[3, 1]] = f64::NAN;
    let err = GradientBoostedTrees::params()
        .fit(&Dataset::new(x.clone(), y.clone()))
        .unwrap_err();
    assert!(
        matches!(
            err,
            SurrogateError::NonFinite {
                row: 3,
                column: Some(1),
                ..
            }
        ),
        "{err}"
    );

    x[[3, 1]] = 0.0;
    let model = GradientBoostedTrees::params()
        .n_trees(2)
        .fit(&Dataset::new(x, y))
        .unwrap();
    let err = model.try_predict(&grid(5, 3)).unwrap_err();
    assert!(matches!(
        err,
        SurrogateError::FeatureMismatch {
            expected: 2,
            found: 3,
            ..
        }
    ));

    let empty = Dataset::new(Array2::<f64>::zeros((0, 2)), Array1::<f64>::zeros(0));
    assert!(GradientBoostedTrees::params().fit(&empty).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// One shrunk, regularised tree can only move a prediction from the mean
    /// towards its leaf's mean: it stays inside the targets' range.
    #[test]
    fn one_tree_predicts_inside_the_target_range(
        ys in prop::collection::vec(-100.0f64..100.0, 8..80),
        lr in 0.05f64..1.0,
        lambda in 0.0f64..5.0,
    ) {
        let n = ys.len();
        let x = grid(n, 2);
        let y = Array1::from(ys);
        let model = GradientBoostedTrees::params()
            .n_trees(1)
            .max_depth(3)
            .learning_rate(lr)
            .lambda(lambda)
            .fit(&Dataset::new(x.clone(), y.clone()))
            .unwrap();
        let (lo, hi) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        for p in model.predict(&x) {
            prop_assert!(p >= lo - 1e-9 && p <= hi + 1e-9);
        }
        let imp = model.feature_importance();
        prop_assert!(imp.sum() == 0.0 || (imp.sum() - 1.0).abs() < 1e-9);
    }
}

#[test]
fn missing_values_at_prediction_follow_the_right_branches() {
    let x = grid(200, 3);
    let model = GradientBoostedTrees::params()
        .n_trees(20)
        .max_depth(3)
        .fit(&Dataset::new(x.clone(), smooth_target(&x)))
        .unwrap();
    let mut nan = x.slice(ndarray::s![..5, ..]).to_owned();
    nan.column_mut(0).fill(f64::NAN);
    let mut inf = nan.clone();
    inf.column_mut(0).fill(f64::INFINITY);
    assert_eq!(
        model.try_predict(&nan).unwrap(),
        model.try_predict(&inf).unwrap()
    );
}
