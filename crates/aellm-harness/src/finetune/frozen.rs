//! Frozen weights under an adapter, and a matmul that gives them no gradient.
//!
//! candle has no `requires_grad = false`: in `x·Wᵀ` its backward pass
//! computes `∂W` whenever `x` carries a gradient, variable or not (and
//! `candle_nn::Linear` broadcasts `W` over the batch first, so that
//! gradient is batch-sized before it is summed). PEFT frameworks skip it, so
//! a LoRA fine-tune's memory would be overstated. [`FrozenMatMul`] captures
//! `W` inside a custom op, so only `∂x = ∂y·W` is computed, as QLoRA's NF4
//! op does for the 4-bit base.

use crate::model::tensor_bytes;
use crate::quant::nf4::Nf4Linear;
use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CustomOp1, DType, Device, Layout, Module, Result, Shape, Tensor, bail,
};

/// The frozen weight under the adapter.
#[derive(Debug, Clone)]
pub enum Frozen {
    /// A full-precision `[out, in]` tensor (not a variable: it gets no gradient).
    Dense(Tensor),
    /// A 4-bit NormalFloat weight that stays quantized (QLoRA).
    Nf4(Nf4Linear),
}

impl Frozen {
    /// `x·Wᵀ`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Frozen::Dense(w) => frozen_matmul(x, w),
            Frozen::Nf4(q) => q.forward(x),
        }
    }

    /// `W` as a dense f32 tensor on `device` (for merging and DoRA's norm;
    /// NF4 is dequantized).
    pub fn dense(&self, device: &Device) -> Result<Tensor> {
        match self {
            Frozen::Dense(w) => w.to_dtype(DType::F32)?.to_device(device),
            Frozen::Nf4(q) => q.weight().dequantize()?.to_device(device),
        }
    }

    /// `(out, in)`.
    pub fn dims(&self) -> Result<(usize, usize)> {
        match self {
            Frozen::Dense(w) => w.dims2(),
            Frozen::Nf4(q) => Ok((q.weight().out_dim(), q.weight().in_dim())),
        }
    }

    /// Bytes the stored weight occupies (NF4: packed codes and constants).
    pub fn bytes(&self) -> usize {
        match self {
            Frozen::Dense(w) => tensor_bytes(w),
            Frozen::Nf4(q) => q.weight().bytes(),
        }
    }
}

/// `x·Wᵀ` (`[.., in] → [.., out]`) with `W` captured, not an operand: its
/// backward pass returns `∂x` only. CPU and f32; other devices use
/// [`frozen_matmul`]'s fallback.
#[derive(Debug, Clone)]
pub struct FrozenMatMul {
    /// `[out, in]`, f32, on the CPU.
    weight: Tensor,
}

impl FrozenMatMul {
    /// The op over `weight [out, in]`.
    pub fn new(weight: Tensor) -> Self {
        FrozenMatMul { weight }
    }
}

impl CustomOp1 for FrozenMatMul {
    fn name(&self) -> &'static str {
        "frozen-matmul"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (out, inp) = self.weight.dims2()?;
        let dims = layout.dims();
        if dims.last() != Some(&inp) {
            bail!("frozen-matmul: input shape {dims:?} must end in the weight's in-dim {inp}");
        }
        let Some((lo, hi)) = layout.contiguous_offsets() else {
            bail!("frozen-matmul: input must be contiguous: call .contiguous() on it first");
        };
        let CpuStorage::F32(all) = storage else {
            bail!(
                "frozen-matmul: input dtype is {:?}, only f32 is supported",
                storage.dtype()
            );
        };
        let xs = &all[lo..hi];
        let x = Tensor::from_slice(xs, (xs.len() / inp, inp), &Device::Cpu)?;
        let y = x.matmul(&self.weight.t()?)?;
        let mut shape = dims.to_vec();
        if let Some(last) = shape.last_mut() {
            *last = out;
        }
        Ok((
            CpuStorage::F32(y.flatten_all()?.to_vec1::<f32>()?),
            Shape::from(shape),
        ))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        // y = x·Wᵀ ⇒ ∂x = ∂y·W; W is frozen, so no ∂W.
        let out = self.weight.dim(0)?;
        let g = grad_res.contiguous()?.reshape(((), out))?;
        Ok(Some(g.matmul(&self.weight)?.reshape(arg.dims())?))
    }
}

/// `x·Wᵀ` for a frozen `W`: through [`FrozenMatMul`] on the CPU in f32; on
/// other devices or dtypes a plain matmul (correct, but candle then also
/// computes the unused `∂W`).
pub fn frozen_matmul(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if x.device().is_cpu()
        && w.device().is_cpu()
        && x.dtype() == DType::F32
        && w.dtype() == DType::F32
    {
        x.contiguous()?.apply_op1(FrozenMatMul::new(w.clone()))
    } else {
        candle_nn::Linear::new(w.clone(), None).forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    #[test]
    fn frozen_matmul_matches_a_plain_one_and_computes_no_weight_gradient() {
        let w = Tensor::randn(0f32, 0.5, (6, 5), &Device::Cpu).unwrap();
        let x =
            Var::from_tensor(&Tensor::randn(0f32, 1.0, (2, 3, 5), &Device::Cpu).unwrap()).unwrap();
        let wt = w.t().unwrap();
        let plain = x
            .as_tensor()
            .matmul(&wt.broadcast_left(2).unwrap())
            .unwrap();
        let frozen = frozen_matmul(x.as_tensor(), &w).unwrap();
        let d = |a: &Tensor, b: &Tensor| crate::model::tests::max_diff(a, b);
        assert!(d(&plain, &frozen) < 1e-5);
        let gp = plain.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let gf = frozen.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        assert!(
            d(
                gp.get(x.as_tensor()).unwrap(),
                gf.get(x.as_tensor()).unwrap()
            ) < 1e-4
        );
        // candle's matmul computes and keeps the frozen weight's gradient,
        // batch-sized (for its broadcast view); the frozen op keeps x's only.
        let kept: Vec<Vec<usize>> = gp
            .get_ids()
            .map(|id| gp.get_id(*id).unwrap().dims().to_vec())
            .collect();
        assert!(kept.contains(&vec![2, 5, 6]), "{kept:?}");
        assert_eq!(gf.get_ids().count(), 1);
    }
}
