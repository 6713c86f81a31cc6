//! Low-rank adapters on a frozen linear layer: LoRA (Hu et al. 2022),
//! RSLoRA (Kalajdzievski 2023) and DoRA (Liu et al. 2024).
//!
//! Shapes follow candle's layout: the frozen weight `W` is `[out, in]`,
//! `A` is `[r, in]`, `B` is `[out, r]`, and the update is `ΔW = s·B·A` with
//! `s = α/r` (LoRA) or `α/√r` (RSLoRA). The paper's `W ∈ R^{d×k}` acts as
//! `W·x` with `d = out`, the same as ours.
//!
//! DoRA's "column-wise" norm `‖·‖_c`: the paper writes `m ∈ R^{1×k}`, and
//! its authors' code (merged into PEFT) takes one norm per *output unit*:
//! in our `[out, in]` layout, the L2 norm of each row, over the input
//! dimension. We follow the code. The magnitude `m` is `[out]`.
//!
//! QLoRA (Dettmers et al. 2023) is LoRA over a frozen base held in NF4
//! ([`Frozen::Nf4`]): the base is dequantized tile by tile inside its matmul
//! and gradients reach the adapters through that op's backward pass.

use super::frozen::Frozen;
use crate::model::tensor_bytes;
use candle_core::{D, DType, Device, Module, Result, Tensor, Var};
use rand::SeedableRng;
use rand_distr::{Distribution, Uniform};

/// Which update rule the adapter applies.
#[derive(Debug, Clone)]
pub enum AdapterKind {
    /// `y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ` (LoRA, RSLoRA, QLoRA: only `s` differs).
    LowRank,
    /// `W' = m · (W + ΔW) / ‖W + ΔW‖_c`, the norm detached from the graph
    /// (DoRA §4.3: it is treated as a constant in the backward pass).
    Dora {
        /// Magnitude `[out]`, initialised to the row norms of `W`.
        magnitude: Var,
    },
}

/// A frozen linear layer plus a trainable low-rank update.
///
/// ```
/// use aellm_harness::finetune::Adapted;
/// use candle_core::{Device, Module, Tensor};
/// let w = Tensor::randn(0f32, 1.0, (6, 4), &Device::Cpu).unwrap();
/// let l = Adapted::lora(w.clone(), 2, 8.0, 0).unwrap();
/// // B starts at zero, so the layer starts as the frozen one.
/// let x = Tensor::randn(0f32, 1.0, (3, 4), &Device::Cpu).unwrap();
/// let d = (l.forward(&x).unwrap() - x.matmul(&w.t().unwrap()).unwrap()).unwrap();
/// assert_eq!(d.abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap(), 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct Adapted {
    /// The frozen weight.
    pub base: Frozen,
    /// Down-projection `[r, in]`, random at start.
    pub a: Var,
    /// Up-projection `[out, r]`, zero at start.
    pub b: Var,
    /// The update's scale `s` (α/r or α/√r).
    pub scale: f64,
    /// LoRA or DoRA.
    pub kind: AdapterKind,
}

impl Adapted {
    /// A LoRA-style adapter of rank `rank` and scale `scale` on a dense `[out, in]` weight.
    ///
    /// `A` is drawn from PEFT's Kaiming-uniform (`U(±1/√in)`), seeded;
    /// `B` is zero (Hu et al. §4.1), so `ΔW = 0` at start.
    pub fn lora(weight: Tensor, rank: usize, scale: f64, seed: u64) -> Result<Self> {
        let device = weight.device().clone();
        Self::on(Frozen::Dense(weight), rank, scale, seed, &device)
    }

