//! # aellm-space
//!
//! The configuration space of LLM efficiency techniques that every other
//! aellm crate asks: what a [`Configuration`] is (architecture, fine-tuning,
//! inference), which configurations are valid and why not ([`rules`]), the
//! [`Space`] of allowed values with its size, enumeration, sampling and
//! neighbours, the feature [`encoding`] shared by surrogates and search,
//! deployment [`Scenario`]s with [`presets`], and the [`Evaluator`] trait
//! through which figures ([`Measurement`]) are obtained.
//!
//! ```
//! use aellm_space::{Space, Scenario, presets};
//! use rand::SeedableRng;
//!
//! let space = Space::paper();
//! println!("{} valid configurations", space.size());
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let c = space.sample(&mut rng).unwrap();
//! let scenario = Scenario::new(
//!     presets::model("mistral-7b").unwrap(),
//!     presets::task("gsm8k").unwrap(),
//!     presets::hardware("rtx-4090").unwrap(),
//! );
//! // Some configurations need more of the model (GQA groups dividing its heads):
//! let model_ok = space.for_model(&scenario.model).contains(&c);
//! assert_eq!(model_ok, c.validate_for(&scenario.model).is_empty());
//! ```
#![deny(missing_docs)]

pub mod cancel;
pub mod config;
pub mod encoding;
mod error;
mod evaluator;
mod failure;
pub mod footprint;
mod objectives;
pub mod presets;
pub mod scenario;
mod space;
mod time_limit;

pub use config::{
    Architecture, Attention, Configuration, FineTuneMethod, FineTuning, Inference, KvCache, Moe,
    QuantMethod, Rule, Violation, WeightPrecision, rules,
};
pub use error::SpaceError;
pub use evaluator::{Evaluation, Evaluator};
pub use failure::{EvalError, FailureClass};
pub use objectives::{Figure, Measurement, Objectives, Provenance};
pub use scenario::{
    Constraints, HardwareSpec, ModelEntry, ModelSpec, Preferences, PresetOr, Scenario,
    ScenarioFile, TaskKind, TaskMetric, TaskSpec, Throughput,
};
pub use space::{Dimension, Genome, Space};
pub use time_limit::{MAX_EVAL_TIMEOUT, TimeLimited, check_eval_timeout};
