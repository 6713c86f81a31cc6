//! The boosting loop: gradients, subsampling, one tree per round, early stopping.

use super::GradientBoostedTrees;
use super::hyperparams::GbdtValidParams;
use crate::binning::BinMapper;
use crate::data::{check_training, check_width, require_rows, row_major};
use crate::error::Result;
use crate::loss::Loss;
use crate::tree::Grower;
use ndarray::{ArrayView1, ArrayView2, Axis};
use rand::Rng;
use rand::SeedableRng;
use rand::seq::{SliceRandom, index};
use rand_chacha::ChaCha8Rng;

/// Relative improvement below which a validation loss counts as no better.
const MIN_IMPROVEMENT: f64 = 1e-12;

/// Fits `params.n_trees` more trees on `(x, y)`, starting from `start` (warm
/// start) or from the loss's constant initial score.
pub(crate) fn boost<L: Loss>(
    params: &GbdtValidParams<L>,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    start: Option<&GradientBoostedTrees<L>>,
    validation: Option<(ArrayView2<'_, f64>, ArrayView1<'_, f64>)>,
) -> Result<GradientBoostedTrees<L>> {
    check_training("training set", &x, y)?;
    if let Some(model) = start {
        check_width("training set", &x, model.n_features)?;
    }
    if let Some((xv, yv)) = validation {
        check_training("validation set", &xv, yv)?;
        check_width("validation set", &xv, x.ncols())?;
    } else if params.early_stopping_rounds.is_some() {
        return boost_with_holdout(params, x, y, start);
    }

    let (n, p) = x.dim();
    let y: Vec<f64> = y.to_vec();
    let mut model = match start {
        Some(m) => m.clone(),
        None => GradientBoostedTrees::empty(params.loss.clone(), params.loss.initial_score(&y), p),
    };
    model.loss = params.loss.clone();
    model.validation_loss.clear();
    let mut preds = model.predict_slice(&row_major(&x), n);

    let mapper = BinMapper::fit(&x, params.max_bins);
    let binned = mapper.transform(&x);
    let mut grower = Grower::new(&binned, &mapper, params.grow_params());
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);

    let n_cols = colsample_count(params.colsample, p);
    let mut grad = vec![0.0; n];
    let mut hess = vec![0.0; n];
    let mut gh = vec![[0.0; 2]; n];
    let mut rows: Vec<u32> = Vec::with_capacity(n);
    let mut features: Vec<usize> = Vec::with_capacity(p);

    let mut valid = validation.map(|(xv, yv)| {
        let flat = row_major(&xv).into_owned();
        let preds = model.predict_slice(&flat, xv.nrows());
        (flat, yv.to_vec(), preds)
    });
    let mut best = valid
        .as_ref()
        .map_or(f64::INFINITY, |(_, yv, pv)| params.loss.mean_loss(yv, pv));
    let mut best_len = model.trees.len();
    let mut since_best = 0;

    for round in 0..params.n_trees {
        params.loss.gradients(&y, &preds, &mut grad, &mut hess);
        for ((e, &g), &h) in gh.iter_mut().zip(&grad).zip(&hess) {
            *e = [g, h];
        }
        rows.clear();
        if params.subsample >= 1.0 {
            rows.extend(0..n as u32);
        } else {
            // XGBoost's uniform sampling: each row independently (so the
            // count varies from tree to tree); ascending rows read the bin
            // columns in order.
            rows.extend((0..n as u32).filter(|_| rng.random_bool(params.subsample)));
        }
        features.clear();
        if n_cols == p {
            features.extend(0..p);
        } else {
            features.extend(index::sample(&mut rng, p, n_cols).iter());
            features.sort_unstable();
        }

        let tree = grower.grow(&gh, &mut rows, &features);
        for (r, pred) in preds.iter_mut().enumerate() {
            *pred += grower.predict_binned(&tree, r);
        }
        let mut stop = false;
        if let Some((xv, yv, pv)) = valid.as_mut() {
            for (row, pred) in xv.chunks_exact(p).zip(pv.iter_mut()) {
                *pred += tree.predict_row(row);
            }
            let loss = params.loss.mean_loss(yv, pv);
            model.validation_loss.push(loss);
            if loss < best - MIN_IMPROVEMENT * best.abs() {
                best = loss;
                best_len = model.trees.len() + 1;
                since_best = 0;
            } else {
                since_best += 1;
                stop = params
                    .early_stopping_rounds
                    .is_some_and(|r| since_best >= r);
            }
        }
        model.trees.push(tree);
        if round % 100 == 99 {
            tracing::debug!(round = round + 1, "boosting");
        }
        if stop {
            tracing::debug!(round = round + 1, best_len, "early stopping");
            break;
        }
    }
    if params.early_stopping_rounds.is_some() {
        model.trees.truncate(best_len);
    }
    tracing::debug!(
        trees = model.trees.len(),
        rows = n,
        features = p,
        loss = params.loss.name(),
        "fitted gradient-boosted trees"
    );
    Ok(model)
}

/// Early stopping without a validation set: hold out a random
/// `validation_fraction` of the rows.
fn boost_with_holdout<L: Loss>(
    params: &GbdtValidParams<L>,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    start: Option<&GradientBoostedTrees<L>>,
) -> Result<GradientBoostedTrees<L>> {
    let n = x.nrows();
    require_rows("early stopping needs a validation hold-out", n, 2)?;
    let n_valid = ((n as f64 * params.validation_fraction).round() as usize).clamp(1, n - 1);
    let mut order: Vec<usize> = (0..n).collect();
    // A stream apart from the subsampling one, so both stay reproducible.
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(
        params.seed ^ 0x5eed_0fea_51ed,
    ));
    let (valid, train) = order.split_at(n_valid);
    let (xt, yt) = (x.select(Axis(0), train), y.select(Axis(0), train));
    let (xv, yv) = (x.select(Axis(0), valid), y.select(Axis(0), valid));
    boost(
        params,
        xt.view(),
        yt.view(),
        start,
        Some((xv.view(), yv.view())),
    )
}

/// Features drawn per tree: `⌊colsample · p⌋`, at least 1, computed in `f32`
/// as XGBoost's `colsample_bytree` does (0.8 of 11 features is 8, not 9).
fn colsample_count(colsample: f64, p: usize) -> usize {
    ((colsample as f32 * p as f32).floor() as usize).clamp(1, p.max(1))
}

#[cfg(test)]
mod sampling_tests {
    use super::colsample_count;

    #[test]
    fn colsample_rounds_down_like_xgboost() {
        assert_eq!(colsample_count(0.8, 11), 8);
        assert_eq!(colsample_count(0.8, 10), 8);
        assert_eq!(colsample_count(0.7, 10), 7);
        assert_eq!(colsample_count(0.01, 10), 1);
        assert_eq!(colsample_count(1.0, 11), 11);
    }
}
