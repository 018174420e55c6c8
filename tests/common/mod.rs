//! Shared helpers of the integration tests: load theorem files, run claims at the quick precision.

use std::path::{Path, PathBuf};

use tlcheck::audit::{ClaimOutcome, run_claim};
use tlcheck::claim::{Claim, load_dir};
use tlcheck::engine::{Precision, Run, Silent};
use tlcheck::spec::TheoremFile;

/// Fixed base seed of the test suite.
pub const SEED: u64 = 2025;

pub fn theorem_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems")
}

pub fn claims() -> Vec<Claim> {
    load_dir(&theorem_dir()).expect("theorem files load")
}

/// A run at the quick precision and the suite's seed (its own cache).
pub fn quick() -> Run<'static> {
    Run::new(Precision { quick: true, seed: SEED }, &Silent)
}

/// The theorem file of a claim id.
#[allow(dead_code)] // not every test binary uses every helper
pub fn file(id: &str) -> TheoremFile {
    claims().into_iter().find(|c| c.id() == id).unwrap_or_else(|| panic!("no claim {id}")).file
}

/// Runs a (possibly edited) theorem file at the quick precision.
#[allow(dead_code)]
pub fn run(file: TheoremFile) -> ClaimOutcome {
    let claim = Claim::compile(file, PathBuf::from("edited.toml")).expect("claim compiles");
    run_claim(&claim, &quick()).expect("claim runs")
}

/// Evidence of every check of an outcome, for assertion messages.
#[allow(dead_code)]
pub fn evidence(outcome: &ClaimOutcome) -> Vec<String> {
    outcome.checks.iter().map(tlcheck::report::evidence::evidence).collect()
}

/// Runs the tlcheck binary with `args`.
#[allow(dead_code)]
pub fn tlcheck(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tlcheck")).args(args).output().expect("binary runs")
}

/// The JSON a successful run printed.
#[allow(dead_code)]
pub fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// A path for file `name` in a per-process temporary folder named after `suite`.
#[allow(dead_code)]
pub fn tmp(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlcheck-{suite}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
