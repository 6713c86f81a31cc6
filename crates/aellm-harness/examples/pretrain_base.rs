//! Pre-trains (or loads) the harness's base model and prints its accuracy on
//! each task family's test split.
//!
//! ```text
//! cargo run --release -p aellm-harness --example pretrain_base [steps]
//! ```
//! With `steps`, trains a fresh copy for that many steps (not cached) to
//! time the loop; without, uses the cached default base.

use aellm_harness::base::{self, BaseRecipe};
use aellm_harness::checkpoint;
use aellm_harness::evaluator::default_cache_dir;
use aellm_harness::metrics::accuracy;
use aellm_harness::model::CachePrecision;
use aellm_harness::tasks::{TaskFamily, Tokenizer};
use candle_core::Device;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut recipe = BaseRecipe::tiny();
    let dir = match std::env::args().nth(1) {
        Some(steps) => {
            recipe.train.steps = steps.parse()?;
            std::env::temp_dir().join(format!("aellm-pretrain-{}", std::process::id()))
        }
        None => default_cache_dir(),
    };
    println!(
        "base: {} parameters, {} steps of {} examples",
        recipe.model.parameters(),
        recipe.train.steps,
        recipe.train.batch
    );
    let t = Instant::now();
    let b = base::pretrained(&recipe, &dir, &Device::Cpu)?;
    let secs = t.elapsed().as_secs_f64();
    match b.trained_seconds {
        Some(s) => println!(
            "trained in {s:.1} s ({:.3} s/step; shared machine, noisy)",
            s / recipe.train.steps as f64
        ),
        None => println!("loaded {} in {secs:.2} s", b.path.display()),
    }
    let (_vm, model) = checkpoint::trainable(recipe.model, &b.weights, &Device::Cpu)?;
    for f in TaskFamily::ALL {
        let task = recipe.task(f);
        let acc = accuracy::score(&model, &Tokenizer, f, &task.test, CachePrecision::Full)?;
        println!(
            "{:<10} {:?} on {} test examples: {acc:.3}",
            f.name(),
            f.metric(),
            task.test.len()
        );
    }
    Ok(())
}
