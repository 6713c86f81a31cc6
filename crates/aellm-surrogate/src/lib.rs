//! Histogram gradient-boosted regression trees for [linfa], with bootstrap
//! ensembles that give calibrated uncertainty.
//!
//! - [`GradientBoostedTrees`]: an XGBoost-style regressor (quantile bins,
//!   second-order split gain, L2-regularised leaves, row/column subsampling,
//!   early stopping, gain importance, warm start), fitted the linfa way:
//!   `GradientBoostedTrees::params()` → [`GbdtParams`] → `fit(&dataset)`.
//! - [`BootstrapEnsemble`]: K boosted models on bootstrap resamples, predicting
//!   a mean and a standard deviation that includes out-of-bag residual noise.
//!   Its 90% interval is `mean ± Z90·σ` with [`Z90`] ≈ 1.645.
//! - [`datasets`] and [`evaluation`]: the bundled benchmark data and the
//!   repeated k-fold protocol used to compare with XGBoost and LightGBM;
//!   [`benchmark_params`] are the settings of that comparison (300 trees,
//!   depth 3, learning rate 0.05, subsample and colsample 0.8), a sound start
//!   for a few hundred rows; [`GbdtParams::ae_llm`] is the AE-LLM paper's preset.
//!   The `surrogate_benchmark` example prints the comparison.
//!
//! Nothing here knows about LLMs: any regression problem will do.
//!
//! # A surrogate with uncertainty in five lines
//!
//! Features are whatever encoding the caller uses (for AE-LLM: configuration
//! encoding ⊕ model features ⊕ task features); targets one measured metric.
//! linfa's default `Dataset<f64, f64>` (targets as one column) and 1-D
//! targets both work.
//!
//! ```
//! use aellm_surrogate::{BootstrapEnsemble, GbdtParams};
//! use linfa::prelude::*;
//! use ndarray::{Array2, Axis};
//!
//! let x = Array2::from_shape_fn((150, 3), |(i, j)| ((i * 37 + j * 11) % 101) as f64);
//! let y = x.map_axis(Axis(1), |r| r[0] - 0.5 * r[1]).insert_axis(Axis(1));
//! let data: Dataset<f64, f64> = Dataset::new(x.clone(), y);
//!
//! // The paper's member preset is GbdtParams::ae_llm() (BootstrapEnsemble::params());
//! // smaller members keep this example fast.
//! let surrogate = BootstrapEnsemble::params_with(GbdtParams::ae_llm().n_trees(50).max_depth(4))
//!     .n_members(4)
//!     .fit(&data)?;
//! let (mean, std) = surrogate.predict_with_std(&x)?;
//! assert!(std.iter().all(|s| *s > 0.0));
//!
//! // Save and load (any serde format; JSON helpers included).
//! let path = std::env::temp_dir().join("aellm-surrogate-doc.json");
//! surrogate.save_json(&path)?;
//! let back: BootstrapEnsemble = BootstrapEnsemble::load_json(&path)?;
//! assert_eq!(back.predict_with_std(&x)?, (mean, std));
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), aellm_surrogate::SurrogateError>(())
//! ```
//!
//! Transfer to a new domain (a new model with few evaluations) continues
//! boosting from a fitted model:
//! [`GradientBoostedTrees::continue_training`], or linfa's
//! [`FitWith`](linfa::traits::FitWith) with `Some(model)`;
//! [`BootstrapEnsemble::continue_training`] does it for every member.
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

pub use benchmark::benchmark_params;
pub use ensemble::{BootstrapEnsemble, EnsembleParams, EnsembleValidParams, Z90};
pub use error::{Result, SurrogateError};
pub use gbdt::{GbdtParams, GbdtValidParams, GradientBoostedTrees};
/// The linfa version these models implement (its traits, `Dataset`, `ParamGuard`).
pub use linfa;
pub use loss::{Loss, PseudoHuber, SquaredError};
