//! Will a checkpoint fit? Its dense f32 weights against the memory this
//! machine has available now.

use super::error::{PretrainedError, Result};
use sysinfo::{MemoryRefreshKind, RefreshKind, System};

/// Bytes of memory available to a new allocation now (free plus reclaimable).
pub fn available_bytes() -> u64 {
    let sys = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    );
    sys.available_memory()
}

/// Bytes of `elements` dense f32 weights.
pub fn dense_f32_bytes(elements: u64) -> u64 {
    elements.saturating_mul(4)
}

/// Errors when `need_bytes` exceed `available`, naming the model, both sizes and the fix.
///
/// ```
/// use aellm_harness::pretrained::memory::ensure_fits;
/// assert!(ensure_fits("tiny", 1 << 20, 1 << 30).is_ok());
/// let e = ensure_fits("huge", 1 << 40, 1 << 30).unwrap_err().to_string();
/// assert!(e.contains("huge") && e.contains("1024.00 GiB") && e.contains("1.00 GiB"));
/// ```
pub fn ensure_fits(model: &str, need_bytes: u64, available: u64) -> Result<()> {
    if need_bytes <= available {
        return Ok(());
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    Err(PretrainedError::TooLarge {
        model: model.to_string(),
        need_bytes,
        need_gib: gib(need_bytes),
        available_bytes: available,
        available_gib: gib(available),
    })
}

/// [`ensure_fits`] against this machine's available memory.
pub fn ensure_fits_here(model: &str, elements: u64) -> Result<()> {
    let need = dense_f32_bytes(elements);
    let available = available_bytes();
    tracing::debug!(model, need, available, "memory check");
    ensure_fits(model, need, available)
}
