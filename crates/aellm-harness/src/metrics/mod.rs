//! The four measurements: accuracy on the test split, latency, peak memory
//! and energy, each with how it was obtained.

pub mod accuracy;
pub mod energy;
pub mod latency;
pub mod memory;

pub use energy::{EnergyMeter, process_cpu_seconds};
pub use latency::{LatencyOptions, LatencyReport};
pub use memory::CountingAllocator;
