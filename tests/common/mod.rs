//! Shared helpers of the integration tests: load theorem files, run claims at the quick precision.

use std::path::{Path, PathBuf};

use tlcheck::audit::{ClaimReport, run_claim};
use tlcheck::check::RunContext;
use tlcheck::theorem::{Claim, TheoremFile, load_dir};

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

/// The theorem file of a claim id.
#[allow(dead_code)] // not every test binary uses every helper
pub fn file(id: &str) -> TheoremFile {
    claims().into_iter().find(|c| c.id() == id).unwrap_or_else(|| panic!("no claim {id}")).file
}

/// Runs a (possibly edited) theorem file at the quick precision.
#[allow(dead_code)]
pub fn run(file: TheoremFile) -> ClaimReport {
    let claim = Claim::compile(file, PathBuf::from("edited.toml")).expect("claim compiles");
    run_claim(&claim, &quick()).expect("claim runs")
}

/// Whether `variant` fails at some point where `original` passes (same checks, same points).
#[allow(dead_code)]
pub fn rejected(original: &ClaimReport, variant: &ClaimReport) -> bool {
    original.checks.iter().zip(&variant.checks).any(|(a, b)| {
        a.failures.len() != b.failures.len() || a.failures.iter().zip(&b.failures).any(|(fa, fb)| *fb && !*fa)
    })
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
