//! `aellm space`.

use aellm_space::{Dimension, Space, presets};
use clap::Args;
use rand::SeedableRng;

#[derive(Debug, Args)]
pub struct SpaceArgs {
    /// Narrow the space to what this model preset allows (e.g. `yi-6b`).
    #[arg(long)]
    model: Option<String>,
    /// How many sampled configurations to print.
    #[arg(long, default_value_t = 3)]
    samples: usize,
    /// Seed of the sampler.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(a: SpaceArgs) -> anyhow::Result<()> {
    let mut space = Space::paper();
    if let Some(name) = &a.model {
        space = space.for_model(&presets::model(name)?);
        println!("The paper's configuration space, narrowed to {name}\n");
    } else {
        println!("The paper's configuration space\n");
    }
    for d in Dimension::ALL {
        let values: Vec<String> = match d {
            Dimension::Attention => space.attention.iter().map(|v| v.to_string()).collect(),
            Dimension::Moe => space.moe.iter().map(|v| v.to_string()).collect(),
            Dimension::FineTuneMethod => space.methods.iter().map(|v| v.to_string()).collect(),
            Dimension::Rank => space.ranks.iter().map(|v| v.to_string()).collect(),
            Dimension::Alpha => space.alpha_ratios.iter().map(|v| format!("{v}r")).collect(),
            Dimension::Weights => space.weights.iter().map(|v| v.to_string()).collect(),
            Dimension::QuantMethod => space.quant_methods.iter().map(|v| v.to_string()).collect(),
            Dimension::KvCache => space.kv_caches.iter().map(|v| v.to_string()).collect(),
        };
        let stage = ["architecture", "fine-tuning", "inference"][d.stage()];
        println!("  {stage:<13} {:<17} {}", d.name(), values.join(", "));
    }
    println!("\nValid configurations: {}", space.size());
    println!(
        "  (rank and alpha apply to LoRA-family methods only, the quantization method to INT8/INT4 only;"
    );
    println!("   the rules that prune the rest are listed in aellm_space::rules)\n");

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(a.seed);
    println!("{} sampled configurations (seed {}):", a.samples, a.seed);
    for c in space.sample_n(a.samples, &mut rng)? {
        println!("{}", serde_json::to_string(&c)?);
    }
    Ok(())
}
