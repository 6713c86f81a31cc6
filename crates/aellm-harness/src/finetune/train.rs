//! The training loop shared by pre-training and fine-tuning.

use crate::error::{HarnessError, Result};
use crate::model::Transformer;
use crate::tasks::{Example, Tokenizer, Vocabulary, batch_with};
use candle_core::Var;
use candle_core::{D, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How long and how hard to train.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainRecipe {
    /// Optimiser steps.
    pub steps: usize,
    /// Examples per step.
    pub batch: usize,
    /// Peak AdamW learning rate (linear warm-up over the first tenth, then cosine decay).
    pub lr: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Weight of the MoE load-balancing loss.
    pub balance_weight: f64,
    /// Seed for the order of examples.
    pub seed: u64,
}

impl Default for TrainRecipe {
    fn default() -> Self {
        TrainRecipe {
            steps: 100,
            batch: 16,
            lr: 3e-3,
            weight_decay: 0.01,
            balance_weight: 0.01,
            seed: 0,
        }
    }
}

/// What a training run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Steps run.
    pub steps: usize,
    /// Mean task loss over the first and the last tenth of the steps.
    pub first_loss: f64,
    /// See `first_loss`.
    pub last_loss: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Mean cross-entropy over the positions where `mask` is 1.
pub fn masked_loss(logits: &Tensor, target: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let picked = logp
        .gather(&target.unsqueeze(D::Minus1)?, D::Minus1)?
        .squeeze(D::Minus1)?;
    let total = (picked * mask)?.sum_all()?;
    let n = mask.sum_all()?.to_scalar::<f32>()?.max(1.0) as f64;
    total.neg()? / n
}

/// Trains every variable of `vm` (the variables of `model`) on `data`.
pub fn train(
    vm: &VarMap,
    model: &Transformer,
    data: &[Example],
    recipe: &TrainRecipe,
) -> Result<TrainReport> {
    train_mixture(vm, model, &[data], recipe)
}

/// Trains on several sources, step `i` drawing its whole batch from source
/// `i % sources.len()`: batches of one task need little padding, so a
/// mixture of short and long tasks trains much faster than mixed batches.
pub fn train_mixture(
    vm: &VarMap,
    model: &Transformer,
    sources: &[&[Example]],
    recipe: &TrainRecipe,
) -> Result<TrainReport> {
    train_vars(vm.all_vars(), model, sources, recipe)
}

/// Trains only `vars` (variables of `model`; everything else stays frozen)
/// on a mixture of sources, as [`train_mixture`] does.
pub fn train_vars(
    vars: Vec<Var>,
    model: &Transformer,
    sources: &[&[Example]],
    recipe: &TrainRecipe,
) -> Result<TrainReport> {
    train_vars_with(&Tokenizer, vars, model, sources, recipe)
}

/// [`train_vars`] with the examples read by `tok` (a real checkpoint's
/// tokenizer, say).
pub fn train_vars_with<V: Vocabulary>(
    tok: &V,
    vars: Vec<Var>,
    model: &Transformer,
    sources: &[&[Example]],
    recipe: &TrainRecipe,
) -> Result<TrainReport> {
    if sources.is_empty() || sources.iter().any(|d| d.is_empty()) || recipe.batch == 0 {
        return Err(HarnessError::Invalid(
            "training needs examples in every source and a batch of at least 1".into(),
        ));
    }
    let start = Instant::now();
    let device = model.embed.device().clone();
    let mut opt = AdamW::new(
        vars,
        ParamsAdamW {
            lr: recipe.lr,
            weight_decay: recipe.weight_decay,
            ..Default::default()
        },
    )?;
    let mut sampler = Sampler::new(sources, recipe.seed);
    let mut losses = Vec::with_capacity(recipe.steps);
    for step in 0..recipe.steps {
        opt.set_learning_rate(recipe.lr_at(step));
        let picked = sampler.next_batch(step % sources.len(), recipe.batch);
        let b = batch_with(tok, &picked, &device)?;
        let out = model.forward(&b.input, None, None)?;
        let task = masked_loss(&out.logits, &b.target, &b.mask)?;
        let l = task.to_scalar::<f32>()? as f64;
        if !l.is_finite() {
            return Err(HarnessError::Numerical(format!(
                "loss became {l} at step {step}"
            )));
        }
        losses.push(l);
        let loss = match out.balance_loss {
            Some(bl) => (task + (bl * recipe.balance_weight)?)?,
            None => task,
        };
        opt.backward_step(&loss)?;
    }
    Ok(TrainReport::from_losses(
        recipe.steps,
        &losses,
        start.elapsed().as_secs_f64(),
    ))
}

impl TrainRecipe {
    /// The learning rate at `step`: linear warm-up over the first tenth,
    /// then a cosine decay to a tenth of the peak.
    pub fn lr_at(&self, step: usize) -> f64 {
        let warm = (self.steps / 10).max(1);
        if step < warm {
            self.lr * (step + 1) as f64 / warm as f64
        } else {
            let p = (step - warm) as f64 / (self.steps - warm).max(1) as f64;
            self.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
        }
    }
}

impl TrainReport {
    /// The report of `steps` steps: the mean loss of the first and of the
    /// last tenth of `losses`.
    fn from_losses(steps: usize, losses: &[f64], seconds: f64) -> Self {
        let tenth = (losses.len() / 10).max(1);
        let mean = |s: &[f64]| {
            if s.is_empty() {
                f64::NAN
            } else {
                s.iter().sum::<f64>() / s.len() as f64
            }
        };
        TrainReport {
            steps,
            first_loss: mean(&losses[..tenth.min(losses.len())]),
            last_loss: mean(&losses[losses.len().saturating_sub(tenth)..]),
            seconds,
        }
    }
}

/// Draws batches from each source in a seeded shuffled order, reshuffling
/// a source when it runs out.
struct Sampler<'a> {
    sources: &'a [&'a [Example]],
    orders: Vec<Vec<usize>>,
    cursors: Vec<usize>,
    rng: rand_chacha::ChaCha8Rng,
}

impl<'a> Sampler<'a> {
    fn new(sources: &'a [&'a [Example]], seed: u64) -> Self {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let orders = sources
            .iter()
            .map(|d| {
                let mut o: Vec<usize> = (0..d.len()).collect();
                o.shuffle(&mut rng);
                o
            })
            .collect();
        Sampler {
            sources,
            orders,
            cursors: vec![0; sources.len()],
            rng,
        }
    }

    /// `n` examples of source `src`.
    fn next_batch(&mut self, src: usize, n: usize) -> Vec<&'a Example> {
        let mut picked = Vec::with_capacity(n);
        for _ in 0..n {
            if self.cursors[src] == self.orders[src].len() {
                self.orders[src].shuffle(&mut self.rng);
                self.cursors[src] = 0;
            }
            picked.push(&self.sources[src][self.orders[src][self.cursors[src]]]);
            self.cursors[src] += 1;
        }
        picked
    }
}
