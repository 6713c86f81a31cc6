//! Moving weights between a trainable `VarMap` and a plain name → tensor map.

use super::Weights;
use crate::error::{HarnessError, Result};
use crate::model::{ModelConfig, Transformer};
use candle_core::{DType, Device, Var};
use candle_nn::{VarBuilder, VarMap};

/// A snapshot of every variable of `vm` (copies, so later training leaves it alone).
pub fn weights_of(vm: &VarMap) -> Result<Weights> {
    let data = vm
        .data()
        .lock()
        .map_err(|e| HarnessError::Invalid(format!("variable map lock poisoned: {e}")))?;
    data.iter()
        .map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?)))
        .collect()
}

/// A trainable model holding copies of `w`; variables the model needs but
/// `w` lacks are initialised by the model.
pub fn trainable(cfg: ModelConfig, w: &Weights, device: &Device) -> Result<(VarMap, Transformer)> {
    let vm = VarMap::new();
    {
        let mut data = vm
            .data()
            .lock()
            .map_err(|e| HarnessError::Invalid(format!("variable map lock poisoned: {e}")))?;
        for (k, t) in w {
            let t = t.to_device(device)?.to_dtype(DType::F32)?;
            data.insert(k.clone(), Var::from_tensor(&t)?);
        }
    }
    let model = Transformer::load(VarBuilder::from_varmap(&vm, DType::F32, device), &cfg)?;
    Ok((vm, model))
}
