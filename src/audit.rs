//! The audit: runs every check of every selected claim and compares the computed verdict with
//! the one recorded in its theorem file.

use std::time::Instant;

use serde::Serialize;

use crate::check::{CheckReport, PointReport, RunContext, Verdict, combine, fmt_point, least_compatible};
use crate::error::{Error, Result};
use crate::theorem::{Claim, Status};

/// Outcome of one claim.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimReport {
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
    pub worst_point: Option<String>,
    /// Largest |z| over equality points and largest z towards violation over inequality points.
    pub max_abs_z: Option<f64>,
    pub elapsed_s: f64,
    pub checks: Vec<CheckReport>,
    /// Every compared point of every check, in check order.
    pub points: Vec<PointReport>,
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

/// Runs one claim.
pub fn run_claim(claim: &Claim, ctx: &RunContext) -> Result<ClaimReport> {
    let start = Instant::now();
    let mut checks = Vec::new();
    for (i, check) in claim.checks.iter().enumerate() {
        let report = check.run(ctx).map_err(|e| match e {
            Error::Input(m) => Error::Input(format!("{} check {}: {m}", claim.id(), i + 1)),
            Error::Numerical(m) => Error::Numerical(format!("{} check {}: {m}", claim.id(), i + 1)),
            other => other,
        })?;
        checks.push(report);
    }
    let labelled: Vec<(Verdict, bool)> =
        checks.iter().zip(&claim.file.checks).map(|(c, spec)| (c.verdict, spec.regime.is_some())).collect();
    let verdict = combine_regimes(&labelled);
    let points: Vec<PointReport> = checks.iter().flat_map(|c| c.points.iter().cloned()).collect();
    // The worst point: the least likely under the claim among the checks' worst points.
    let worst = least_compatible(checks.iter().filter_map(|c| c.worst.as_ref()));
    // |z| for equalities; for inequalities only deviations towards violation count.
    let max_abs_z =
        points.iter().filter_map(|p| p.z.map(|z| if p.two_sided { z.abs() } else { z.max(0.0) })).reduce(f64::max);
    let f = &claim.file;
    Ok(ClaimReport {
        id: f.id.clone(),
        title: f.title.clone(),
        status: f.status,
        source: format!("arXiv {} {}, {}", f.source.arxiv, f.source.version, f.source.location),
        verdict,
        expected: f.verdict.expected,
        matches: verdict == f.verdict.expected,
        reason: f.verdict.reason.clone(),
        worst_point: worst.map(|w| fmt_point(&w.at)),
        max_abs_z,
        elapsed_s: start.elapsed().as_secs_f64(),
        checks,
        points,
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
