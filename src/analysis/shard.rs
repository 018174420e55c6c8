//! Sharded runs: shard K of N runs a deterministic, balanced part of a command's work and writes it
//! with a header; `merge` checks the headers and combines the parts into the output of the unsharded
//! run. Random streams are derived from claim, check, point, size and trial (never from the shard),
//! so a part draws exactly the numbers the unsharded run draws for it.
//!
//! Work items (claims of an audit, (claim, seed) runs of a calibration) are dealt round-robin: item
//! i (0-based, in the unsharded order) goes to shard i mod N + 1, so shards differ by at most one item.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Shard `index` of `count` (1-based), written "K/N".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("shard {s:?}: expected K/N with 1 <= K <= N (e.g. 2/8)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) =
            (k.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        if index == 0 || index > count { Err(bad()) } else { Ok(Shard { index, count }) }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether item `i` (0-based, in the unsharded order) belongs to this shard.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count + 1 == self.index
    }

    /// The items of this shard, in their unsharded order.
    pub fn select<T>(&self, items: Vec<T>) -> Vec<T> {
        items.into_iter().enumerate().filter(|(i, _)| self.owns(*i)).map(|(_, x)| x).collect()
    }
}

/// What identifies the run a shard belongs to: shards merge only when these agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    /// The sharded command (`audit`, `calibrate`).
    pub command: String,
    /// The tlcheck version that wrote the shard.
    pub version: String,
    /// The command's settings (precision, seeds, the whole selection of claims).
    pub settings: serde_json::Value,
    pub shard: Shard,
    /// Wall time of the shard (seconds).
    pub elapsed_s: f64,
}

/// A shard file: the header and the shard's part of the output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardFile<T> {
    pub tlcheck_shard: ShardHeader,
    pub output: T,
}

impl ShardHeader {
    pub fn new(command: &str, settings: serde_json::Value, shard: Shard, elapsed_s: f64) -> Self {
        ShardHeader { command: command.into(), version: env!("CARGO_PKG_VERSION").into(), settings, shard, elapsed_s }
    }
}

/// Checks that the headers (one per file) form one complete run: same command, version, settings
/// and shard count; every shard 1..=N exactly once. Errors name the files and shards at fault.
pub fn check_complete(headers: &[(PathBuf, ShardHeader)]) -> Result<()> {
    let Some((first_path, first)) = headers.first() else {
        return Err(Error::input("merge needs at least one shard file"));
    };
    for (path, h) in &headers[1..] {
        let differs = [
            ("command", h.command != first.command),
            ("version", h.version != first.version),
            ("settings (precision, seeds or claims)", h.settings != first.settings),
            ("shard count", h.shard.count != first.shard.count),
        ];
        if let Some((what, _)) = differs.iter().find(|d| d.1) {
            return Err(Error::input(format!(
                "{} and {} are shards of different runs: their {what} differ",
                first_path.display(),
                path.display()
            )));
        }
    }
    let mut seen: BTreeMap<usize, &PathBuf> = BTreeMap::new();
    for (path, h) in headers {
        if let Some(other) = seen.insert(h.shard.index, path) {
            return Err(Error::input(format!(
                "shard {} given twice: {} and {}",
                h.shard,
                other.display(),
                path.display()
            )));
        }
    }
    let n = first.shard.count;
    let missing: Vec<String> = (1..=n).filter(|k| !seen.contains_key(k)).map(|k| format!("{k}/{n}")).collect();
    if missing.is_empty() { Ok(()) } else { Err(Error::input(format!("shards missing: {}", missing.join(", ")))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(index: usize, count: usize, seed: u64) -> (PathBuf, ShardHeader) {
        let settings = serde_json::json!({ "seed": seed });
        (PathBuf::from(format!("s{index}.json")), ShardHeader::new("audit", settings, Shard { index, count }, 1.0))
    }

    #[test]
    fn parses_and_deals_round_robin() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let parts: Vec<Vec<usize>> = (1..=3).map(|k| Shard { index: k, count: 3 }.select((0..7).collect())).collect();
        assert_eq!(parts, vec![vec![0, 3, 6], vec![1, 4], vec![2, 5]]);
    }

    #[test]
    fn refuses_missing_duplicated_and_foreign_shards() {
        assert!(check_complete(&[header(1, 2, 1), header(2, 2, 1)]).is_ok());
        let e = check_complete(&[header(1, 3, 1), header(3, 3, 1)]).unwrap_err().to_string();
        assert!(e.contains("shards missing: 2/3"), "{e}");
        let e = check_complete(&[header(1, 2, 1), header(1, 2, 1), header(2, 2, 1)]).unwrap_err().to_string();
        assert!(e.contains("shard 1/2 given twice"), "{e}");
        let e = check_complete(&[header(1, 2, 1), header(2, 2, 7)]).unwrap_err().to_string();
        assert!(e.contains("different runs") && e.contains("settings"), "{e}");
    }
}
