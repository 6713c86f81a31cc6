//! Input checks and row access shared by the models.

use crate::error::{Result, SurrogateError};
use linfa::DatasetBase;
use linfa::dataset::{AsTargets, Records};
use ndarray::{ArrayBase, ArrayView1, Axis, Data, Ix1, Ix2};
use std::borrow::Cow;

/// Rejects empty or non-finite training data, naming `what` in the error.
pub(crate) fn check_training<D: Data<Elem = f64>>(
    what: &'static str,
    x: &ArrayBase<D, Ix2>,
    y: ArrayView1<'_, f64>,
) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(SurrogateError::EmptyData {
            what,
            rows: x.nrows(),
            features: x.ncols(),
        });
    }
    if x.nrows() != y.len() {
        return Err(linfa::Error::MismatchedShapes(x.nrows(), y.len()).into());
    }
    check_features(what, x)?;
    if let Some(row) = y.iter().position(|v| !v.is_finite()) {
        return Err(SurrogateError::NonFinite {
            what: "targets",
            row,
            column: None,
        });
    }
    Ok(())
}

/// Rejects non-finite feature values.
pub(crate) fn check_features<D: Data<Elem = f64>>(
    what: &'static str,
    x: &ArrayBase<D, Ix2>,
) -> Result<()> {
    for (row, r) in x.rows().into_iter().enumerate() {
        if let Some(column) = r.iter().position(|v| !v.is_finite()) {
            return Err(SurrogateError::NonFinite {
                what,
                row,
                column: Some(column),
            });
        }
    }
    Ok(())
}

/// Rejects data whose width differs from the model's.
pub(crate) fn check_width<D: Data<Elem = f64>>(
    what: &'static str,
    x: &ArrayBase<D, Ix2>,
    expected: usize,
) -> Result<()> {
    if x.ncols() == expected {
        Ok(())
    } else {
        Err(SurrogateError::FeatureMismatch {
            what,
            expected,
            found: x.ncols(),
        })
    }
}

/// The rows of `x` as one row-major slice (borrowed when already so laid out).
pub(crate) fn row_major<D: Data<Elem = f64>>(x: &ArrayBase<D, Ix2>) -> Cow<'_, [f64]> {
    match x.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(x.rows().into_iter().flatten().copied().collect()),
    }
}

/// The single target column of a data set with 1-D targets, or 2-D targets of
/// one column (linfa's default `Dataset<f64, f64>`).
pub(crate) fn single_target<R: Records, T: AsTargets<Elem = f64>>(
    dataset: &DatasetBase<R, T>,
) -> Result<ArrayView1<'_, f64>> {
    let t = dataset.as_targets().into_dyn();
    match t.shape() {
        [_] => Ok(t.into_dimensionality::<Ix1>().map_err(linfa::Error::from)?),
        [_, 1] => Ok(t
            .into_dimensionality::<Ix2>()
            .map_err(linfa::Error::from)?
            .index_axis_move(Axis(1), 0)),
        shape => Err(SurrogateError::TargetShape {
            shape: shape.to_vec(),
        }),
    }
}

/// Errors when `rows < needed`, naming `what` needed them.
pub(crate) fn require_rows(what: &'static str, rows: usize, needed: usize) -> Result<()> {
    if rows < needed {
        Err(SurrogateError::TooFewRows { what, rows, needed })
    } else {
        Ok(())
    }
}
