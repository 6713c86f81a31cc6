//! A plain row-major f32 matrix: the form every quantizer reads its inputs in, checked once.

use super::QuantError;
use candle_core::{DType, Device, Tensor};

/// Row-major `rows x cols` values, all finite.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    /// Reads a 2-D tensor of any float dtype on any device; rejects other ranks and non-finite values.
    pub fn from_tensor(t: &Tensor, name: &str) -> Result<Self, QuantError> {
        let &[rows, cols] = t.dims() else {
            return Err(QuantError::NotMatrix {
                input: name.to_string(),
                dims: t.dims().to_vec(),
            });
        };
        let data = t
            .to_dtype(DType::F32)?
            .to_device(&Device::Cpu)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(QuantError::NonFinite {
                input: name.to_string(),
                row: i / cols,
                col: i % cols,
                value: data[i],
            });
        }
        Ok(Matrix { rows, cols, data })
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// This matrix with column `j` multiplied by `s[j]`.
    pub fn scale_columns(&self, s: &[f32]) -> Matrix {
        let mut data = self.data.clone();
        for row in data.chunks_exact_mut(self.cols) {
            for (v, &sj) in row.iter_mut().zip(s) {
                *v *= sj;
            }
        }
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data,
        }
    }

    /// The matrix as a CPU f32 tensor.
    pub fn to_tensor(&self) -> candle_core::Result<Tensor> {
        Tensor::from_slice(&self.data, (self.rows, self.cols), &Device::Cpu)
    }

    /// `XᵀX` (`cols x cols`, f32) by candle's threaded CPU matmul.
    pub fn gram(&self) -> candle_core::Result<Tensor> {
        let t = self.to_tensor()?;
        t.t()?.contiguous()?.matmul(&t)
    }

    /// Per-column maximum of `|x|`.
    pub fn column_abs_max(&self) -> Vec<f32> {
        let mut m = vec![0f32; self.cols];
        for row in self.data.chunks_exact(self.cols.max(1)) {
            for (mj, &v) in m.iter_mut().zip(row) {
                *mj = mj.max(v.abs());
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_rank_and_nan_with_position() {
        let t = Tensor::zeros((2, 3, 4), DType::F32, &Device::Cpu).unwrap();
        assert!(matches!(
            Matrix::from_tensor(&t, "w"),
            Err(QuantError::NotMatrix { .. })
        ));
        let t = Tensor::new(&[[1f32, 2.0], [f32::NAN, 0.0]], &Device::Cpu).unwrap();
        match Matrix::from_tensor(&t, "w") {
            Err(QuantError::NonFinite { row, col, .. }) => assert_eq!((row, col), (1, 0)),
            other => panic!("expected NonFinite, got {other:?}"),
        }
    }

    #[test]
    fn column_abs_max_and_scaling() {
        let m = Matrix {
            rows: 2,
            cols: 2,
            data: vec![1.0, -4.0, -3.0, 2.0],
        };
        assert_eq!(m.column_abs_max(), vec![3.0, 4.0]);
        assert_eq!(
            m.scale_columns(&[2.0, 0.5]).data,
            vec![2.0, -2.0, -6.0, 1.0]
        );
    }
}
