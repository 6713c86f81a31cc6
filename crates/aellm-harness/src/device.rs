//! Where models run: GPU 0 with the `cuda` feature when one answers, else the CPU.

/// candle's device type, re-exported so programs that only pick a device need not depend on candle.
pub use candle_core::Device;

/// The device evaluations run on.
pub fn best() -> Device {
    #[cfg(feature = "cuda")]
    match Device::new_cuda(0) {
        Ok(d) => return d,
        Err(e) => tracing::warn!("no CUDA device ({e}); running on the CPU"),
    }
    Device::Cpu
}

/// The machine's 1-minute load average as the kernel prints it, or "?"
/// where there is none: printed beside wall-clock timings so a reader can
/// tell a quiet machine's figures from a busy one's.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}
