//! Where models run: GPU 0 with the `cuda` feature when one answers, else the CPU.

use candle_core::Device;

/// The device evaluations run on.
pub fn best() -> Device {
    #[cfg(feature = "cuda")]
    match Device::new_cuda(0) {
        Ok(d) => return d,
        Err(e) => tracing::warn!("no CUDA device ({e}); running on the CPU"),
    }
    Device::Cpu
}