    /// A LoRA-style adapter on any frozen weight, its variables on `device`.
    pub fn on(base: Frozen, rank: usize, scale: f64, seed: u64, device: &Device) -> Result<Self> {
        let (out, inp) = base.dims()?;
        if rank == 0 {
            candle_core::bail!("adapter rank must be at least 1");
        }
        let bound = (inp as f32).powf(-0.5);
        let u = Uniform::new_inclusive(-bound, bound)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let av: Vec<f32> = (0..rank * inp).map(|_| u.sample(&mut rng)).collect();
        let a = Var::from_tensor(&Tensor::from_vec(av, (rank, inp), device)?)?;
        let b = Var::zeros((out, rank), DType::F32, device)?;
        Ok(Adapted {
            base,
            a,
            b,
            scale,
            kind: AdapterKind::LowRank,
        })
    }

    /// A DoRA adapter: LoRA's `A`, `B` plus a magnitude `m` set to the row
    /// norms of `W` (the norm over the input dimension, per output unit), so
    /// that `m · W/‖W‖_c = W` at start.
    pub fn dora(weight: Tensor, rank: usize, scale: f64, seed: u64) -> Result<Self> {
        let m = row_norms(&weight.to_dtype(DType::F32)?)?;
        let mut l = Self::lora(weight, rank, scale, seed)?;
        l.kind = AdapterKind::Dora {
            magnitude: Var::from_tensor(&m)?,
        };
        Ok(l)
    }

    /// `ΔW = s·B·A`, `[out, in]`.
    pub fn delta(&self) -> Result<Tensor> {
        self.b.as_tensor().matmul(self.a.as_tensor())? * self.scale
    }

    /// The DoRA weight `m · V/‖V‖_c` with `V = W + ΔW`; the norm is
    /// detached when `detach`, as in training.
    fn dora_weight(&self, magnitude: &Var, detach: bool) -> Result<Tensor> {
        let v = (self.base.dense(self.a.device())? + self.delta()?)?;
        // A zero row (m = 0 there) would give 0/0; the floor keeps it at zero.
        let mut n = row_norms(&v)?.maximum(1e-12)?;
        if detach {
            n = n.detach();
        }
        let coef = (magnitude.as_tensor() / n)?.unsqueeze(1)?;
        v.broadcast_mul(&coef)
    }

    /// The equivalent dense weight `[out, in]`: `W + ΔW` (LoRA family) or
    /// `m · (W + ΔW)/‖W + ΔW‖_c` (DoRA). Serving uses it, so adapters cost
    /// nothing at inference.
    pub fn merged(&self) -> Result<Tensor> {
        match &self.kind {
            AdapterKind::LowRank => self.base.dense(self.a.device())? + self.delta()?,
            AdapterKind::Dora { magnitude } => self.dora_weight(magnitude, false),
        }
    }

    /// The trainable variables: `A`, `B` and DoRA's `m`.
    pub fn trainable(&self) -> Vec<Var> {
        let mut v = vec![self.a.clone(), self.b.clone()];
        if let AdapterKind::Dora { magnitude } = &self.kind {
            v.push(magnitude.clone());
        }
        v
    }

    /// Bytes of the frozen weight plus the adapter's variables.
    pub fn weight_bytes(&self) -> usize {
        self.base.bytes()
            + self
                .trainable()
                .iter()
                .map(|v| tensor_bytes(v))
                .sum::<usize>()
    }

    /// Output width.
    pub fn out_dim(&self) -> Result<usize> {
        self.b.dim(0)
    }
}

impl Module for Adapted {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match &self.kind {
            AdapterKind::LowRank => {
                let down = candle_nn::Linear::new(self.a.as_tensor().clone(), None).forward(x)?;
                let up = candle_nn::Linear::new(self.b.as_tensor().clone(), None).forward(&down)?;
                self.base.forward(x)? + (up * self.scale)?
            }
            AdapterKind::Dora { magnitude } => {
                candle_nn::Linear::new(self.dora_weight(magnitude, true)?, None).forward(x)
            }
        }
    }
}

/// L2 norm of each row of `w [out, in]`: `[out]`.
pub fn row_norms(w: &Tensor) -> Result<Tensor> {
    w.sqr()?.sum(D::Minus1)?.sqrt()
}
