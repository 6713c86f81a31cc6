//! Histogram gradient-boosted regression trees for [linfa], with bootstrap
//! ensembles that give calibrated uncertainty.
//!
//! - [`GradientBoostedTrees`]: an XGBoost-style regressor (quantile bins,
//!   second-order split gain, L2-regularised leaves, row/column subsampling,
//!   early stopping, gain importance, warm start), fitted the linfa way:
//!   `GradientBoostedTrees::params()` → [`GbdtParams`] → `fit(&dataset)`.
//! - [`BootstrapEnsemble`]: K boosted models on bootstrap resamples, predicting
//!   a mean and a standard deviation that includes out-of-bag residual noise.
//! - [`datasets`] and [`evaluation`]: the bundled benchmark data and the
//!   repeated k-fold protocol used to compare with XGBoost and LightGBM.
//!
//! Nothing here knows about LLMs: any regression problem will do.
#![deny(missing_docs)]

pub mod benchmark;
pub mod binning;
mod data;
pub mod datasets;
pub mod ensemble;
mod error;
pub mod evaluation;
mod gbdt;
pub mod loss;
pub mod tree;

pub use ensemble::{BootstrapEnsemble, EnsembleParams, EnsembleValidParams};
pub use error::{Result, SurrogateError};
pub use gbdt::{GbdtParams, GbdtValidParams, GradientBoostedTrees};
pub use loss::{Loss, PseudoHuber, SquaredError};
