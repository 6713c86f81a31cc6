//! The boosting loop: gradients, subsampling, one tree per round, early stopping.

use super::GradientBoostedTrees;
use super::hyperparams::GbdtValidParams;
use crate::binning::BinMapper;
use crate::data::{check_training, check_width, require_rows, row_major};
use crate::error::Result;
use crate::loss::Loss;
use crate::tree::{Bin, Grower, Tree};
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
    check_inputs(&x, y, start, validation)?;
    if validation.is_none() && params.early_stopping_rounds.is_some() {
        return boost_with_holdout(params, x, y, start);
    }

    let (n, p) = x.dim();
    let y: Vec<f64> = y.to_vec();
    let mut model = starting_model(params, &y, start, p);
    let mut preds = model.predict_slice(&row_major(&x), n);

    let mapper = BinMapper::fit(&x, params.max_bins);
    let binned = mapper.transform(&x);
    let mut grower = Grower::new(&binned, &mapper, params.grow_params());
    let mut sampler = Sampler::new(params, n, p);
    let mut gradients = Gradients::new(n);
    let mut monitor = Monitor::new(&params.loss, &model, validation);

    for round in 0..params.n_trees {
        let gh = gradients.compute(&params.loss, &y, &preds);
        let (rows, features) = sampler.draw();
        let tree = grower.grow(gh, rows, features);
        for (r, pred) in preds.iter_mut().enumerate() {
            *pred += grower.predict_binned(&tree, r);
        }
        let stop = monitor.observe(params, &mut model, &tree);
        model.trees.push(tree);
        if round % 100 == 99 {
            tracing::debug!(round = round + 1, "boosting");
        }
        if stop {
            tracing::debug!(
                round = round + 1,
                best_len = monitor.best_len,
                "early stopping"
            );
            break;
        }
    }
    if params.early_stopping_rounds.is_some() {
        model.trees.truncate(monitor.best_len);
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

/// Checks the training set, its width against a warm start's, and the
/// validation set against both.
fn check_inputs<L: Loss>(
    x: &ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    start: Option<&GradientBoostedTrees<L>>,
    validation: Option<(ArrayView2<'_, f64>, ArrayView1<'_, f64>)>,
) -> Result<()> {
    check_training("training set", x, y)?;
    if let Some(model) = start {
        check_width("training set", x, model.n_features)?;
    }
    if let Some((xv, yv)) = validation {
        check_training("validation set", &xv, yv)?;
        check_width("validation set", &xv, x.ncols())?;
    }
    Ok(())
}

/// The model boosting starts from: a copy of the warm start (with this fit's
/// loss and no validation history) or the loss's constant score on `y`.
fn starting_model<L: Loss>(
    params: &GbdtValidParams<L>,
    y: &[f64],
    start: Option<&GradientBoostedTrees<L>>,
    p: usize,
) -> GradientBoostedTrees<L> {
    let mut model = match start {
        Some(m) => m.clone(),
        None => GradientBoostedTrees::empty(params.loss.clone(), params.loss.initial_score(y), p),
    };
    model.loss = params.loss.clone();
    model.validation_loss.clear();
    model
}

/// Per-row gradients and hessians of the current predictions, reused from
/// round to round.
struct Gradients {
    grad: Vec<f64>,
    hess: Vec<f64>,
    gh: Vec<Bin>,
}

impl Gradients {
    fn new(n: usize) -> Self {
        Self {
            grad: vec![0.0; n],
            hess: vec![0.0; n],
            gh: vec![[0.0; 2]; n],
        }
    }

    /// The gradient/hessian pair of each row for predictions `preds` of `y`.
    fn compute<L: Loss>(&mut self, loss: &L, y: &[f64], preds: &[f64]) -> &[Bin] {
        loss.gradients(y, preds, &mut self.grad, &mut self.hess);
        for ((e, &g), &h) in self.gh.iter_mut().zip(&self.grad).zip(&self.hess) {
            *e = [g, h];
        }
        &self.gh
    }
}

/// Draws each tree's rows and features from one seeded stream.
struct Sampler {
    rng: ChaCha8Rng,
    subsample: f64,
    n: usize,
    p: usize,
    n_cols: usize,
    rows: Vec<u32>,
    features: Vec<usize>,
}

impl Sampler {
    fn new<L: Loss>(params: &GbdtValidParams<L>, n: usize, p: usize) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(params.seed),
            subsample: params.subsample,
            n,
            p,
            n_cols: colsample_count(params.colsample, p),
            rows: Vec::with_capacity(n),
            features: Vec::with_capacity(p),
        }
    }

    /// The next tree's rows and its features (both ascending); rows first,
    /// so the stream is the same as drawing them one after the other.
    fn draw(&mut self) -> (&mut [u32], &[usize]) {
        let n = self.n as u32;
        self.rows.clear();
        if self.subsample >= 1.0 {
            self.rows.extend(0..n);
        } else {
            // XGBoost's uniform sampling: each row independently (so the
            // count varies from tree to tree); ascending rows read the bin
            // columns in order.
            let (rng, subsample) = (&mut self.rng, self.subsample);
            self.rows
                .extend((0..n).filter(|_| rng.random_bool(subsample)));
        }
        self.features.clear();
        if self.n_cols == self.p {
            self.features.extend(0..self.p);
        } else {
            self.features
                .extend(index::sample(&mut self.rng, self.p, self.n_cols).iter());
            self.features.sort_unstable();
        }
        (&mut self.rows, &self.features)
    }
}

/// The validation set's rows (row-major), targets and running predictions.
struct Validation {
    x: Vec<f64>,
    width: usize,
    y: Vec<f64>,
    preds: Vec<f64>,
}

/// Follows the validation loss tree by tree and says when to stop early.
struct Monitor {
    valid: Option<Validation>,
    best: f64,
    /// Trees of the best model so far.
    best_len: usize,
    since_best: usize,
}

impl Monitor {
    fn new<L: Loss>(
        loss: &L,
        model: &GradientBoostedTrees<L>,
        validation: Option<(ArrayView2<'_, f64>, ArrayView1<'_, f64>)>,
    ) -> Self {
        let valid = validation.map(|(xv, yv)| {
            let x = row_major(&xv).into_owned();
            let preds = model.predict_slice(&x, xv.nrows());
            Validation {
                x,
                width: xv.ncols(),
                y: yv.to_vec(),
                preds,
            }
        });
        let best = valid
            .as_ref()
            .map_or(f64::INFINITY, |v| loss.mean_loss(&v.y, &v.preds));
        Self {
            valid,
            best,
            best_len: model.trees.len(),
            since_best: 0,
        }
    }

    /// Adds `tree` (about to be pushed on `model`) to the validation
    /// predictions, records the loss on `model`, and says whether the loss
    /// has not improved for `early_stopping_rounds` trees.
    fn observe<L: Loss>(
        &mut self,
        params: &GbdtValidParams<L>,
        model: &mut GradientBoostedTrees<L>,
        tree: &Tree,
    ) -> bool {
        let Some(v) = self.valid.as_mut() else {
            return false;
        };
        for (row, pred) in v.x.chunks_exact(v.width).zip(v.preds.iter_mut()) {
            *pred += tree.predict_row(row);
        }
        let loss = params.loss.mean_loss(&v.y, &v.preds);
        model.validation_loss.push(loss);
        if loss < self.best - MIN_IMPROVEMENT * self.best.abs() {
            self.best = loss;
            self.best_len = model.trees.len() + 1;
            self.since_best = 0;
            false
        } else {
            self.since_best += 1;
            params
                .early_stopping_rounds
                .is_some_and(|r| self.since_best >= r)
        }
    }
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
