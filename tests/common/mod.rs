//! Shared helpers of the integration tests: load theorem files, run claims at the quick precision.

use std::path::{Path, PathBuf};

use tlcheck::check::RunContext;
use tlcheck::theorem::{Claim, load_dir};

/// Fixed base seed of the test suite.
pub const SEED: u64 = 2025;

pub fn theorem_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems")
}

pub fn claims() -> Vec<Claim> {
    load_dir(&theorem_dir()).expect("theorem files load")
}

pub fn quick() -> RunContext {
    RunContext { quick: true, seed: SEED, progress: None }
}
