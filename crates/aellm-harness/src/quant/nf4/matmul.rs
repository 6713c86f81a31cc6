//! `y = x·Wᵀ` with `W` in NF4: a candle custom op whose forward and backward passes dequantize
//! `W` tile by tile, so only [`TILE_ROWS`] rows of f32 weights ever exist at once.

use super::{Constants, Nf4Weight, QuantError};
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Module, Shape, Tensor, bail};
use std::sync::Arc;

/// Rows of `W` dequantized at a time: bounds the transient f32 copy to `TILE_ROWS · in` values.
pub const TILE_ROWS: usize = 256;

/// The custom op: `x·Wᵀ` (`[.., in] → [.., out]`) or, transposed, `g·W` (`[.., out] → [.., in]`).
///
/// Each is the other's backward pass, so gradients reach `x` (and anything that fed it) while
/// `W`, captured by the op rather than passed as a tensor, gets none. CPU and f32 only: on other
/// devices [`Nf4Linear::forward`] falls back to dequantizing through tensor ops.
#[derive(Debug, Clone)]
pub struct Nf4MatMul {
    weight: Arc<Nf4Weight>,
    transposed: bool,
}

impl Nf4MatMul {
    /// The op `x ↦ x·Wᵀ`.
    pub fn new(weight: Arc<Nf4Weight>) -> Self {
        Nf4MatMul {
            weight,
            transposed: false,
        }
    }

    /// The adjoint op: `x·Wᵀ` becomes `g·W` and back.
    pub fn transposed(&self) -> Self {
        Nf4MatMul {
            weight: self.weight.clone(),
            transposed: !self.transposed,
        }
    }

    /// (width read, width written) of the last dimension.
    fn widths(&self) -> (usize, usize) {
        let (i, o) = (self.weight.in_dim, self.weight.out_dim);
        if self.transposed { (o, i) } else { (i, o) }
    }
}

impl CustomOp1 for Nf4MatMul {
    fn name(&self) -> &'static str {
        "nf4-matmul"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (k_in, k_out) = self.widths();
        let dims = layout.dims();
        if dims.last() != Some(&k_in) {
            bail!(
                "nf4-matmul: input shape {dims:?} must end in {k_in}: reshape the input to [.., {k_in}]"
            );
        }
        let Some((lo, hi)) = layout.contiguous_offsets() else {
            bail!("nf4-matmul: input must be contiguous: call .contiguous() on it first");
        };
        let CpuStorage::F32(all) = storage else {
            bail!(
                "nf4-matmul: input dtype is {:?}, only f32 is supported: convert with .to_dtype(DType::F32)",
                storage.dtype()
            );
        };
        let xs = &all[lo..hi];
        let n = xs.len() / k_in;
        let x = Tensor::from_slice(xs, (n, k_in), &Device::Cpu)?;
        let w = &self.weight;
        let absmax = w.block_absmax();
        let mut buf = vec![0f32; TILE_ROWS.min(w.out_dim) * w.in_dim];
        let mut parts = Vec::with_capacity(w.out_dim.div_ceil(TILE_ROWS));
        let mut acc: Option<Tensor> = None;
        for start in (0..w.out_dim).step_by(TILE_ROWS) {
            let t = TILE_ROWS.min(w.out_dim - start);
            w.dequantize_rows_into(&absmax, start, t, &mut buf);
            let tile = Tensor::from_slice(&buf[..t * w.in_dim], (t, w.in_dim), &Device::Cpu)?;
            if self.transposed {
                // g·W = Σ over row tiles of g[:, tile]·W[tile, :].
                let part = x.narrow(1, start, t)?.contiguous()?.matmul(&tile)?;
                acc = Some(match acc {
                    None => part,
                    Some(a) => (a + part)?,
                });
            } else {
                parts.push(x.matmul(&tile.t()?)?);
            }
        }
        let y = match acc {
            Some(a) => a,
            None => Tensor::cat(&parts, 1)?,
        };
        let mut shape = dims.to_vec();
        if let Some(last) = shape.last_mut() {
            *last = k_out;
        }
        Ok((
            CpuStorage::F32(y.flatten_all()?.to_vec1::<f32>()?),
            Shape::from(shape),
        ))
    }

    fn bwd(
        &self,
        _arg: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        // y = x·Wᵀ ⇒ ∂x = ∂y·W: the adjoint op, dequantizing W on the fly again.
        Ok(Some(grad_res.contiguous()?.apply_op1(self.transposed())?))
    }
}

/// A frozen linear layer `y = x·Wᵀ` (no bias) over an NF4 weight: QLoRA's base layer.
///
/// ```
/// use aellm_harness::quant::nf4::{Constants, Nf4Linear};
/// use candle_core::{Device, Tensor, Var};
///
/// let dev = Device::Cpu;
/// let w = Tensor::randn(0f32, 0.02, (32, 64), &dev)?;
/// let base = Nf4Linear::from_tensor(&w, Constants::DoubleQuantized)?;
/// let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (2, 3, 64), &dev)?)?;
/// let y = base.forward(x.as_tensor())?;
/// assert_eq!(y.dims(), &[2, 3, 32]);
/// // Gradients flow through the quantized matmul to its input.
/// let grads = y.sqr()?.sum_all()?.backward()?;
/// assert_eq!(grads.get(x.as_tensor()).unwrap().dims(), &[2, 3, 64]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Nf4Linear {
    weight: Arc<Nf4Weight>,
}

impl Nf4Linear {
    /// A layer over an already quantized weight.
    pub fn new(weight: Nf4Weight) -> Self {
        Nf4Linear {
            weight: Arc::new(weight),
        }
    }

    /// Quantizes an `[out, in]` weight (see [`Nf4Weight::quantize`]) into a layer.
    pub fn from_tensor(weight: &Tensor, constants: Constants) -> Result<Self, QuantError> {
        Ok(Self::new(Nf4Weight::quantize(weight, constants)?))
    }

    /// The quantized weight.
    pub fn weight(&self) -> &Nf4Weight {
        &self.weight
    }

    /// `x·Wᵀ` for `x` of shape `[.., in]`, returning `[.., out]` in `x`'s dtype.
    ///
    /// On the CPU this runs [`Nf4MatMul`] (f32 inside; other dtypes are converted, which candle
    /// differentiates). On other devices it falls back to a transient dequantized copy of `W`
    /// moved to the device and a plain matmul: correct and differentiable in `x`, but it holds
    /// the f32 weight for the duration of the call.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let in_dim = self.weight.in_dim;
        let dims = x.dims();
        if dims.last() != Some(&in_dim) {
            bail!(
                "Nf4Linear: input shape {dims:?} must end in the layer's in-dim {in_dim}: reshape the input to [.., {in_dim}]"
            );
        }
        let dtype = x.dtype();
        let xf = x.to_dtype(DType::F32)?;
        let y = if x.device().is_cpu() {
            xf.contiguous()?
                .apply_op1(Nf4MatMul::new(self.weight.clone()))?
        } else {
            let w = self.weight.dequantize()?.to_device(x.device())?;
            let n = x.elem_count() / in_dim;
            let mut out_shape = dims.to_vec();
            if let Some(last) = out_shape.last_mut() {
                *last = self.weight.out_dim;
            }
            xf.reshape((n, in_dim))?
                .matmul(&w.t()?)?
                .reshape(out_shape)?
        };
        y.to_dtype(dtype)
    }
}

impl Module for Nf4Linear {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        Nf4Linear::forward(self, xs)
    }
}
