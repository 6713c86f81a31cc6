//! Key/value caches for incremental decoding, full precision or 8-bit.

use super::bytes::tensor_bytes;
use candle_core::{D, DType, Result, Tensor};
use serde::{Deserialize, Serialize};

/// How cached entries are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CachePrecision {
    /// As the model computes them (f32 on CPU).
    #[default]
    Full,
    /// 8-bit integers with one f32 scale per token and head (absmax / 127).
    /// candle has no i8 tensors, so values are stored as u8 offset by 128.
    Int8,
}

#[derive(Debug, Clone)]
enum Stored {
    Full(Tensor),
    Int8 { q: Tensor, scale: Tensor },
}

/// One growing cached tensor, appended to along its time dimension.
#[derive(Debug, Clone)]
pub struct CacheTensor {
    precision: CachePrecision,
    time_dim: usize,
    stored: Option<Stored>,
}

impl CacheTensor {
    /// An empty cache whose entries grow along `time_dim`.
    pub fn new(precision: CachePrecision, time_dim: usize) -> Self {
        CacheTensor {
            precision,
            time_dim,
            stored: None,
        }
    }

    /// Appends `x` and returns every cached entry so far, dequantised.
    pub fn append(&mut self, x: &Tensor) -> Result<Tensor> {
        let td = self.time_dim;
        self.stored = Some(match (self.stored.take(), self.precision) {
            (None, CachePrecision::Full) => Stored::Full(x.contiguous()?),
            (Some(Stored::Full(old)), _) => Stored::Full(Tensor::cat(&[&old, x], td)?),
            (None, CachePrecision::Int8) => {
                let (q, scale) = quantize_rows(x)?;
                Stored::Int8 { q, scale }
            }
            (Some(Stored::Int8 { q, scale }), _) => {
                let (nq, ns) = quantize_rows(x)?;
                Stored::Int8 {
                    q: Tensor::cat(&[&q, &nq], td)?,
                    scale: Tensor::cat(&[&scale, &ns], td)?,
                }
            }
        });
        self.get()
    }

    /// Every cached entry, dequantised; `None` when empty.
    fn get(&self) -> Result<Tensor> {
        match self.stored.as_ref() {
            Some(Stored::Full(t)) => Ok(t.clone()),
            Some(Stored::Int8 { q, scale }) => {
                (q.to_dtype(DType::F32)? - 128.0)?.broadcast_mul(scale)
            }
            None => candle_core::bail!("empty cache read"),
        }
    }

    /// A cache holding only the batch rows `rows` (u32 indices into the
    /// first dimension, repeats allowed), stored as they are (no requantization).
    pub fn select_rows(&self, rows: &Tensor) -> Result<Self> {
        // index_select needs a contiguous source; a no-op copy when it already is.
        let pick = |t: &Tensor| t.contiguous()?.index_select(rows, 0);
        let stored = match &self.stored {
            None => None,
            Some(Stored::Full(t)) => Some(Stored::Full(pick(t)?)),
            Some(Stored::Int8 { q, scale }) => Some(Stored::Int8 {
                q: pick(q)?,
                scale: pick(scale)?,
            }),
        };
        Ok(CacheTensor {
            stored,
            ..self.clone_empty()
        })
    }

    fn clone_empty(&self) -> Self {
        CacheTensor::new(self.precision, self.time_dim)
    }

    /// Bytes held (values and scales).
    pub fn bytes(&self) -> usize {
        match &self.stored {
            None => 0,
            Some(Stored::Full(t)) => tensor_bytes(t),
            Some(Stored::Int8 { q, scale }) => tensor_bytes(q) + tensor_bytes(scale),
        }
    }
}

/// Symmetric 8-bit quantization of every vector along the last dimension.
fn quantize_rows(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let x = x.to_dtype(DType::F32)?;
    let scale = (x.abs()?.max_keepdim(D::Minus1)? / 127.0)?.clamp(1e-8f32, f32::MAX)?;
    let q = (x.broadcast_div(&scale)?.round()? + 128.0)?
        .clamp(0f32, 255f32)?
        .to_dtype(DType::U8)?;
    Ok((q, scale))
}

/// The cache of one attention layer.
#[derive(Debug, Clone)]
pub enum LayerCache {
    /// MHA/GQA/MQA: rotated keys and values `[b, kv_heads, t, head_dim]`.
    Standard {
        /// Keys.
        k: CacheTensor,
        /// Values.
        v: CacheTensor,
    },
    /// MLA: the latent `[b, t, latent]` and the shared rotated key `[b, 1, t, rope_dim]`.
    Latent {
        /// Compressed key/value latent.
        latent: CacheTensor,
        /// Decoupled RoPE key.
        k_rope: CacheTensor,
    },
}

