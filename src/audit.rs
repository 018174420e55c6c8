//! The audit: runs every check of every selected claim through the pipeline and compares the computed
//! verdict with the one recorded in its theorem file.

use std::time::Instant;

use serde::Serialize;

use crate::claim::Claim;
use crate::engine::alpha::check_alpha;
use crate::engine::{Precision, Run, run_check};
use crate::error::{Error, Result};
use crate::outcome::{CheckOutcome, PointOutcome, Resolution, Verdict, combine, least_compatible};
use crate::spec::Status;

/// The point least compatible with a claim, and the check it belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct WorstPoint {
    /// 1-based index of the check.
    pub check: usize,
    pub point: PointOutcome,
}

/// What a claim's "holds" excludes: the coarsest resolution over its independent holding checks
/// (largest relative resolution where the checks state one, else the largest absolute one).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ClaimResolution {
    /// 1-based index of the check.
    pub check: usize,
    #[serde(flatten)]
    pub resolution: Resolution,
}

/// Outcome of one claim.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimOutcome {
    pub id: String,
    pub title: String,
    pub status: Status,
    /// "arXiv 2507.04448 v2, claim 2" style citation.
    pub source: String,
    pub verdict: Verdict,
    pub expected: Verdict,
    /// Whether the computed verdict equals the recorded one.
    pub matches: bool,
    /// The recorded one-line reason.
    pub reason: String,
    pub worst: Option<WorstPoint>,
    /// Largest |z| over equality points and largest z towards violation over one-sided points.
    pub max_abs_z: Option<f64>,
    /// What the holding checks exclude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<ClaimResolution>,
    pub elapsed_s: f64,
    pub checks: Vec<CheckOutcome>,
    /// Why the claim could not be run (verdict `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ClaimError>,
}

/// A claim that could not be run: the message and the exit code of its kind (2 bad input, 3 runtime).
#[derive(Debug, Clone, Serialize)]
pub struct ClaimError {
    pub message: String,
    pub exit_code: i32,
}

/// Runs one claim; a claim that cannot run gets the verdict `error` with the message, so that an
/// audit goes on.
pub fn decide_claim(claim: &Claim, run: &Run) -> ClaimOutcome {
    let start = Instant::now();
    run_claim(claim, run).unwrap_or_else(|e| {
        let f = &claim.file;
        let expected = f.verdict.at(run.precision().quick);
        ClaimOutcome {
            id: f.id.clone(),
            title: f.title.clone(),
            status: f.status,
            source: source(claim),
            verdict: Verdict::Error,
            expected,
            matches: false,
            reason: f.verdict.reason.clone(),
            worst: None,
            max_abs_z: None,
            resolution: None,
            elapsed_s: start.elapsed().as_secs_f64(),
            checks: Vec::new(),
            error: Some(ClaimError { message: e.to_string(), exit_code: e.exit_code() }),
        }
    })
}

/// The exit code of an audit: the most severe claim error (3 over 2), else 1 when a computed verdict
/// differs from the recorded one, else 0.
pub fn exit_code(reports: &[ClaimOutcome]) -> i32 {
    let errors = reports.iter().filter_map(|r| r.error.as_ref().map(|e| e.exit_code));
    audit_exit_code(errors, reports.iter().all(|r| r.matches))
}

/// The exit code of an audit from its claims' error codes and whether every verdict is as recorded.
pub fn audit_exit_code(errors: impl Iterator<Item = i32>, all_match: bool) -> i32 {
    errors.max().unwrap_or(if all_match { 0 } else { 1 })
}

/// "arXiv 2507.04448 v2, claim 2" style citation of a claim.
fn source(claim: &Claim) -> String {
    let s = &claim.file.source;
    format!("arXiv {} {}, {}", s.arxiv, s.version, s.location)
}

/// A claim's verdict from its checks' verdicts. Checks labelled with a `regime` cover different settings
/// of the claim: if some of them hold and others are refuted, the claim is regime-limited. Unlabelled
/// checks test the same setting: any refutation among them refutes the claim ([`combine`]).
pub fn combine_regimes(checks: &[(Verdict, bool)]) -> Verdict {
    let plain: Vec<Verdict> = checks.iter().filter(|c| !c.1).map(|c| c.0).collect();
    let regimes: Vec<Verdict> = checks.iter().filter(|c| c.1).map(|c| c.0).collect();
    let mixed = regimes.contains(&Verdict::Refuted) && regimes.iter().any(|v| *v != Verdict::Refuted);
    let regime_verdict = if mixed { Verdict::RegimeLimited } else { combine(&regimes) };
    combine(&[combine(&plain), regime_verdict])
}

