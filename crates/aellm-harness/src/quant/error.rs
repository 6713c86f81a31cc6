//! What can go wrong when quantizing, each with the input at fault and the fix.

/// A quantization failure. Messages name the input and the fix.
#[derive(Debug, thiserror::Error)]
pub enum QuantError {
    /// The precision/method pair breaks a rule of the configuration space.
    #[error("invalid quantization spec: {0}")]
    InvalidSpec(String),
    /// A tuning knob of the spec is out of range.
    #[error("QuantSpec.{name} = {value} is out of range: {fix}")]
    BadParameter {
        /// The field.
        name: &'static str,
        /// Its value.
        value: String,
        /// What to use instead.
        fix: &'static str,
    },
    /// No weight was given.
    #[error("no weights given: pass at least one [out, in] weight tensor")]
    NoWeights,
    /// An input is not a 2-D matrix.
    #[error(
        "{input} must be a 2-D matrix ([out, in] weights or [n, in] activations), found shape {dims:?}: reshape it"
    )]
    NotMatrix {
        /// Which input.
        input: String,
        /// Its shape.
        dims: Vec<usize>,
    },
    /// A weight with no rows or no columns.
    #[error("{input} is empty ({rows} x {cols}): pass a weight with at least one row and column")]
    EmptyWeight {
        /// Which input.
        input: String,
        /// Its rows.
        rows: usize,
        /// Its columns.
        cols: usize,
    },
    /// An input's width differs from the first weight's.
    #[error(
        "{input} has in-dim {found} but weights[0] has {expected}: every linear of a group and its calibration inputs must share one input width"
    )]
    InDimMismatch {
        /// Which input.
        input: String,
        /// Its in-dim.
        found: usize,
        /// The first weight's in-dim.
        expected: usize,
    },
    /// The in-dim cannot be split into whole groups.
    #[error(
        "in-dim {in_dim} is not a multiple of group_size {group_size}: integer weights are stored in blocks of 32, so use a group size dividing the in-dim, or FP16/FP8 for this layer"
    )]
    InDimNotMultiple {
        /// The in-dim.
        in_dim: usize,
        /// The group size asked for.
        group_size: usize,
    },
    /// An input holds NaN or an infinity.
    #[error(
        "{input} holds a non-finite value ({value}) at row {row}, column {col}: fix the model or activations that produced it before quantizing"
    )]
    NonFinite {
        /// Which input.
        input: String,
        /// Row of the first bad value.
        row: usize,
        /// Column of the first bad value.
        col: usize,
        /// The value.
        value: f32,
    },
    /// A value is too large for the storage format's scale.
    #[error(
        "{input} holds {value}, too large for {format}: rescale the weights (fold a factor into the next layer) or keep this layer in FP32"
    )]
    OutOfRange {
        /// Which input.
        input: String,
        /// The value.
        value: f64,
        /// The format that cannot hold it.
        format: &'static str,
    },
    /// A method that learns from activations got none.
    #[error("{method} needs calibration inputs: pass [n, in] activations with n >= 1")]
    NoCalibration {
        /// The method.
        method: String,
    },
    /// GPTQ's damped Hessian could not be factored.
    #[error(
        "GPTQ: the damped Hessian 2XᵀX/n is not positive definite (failed at pivot {pivot}): raise gptq_damp (now {damp}) or pass more, more varied calibration rows"
    )]
    NotPositiveDefinite {
        /// The column where Cholesky failed.
        pivot: usize,
        /// The dampening used.
        damp: f64,
    },
    /// A candle operation failed (device or dtype trouble, not a bad input).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}
