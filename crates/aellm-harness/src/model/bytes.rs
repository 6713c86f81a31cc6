//! How many bytes a tensor holds: the one count every weight and cache figure uses.

use candle_core::Tensor;

/// Bytes a tensor's elements occupy.
pub fn tensor_bytes(t: &Tensor) -> usize {
    t.elem_count() * t.dtype().size_in_bytes()
}
