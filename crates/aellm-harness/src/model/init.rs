//! Seeded initialisation, so the same seed always gives the same model.

use super::config::ModelConfig;
use super::transformer::Transformer;
use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// A model whose variables live in a fresh [`VarMap`] and are drawn from
/// `seed`: norm gains at one, every matrix normal with std `1/sqrt(fan_in)`
/// (the embedding too, by its width).
/// candle's own initialisers draw from an unseeded generator.
pub fn seeded(config: ModelConfig, seed: u64, device: &Device) -> Result<(VarMap, Transformer)> {
    let vm = VarMap::new();
    let model = Transformer::load(VarBuilder::from_varmap(&vm, DType::F32, device), &config)?;
    reseed(&vm, seed, |_| true)?;
    Ok((vm, model))
}

/// Redraws every variable of `vm` whose name passes `which`, as [`seeded`] does.
pub fn reseed(vm: &VarMap, seed: u64, which: impl Fn(&str) -> bool) -> Result<()> {
    let data = vm
        .data()
        .lock()
        .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for name in names {
        if !which(name) {
            continue;
        }
        let var = &data[name];
        if name.ends_with("norm.weight") {
            var.set(&var.ones_like()?)?;
            continue;
        }
        let dims = var.dims();
        let fan_in = *dims.last().unwrap_or(&1) as f32;
        let normal = Normal::new(0f32, fan_in.powf(-0.5))
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let v: Vec<f32> = (0..var.elem_count())
            .map(|_| normal.sample(&mut rng))
            .collect();
        var.set(&Tensor::from_vec(v, dims, var.device())?)?;
    }
    Ok(())
}
