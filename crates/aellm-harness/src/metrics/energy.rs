//! Energy: NVML's counter on NVIDIA GPUs, RAPL where the kernel exposes it,
//! otherwise CPU time times a stated wattage (an estimate).

use aellm_space::Provenance;
use std::path::PathBuf;

/// Where energy readings come from.
#[derive(Debug)]
pub enum EnergyMeter {
    /// NVML's total-energy counter of GPU 0 (millijoules since driver load).
    #[cfg(feature = "nvml")]
    Nvml(Box<nvml_wrapper::Nvml>),
    /// The RAPL package counter (`energy_uj`) under `/sys/class/powercap`:
    /// the whole package, so other processes' work counts too.
    Rapl {
        /// The `energy_uj` file.
        path: PathBuf,
        /// Where the counter wraps, in µJ.
        wrap_uj: u64,
    },
    /// CPU time of this process (every thread) times `watts_per_core`.
    CpuTime {
        /// Stated power of one busy core, in W.
        watts_per_core: f64,
    },
}

/// A reading to subtract from a later one.
#[derive(Debug, Clone, Copy)]
pub struct EnergyReading(f64);

impl EnergyMeter {
    /// The best meter this machine has: NVML (with the `cuda` feature and a
    /// GPU), RAPL, or CPU time at `watts_per_core`.
    pub fn detect(watts_per_core: f64) -> Self {
        #[cfg(feature = "nvml")]
        if let Ok(n) = nvml_wrapper::Nvml::init()
            && n.device_by_index(0)
                .and_then(|d| d.total_energy_consumption())
                .is_ok()
        {
            return EnergyMeter::Nvml(Box::new(n));
        }
        let root = PathBuf::from("/sys/class/powercap/intel-rapl:0");
        let path = root.join("energy_uj");
        if std::fs::read_to_string(&path).is_ok_and(|s| s.trim().parse::<u64>().is_ok()) {
            let wrap_uj = std::fs::read_to_string(root.join("max_energy_range_uj"))
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(u64::MAX);
            return EnergyMeter::Rapl { path, wrap_uj };
        }
        EnergyMeter::CpuTime { watts_per_core }
    }

    /// Whether readings are measured or estimated.
    pub fn provenance(&self) -> Provenance {
        match self {
            EnergyMeter::CpuTime { .. } => Provenance::Estimated,
            _ => Provenance::Measured,
        }
    }

    /// How readings are obtained, for the figure's note.
    pub fn how(&self) -> String {
        match self {
            #[cfg(feature = "nvml")]
            EnergyMeter::Nvml(_) => "NVML total energy counter, GPU 0".into(),
            EnergyMeter::Rapl { path, .. } => format!("RAPL package counter {}", path.display()),
            EnergyMeter::CpuTime { watts_per_core } => {
                format!(
                    "process CPU time x {watts_per_core} W per busy core (no energy counter on this machine)"
                )
            }
        }
    }

    /// The counter now (J).
    pub fn read(&self) -> EnergyReading {
        EnergyReading(match self {
            #[cfg(feature = "nvml")]
            EnergyMeter::Nvml(n) => n
                .device_by_index(0)
                .and_then(|d| d.total_energy_consumption())
                .map_or(0.0, |mj| mj as f64 / 1e3),
            EnergyMeter::Rapl { path, .. } => std::fs::read_to_string(path)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map_or(0.0, |uj| uj as f64 / 1e6),
            EnergyMeter::CpuTime { watts_per_core } => process_cpu_seconds() * watts_per_core,
        })
    }

    /// Joules since `start`.
    pub fn joules_since(&self, start: EnergyReading) -> f64 {
        let now = self.read().0;
        match self {
            EnergyMeter::Rapl { wrap_uj, .. } if now < start.0 => {
                now + *wrap_uj as f64 / 1e6 - start.0
            }
            _ => (now - start.0).max(0.0),
        }
    }
}

/// CPU seconds used so far by every live thread of this process, from
/// `/proc/self/task/*/schedstat` (nanoseconds), falling back to the
/// clock-tick counters of `/proc/self/stat` (assuming 100 ticks per second).
pub fn process_cpu_seconds() -> f64 {
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        let mut ns = 0u64;
        let mut any = false;
        for t in tasks.flatten() {
            if let Some(v) = std::fs::read_to_string(t.path().join("schedstat"))
                .ok()
                .and_then(|s| {
                    s.split_whitespace()
                        .next()
                        .and_then(|x| x.parse::<u64>().ok())
                })
            {
                ns += v;
                any = true;
            }
        }
        if any {
            return ns as f64 / 1e9;
        }
    }
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rapl_counter_differences_handle_the_wrap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("energy_uj");
        std::fs::write(&path, "999000000\n").unwrap();
        let m = EnergyMeter::Rapl {
            path: path.clone(),
            wrap_uj: 1_000_000_000,
        };
        assert_eq!(m.provenance(), Provenance::Measured);
        let r = m.read();
        std::fs::write(&path, "2000000\n").unwrap();
        // 1 J to the wrap, then 2 J more.
        assert!((m.joules_since(r) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn cpu_time_grows_with_work_and_energy_follows() {
        let m = EnergyMeter::CpuTime {
            watts_per_core: 10.0,
        };
        let r = m.read();
        let t0 = process_cpu_seconds();
        let mut x = 0u64;
        for i in 0..30_000_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(process_cpu_seconds() > t0);
        assert!(m.joules_since(r) > 0.0);
        assert_eq!(m.provenance(), Provenance::Estimated);
    }
}