/// A claim's verdict from its checks ([`combine_regimes`]); a claim cannot hold on consistency checks
/// alone: if no independent check holds, a "holds" becomes inconclusive.
pub fn claim_verdict(checks: &[CheckOutcome]) -> Verdict {
    let labelled: Vec<(Verdict, bool)> = checks.iter().map(|c| (c.verdict, c.regime.is_some())).collect();
    let verdict = combine_regimes(&labelled);
    let independent_holds = checks.iter().any(|c| c.consistency.is_none() && c.verdict == Verdict::Holds);
    if verdict == Verdict::Holds && !independent_holds { Verdict::Inconclusive } else { verdict }
}

/// The coarsest resolution over a claim's independent holding checks.
pub fn claim_resolution(checks: &[CheckOutcome]) -> Option<ClaimResolution> {
    let holding = checks.iter().filter(|c| c.verdict == Verdict::Holds && c.consistency.is_none());
    let stated: Vec<ClaimResolution> =
        holding.filter_map(|c| c.resolution.map(|resolution| ClaimResolution { check: c.index, resolution })).collect();
    let key = |r: &ClaimResolution| (r.resolution.rel.is_some(), r.resolution.rel.unwrap_or(r.resolution.abs));
    stated.into_iter().max_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    })
}

/// Simulated trials a claim plans at a precision (for progress).
pub fn planned_trials(claim: &Claim, precision: &Precision) -> u64 {
    claim.checks.iter().map(|c| c.planned_trials(precision)).sum()
}

/// Runs one claim in `run`.
pub fn run_claim(claim: &Claim, run: &Run) -> Result<ClaimOutcome> {
    let start = Instant::now();
    run.observer().claim_started(claim.id());
    let checks = claim
        .checks
        .iter()
        .map(|check| {
            run_check(check, run, check_alpha(claim.checks.len())).map_err(|e| match e {
                Error::Input(m) => Error::Input(format!("{} check {}: {m}", claim.id(), check.index)),
                Error::Numerical(m) => Error::Numerical(format!("{} check {}: {m}", claim.id(), check.index)),
                other => other,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let verdict = claim_verdict(&checks);
    // The worst point: the least likely under the claim among the checks' worst points.
    let worsts: Vec<(usize, &PointOutcome)> =
        checks.iter().filter_map(|c| c.worst_point().map(|p| (c.index, p))).collect();
    let worst = least_compatible(worsts.iter().map(|(_, p)| *p)).and_then(|w| {
        worsts.iter().find(|(_, p)| std::ptr::eq(*p, w)).map(|(i, p)| WorstPoint { check: *i, point: (*p).clone() })
    });
    let max_abs_z = checks.iter().flat_map(|c| c.points.iter().filter_map(PointOutcome::deviation)).reduce(f64::max);
    let f = &claim.file;
    let expected = f.verdict.at(run.precision().quick);
    Ok(ClaimOutcome {
        id: f.id.clone(),
        title: f.title.clone(),
        status: f.status,
        source: source(claim),
        verdict,
        expected,
        matches: verdict == expected,
        reason: f.verdict.reason.clone(),
        worst,
        max_abs_z,
        resolution: claim_resolution(&checks),
        elapsed_s: start.elapsed().as_secs_f64(),
        checks,
        error: None,
    })
}

/// Selects claims by id (all when `ids` is empty); unknown ids are an error.
pub fn select<'a>(claims: &'a [Claim], ids: &[String]) -> Result<Vec<&'a Claim>> {
    if ids.is_empty() {
        return Ok(claims.iter().collect());
    }
    ids.iter()
        .map(|id| {
            claims.iter().find(|c| c.id() == id).ok_or_else(|| {
                let known: Vec<&str> = claims.iter().map(|c| c.id()).collect();
                Error::input(format!("unknown claim `{id}`; known: {}", known.join(", ")))
            })
        })
        .collect()
}