impl LayerCache {
    /// The cache of the batch rows `rows` only (see [`CacheTensor::select_rows`]).
    pub fn select_rows(&self, rows: &Tensor) -> Result<Self> {
        Ok(match self {
            LayerCache::Standard { k, v } => LayerCache::Standard {
                k: k.select_rows(rows)?,
                v: v.select_rows(rows)?,
            },
            LayerCache::Latent { latent, k_rope } => LayerCache::Latent {
                latent: latent.select_rows(rows)?,
                k_rope: k_rope.select_rows(rows)?,
            },
        })
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        match self {
            LayerCache::Standard { k, v } => k.bytes() + v.bytes(),
            LayerCache::Latent { latent, k_rope } => latent.bytes() + k_rope.bytes(),
        }
    }
}

/// The caches of every layer, and how many positions they hold.
#[derive(Debug, Clone)]
pub struct ModelCache {
    /// One per layer.
    pub layers: Vec<LayerCache>,
    /// Positions cached so far.
    pub len: usize,
}

impl ModelCache {
    /// The caches of the batch rows `rows` only (u32 indices, repeats
    /// allowed): one prompt prefilled once can continue several ways.
    pub fn select_rows(&self, rows: &Tensor) -> Result<Self> {
        Ok(ModelCache {
            layers: self
                .layers
                .iter()
                .map(|l| l.select_rows(rows))
                .collect::<Result<_>>()?,
            len: self.len,
        })
    }

    /// Bytes held by every layer's cache.
    pub fn bytes(&self) -> usize {
        self.layers.iter().map(LayerCache::bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn int8_round_trip_is_within_half_a_step_and_smaller() {
        let x = Tensor::randn(0f32, 1., (2, 3, 5, 8), &Device::Cpu).unwrap();
        let mut full = CacheTensor::new(CachePrecision::Full, 2);
        let mut q8 = CacheTensor::new(CachePrecision::Int8, 2);
        for t in 0..5 {
            let xt = x.narrow(2, t, 1).unwrap();
            full.append(&xt).unwrap();
            let back = q8.append(&xt).unwrap();
            assert_eq!(back.dims(), &[2, 3, t + 1, 8]);
        }
        let back = q8.get().unwrap();
        let step = (x.abs().unwrap().max_keepdim(3).unwrap() / 127.0).unwrap();
        let err = (back - &x).unwrap().abs().unwrap();
        let over = err.broadcast_sub(&(step * 0.5001).unwrap()).unwrap();
        assert!(over.max_all().unwrap().to_scalar::<f32>().unwrap() <= 1e-6);
        // One byte per value plus a 4-byte scale per 8-wide vector.
        assert_eq!(q8.bytes(), 2 * 3 * 5 * (8 + 4));
        assert_eq!(full.bytes(), 2 * 3 * 5 * 8 * 4);
    }

    #[test]
    fn selected_rows_hold_those_rows_entries_in_either_precision() {
        let x = Tensor::randn(0f32, 1., (3, 2, 4, 8), &Device::Cpu).unwrap();
        for precision in [CachePrecision::Full, CachePrecision::Int8] {
            let mut c = CacheTensor::new(precision, 2);
            let all = c.append(&x).unwrap();
            let rows = Tensor::new(&[2u32, 0, 2], &Device::Cpu).unwrap();
            let picked = c.select_rows(&rows).unwrap().get().unwrap();
            let want = all.index_select(&rows, 0).unwrap();
            let diff = (picked - want).unwrap().abs().unwrap().max_all().unwrap();
            assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0, "{precision:?}");
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use candle_core::Device;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn int8_cache_error_is_at_most_half_a_step_per_token(
            vals in proptest::collection::vec(-100f32..100f32, 24),
            split in 1usize..4,
        ) {
            let x = Tensor::from_vec(vals, (1, 4, 6), &Device::Cpu).unwrap();
            let mut c = CacheTensor::new(CachePrecision::Int8, 1);
            c.append(&x.narrow(1, 0, split).unwrap()).unwrap();
            let back = c.append(&x.narrow(1, split, 4 - split).unwrap()).unwrap();
            let step = (x.abs().unwrap().max_keepdim(2).unwrap() / 127.0).unwrap();
            let over = (back - &x).unwrap().abs().unwrap().broadcast_sub(&(step * 0.5001).unwrap()).unwrap();
            prop_assert!(over.max_all().unwrap().to_scalar::<f32>().unwrap() <= 1e-4);
        }
    }
}
