//! A tour of the configuration space: build, validate, sample, encode, and
//! read a scenario.
//!
//! `cargo run --example space_tour`

use aellm::space::{
    Attention, Configuration, FineTuneMethod, FineTuning, QuantMethod, Scenario, Space,
    WeightPrecision, encoding, presets,
};
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A configuration, one choice per stage.
    let mut c = Configuration::default();
    c.architecture.attention = Attention::Gqa { kv_groups: 8 };
    c.fine_tuning = FineTuning::low_rank(FineTuneMethod::Qlora, 16, 32.0);
    println!("{c}");
    for v in c.validate() {
        println!("  broken: {v}");
    }
    c.inference.weights = WeightPrecision::Int4;
    c.inference.method = Some(QuantMethod::Gptq);
    println!("fixed: {c} (valid: {})", c.is_valid());

    // The space, narrowed to a model, sampled and explored.
    let scenario = Scenario::from_toml_str(
        r#"
        model = "llama-3-8b"
        task = "gsm8k"
        hardware = "rtx-4090"
        [preferences]
        accuracy = 0.5
        latency = 0.3
        memory = 0.1
        energy = 0.1
        "#,
    )?;
    let space = Space::paper().for_model(&scenario.model);
    println!(
        "\n{} valid configurations for {}",
        space.size(),
        scenario.model.name
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let s = space.sample(&mut rng)?;
    println!("sampled: {s}");
    let neighbours = space.neighbours(&s);
    println!("{} neighbours, e.g. {}", neighbours.len(), neighbours[0]);

    // The feature encoding that surrogates and the search share.
    let x = encoding::encode(&s);
    for (name, v) in encoding::feature_names()
        .iter()
        .zip(&x)
        .filter(|(_, v)| **v != 0.0)
    {
        println!("  {name:<26} {v}");
    }
    assert_eq!(encoding::decode(&x)?, s);
    println!(
        "\n{} model presets, {} hardware presets, {} tasks",
        presets::MODELS.len(),
        presets::HARDWARE.len(),
        presets::TASKS.len()
    );
    Ok(())
}
