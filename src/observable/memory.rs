//! How much memory a trial may use: at most [`MEMORY_LIMIT`], and no more than this process can
//! still obtain (the smaller of the system's available memory and the address-space limit minus what
//! the process already maps, read from `/proc`), shared by the trials that run in parallel. A size
//! above it is refused with a message instead of failing inside an allocation.

use std::sync::OnceLock;

use crate::error::{Error, Result};

/// Refuse runs that would need more memory than this per trial (bytes), whatever the machine has.
pub const MEMORY_LIMIT: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A value in a `/proc` file: the first number after `key` on its line, times `unit` bytes.
fn proc_value(path: &str, key: &str, unit: f64) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let value = line[key.len()..].split_whitespace().next()?;
    value.parse::<f64>().ok().map(|v| v * unit)
}

/// Bytes this process can still obtain (infinite where `/proc` does not say).
fn obtainable() -> f64 {
    let available = proc_value("/proc/meminfo", "MemAvailable:", 1024.0).unwrap_or(f64::INFINITY);
    let address_space = proc_value("/proc/self/limits", "Max address space", 1.0)
        .map(|limit| limit - proc_value("/proc/self/status", "VmSize:", 1024.0).unwrap_or(0.0))
        .unwrap_or(f64::INFINITY);
    available.min(address_space)
}

/// The per-trial limit in bytes: min(MEMORY_LIMIT, obtainable / parallel trials), read once.
pub fn memory_limit() -> f64 {
    static LIMIT: OnceLock<f64> = OnceLock::new();
    *LIMIT.get_or_init(|| MEMORY_LIMIT.min(obtainable() / rayon::current_num_threads().max(1) as f64))
}

/// Checks a memory estimate (bytes) against [`memory_limit`].
pub fn check_memory(bytes: f64, what: &str) -> Result<()> {
    let limit = memory_limit();
    if bytes > limit {
        Err(Error::input(format!(
            "{what} would need about {:.1} GiB of memory per trial (limit here {:.1} GiB); reduce the size",
            bytes / GIB,
            limit / GIB
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_positive_and_at_most_the_cap() {
        let l = memory_limit();
        assert!(l > 0.0 && l <= MEMORY_LIMIT, "{l}");
        assert!(check_memory(1e3, "a small run").is_ok());
        let e = check_memory(1e15, "a huge run").unwrap_err().to_string();
        assert!(e.contains("a huge run") && e.contains("GiB"), "{e}");
    }
}
