//! Putting LoRA-family adapters on a model's linear layers, and merging
//! them back into dense weights for serving.

use super::frozen::Frozen;
use super::lowrank::Adapted;
use super::options::AdapterTargets;
use crate::checkpoint::Weights;
use crate::checkpoint::names;
use crate::error::{HarnessError, Result};
use crate::model::{Linear, LinearRole, NamedLinear, Transformer};
use crate::quant::nf4::{Constants, Nf4Linear};
use aellm_space::{FineTuneMethod, FineTuning};
use candle_core::{Device, Var};

/// Replaces every targeted linear layer of `model` by a frozen weight plus
/// an adapter of the method's kind, rank and scale; returns the trainable
/// variables (adapters and DoRA magnitudes only) and the adapted layers' names.
///
/// Routers never get adapters (PEFT's practice: routing stays as pretrained).
/// Every layer without an adapter, the LM head included, becomes
/// [`Linear::Frozen`], so no gradient is computed for its weight.
/// For QLoRA every block linear but the routers is first quantized to NF4
/// with double-quantized constants (the paper's storage); the targeted ones
/// get adapters, the others stay frozen in NF4. The embedding, the norms
/// and the LM head stay in f32, as in the QLoRA reference setup.
pub fn attach(
    model: &mut Transformer,
    ft: &FineTuning,
    targets: AdapterTargets,
    seed: u64,
) -> Result<(Vec<Var>, Vec<String>)> {
    let (rank, scale) = match (ft.rank, ft.scale()) {
        (Some(r), Some(s)) if r >= 1 && s.is_finite() && s > 0.0 => (r as usize, s),
        _ => {
            return Err(HarnessError::Invalid(format!(
                "{} needs a rank >= 1 and a positive alpha (got rank {:?}, alpha {:?})",
                ft.method, ft.rank, ft.alpha
            )));
        }
    };
    let mut vars = Vec::new();
    let mut names = Vec::new();
    for (
        k,
        NamedLinear {
            name,
            role,
            linear: l,
        },
    ) in model.block_linears().into_iter().enumerate()
    {
        let wanted = match role {
            LinearRole::Attention => targets.attention,
            LinearRole::Ffn => targets.ffn,
            LinearRole::Router | LinearRole::Head => false,
        };
        let w = l
            .weight()
            .ok_or_else(|| HarnessError::Invalid(format!("{name} is not a dense layer")))?
            .clone();
        let device = w.device().clone();
        // QLoRA holds every block linear but the routers in NF4, adapted or not.
        let base = if ft.method == FineTuneMethod::Qlora && role != LinearRole::Router {
            let q = Nf4Linear::from_tensor(&w, Constants::DoubleQuantized).map_err(|source| {
                HarnessError::Quant {
                    group: format!("{name} (to NF4 for QLoRA)"),
                    source,
                }
            })?;
            Frozen::Nf4(q)
        } else {
            Frozen::Dense(w)
        };
        if !wanted {
            *l = Linear::Frozen(base);
            continue;
        }
        let s = seed.wrapping_add(k as u64);
        let a = match (ft.method, base) {
            (FineTuneMethod::Dora, Frozen::Dense(w)) => Adapted::dora(w, rank, scale, s)?,
            (FineTuneMethod::Full, _) => {
                return Err(HarnessError::Invalid(
                    "full fine-tuning takes no adapters".into(),
                ));
            }
            (_, base) => Adapted::on(base, rank, scale, s, &device)?,
        };
        vars.extend(a.trainable());
        *l = Linear::Adapted(Box::new(a));
        names.push(name);
    }
    if let Some(w) = model.lm_head.weight() {
        model.lm_head = Linear::Frozen(Frozen::Dense(w.clone()));
    }
    if vars.is_empty() {
        return Err(HarnessError::Invalid(format!(
            "no layer gets a {} adapter with targets {targets:?}: enable attention or ffn",
            ft.method
        )));
    }
    Ok((vars, names))
}

/// `w` with every adapted layer's weight replaced by its merged dense form
/// (`W + ΔW`, or DoRA's `m · V/‖V‖_c`), detached from the training graph.
/// QLoRA merges into the dequantized NF4 base, and its layers without an
/// adapter become their dequantized NF4 weight, as a QLoRA deployment serves.
pub fn merge(model: &mut Transformer, w: &Weights, device: &Device) -> Result<Weights> {
    let mut out = w.clone();
    for NamedLinear { name, linear, .. } in model.block_linears() {
        let merged = match linear {
            Linear::Adapted(a) => a.merged()?.detach(),
            Linear::Frozen(Frozen::Nf4(q)) => q.weight().dequantize()?.to_device(device)?,
            Linear::Frozen(Frozen::Dense(_)) | Linear::Dense(_) | Linear::Quantized { .. } => {
                continue;
            }
        };
        out.insert(format!("{name}.{}", names::WEIGHT), merged);
    }
    Ok(out)
}
