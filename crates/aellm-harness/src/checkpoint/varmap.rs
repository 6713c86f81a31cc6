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
        // `copy` keeps a link to the variable for backprop; detached, a
        // served model built from these builds no gradient graph.
        .map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?.detach())))
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

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;

    #[test]
    fn copied_weights_carry_no_link_to_the_variables() {
        let vm = VarMap::new();
        let w = vm
            .get(
                (2, 3),
                "w",
                candle_nn::Init::Const(1.0),
                DType::F32,
                &Device::Cpu,
            )
            .unwrap();
        assert!(w.track_op(), "a variable is tracked");
        let copied = weights_of(&vm).unwrap();
        let c = &copied["w"];
        assert!(!c.track_op(), "a copied weight must not be tracked");
        // Nothing computed from it is tracked either.
        let y = c.matmul(&Tensor::ones((3, 1), DType::F32, &Device::Cpu).unwrap());
        assert!(!y.unwrap().track_op());
    }
}
