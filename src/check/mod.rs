//! Checks decide a claim: each [`Check`] compares the claim with one source of truth (a simulated
//! observable on a grid, or a search over the formula's domain) and returns a [`CheckReport`] with a
//! [`Verdict`] and its evidence. A claim's verdict combines its checks ([`combine`]).

pub mod boundary;
pub mod decay_exponent;
pub mod exhibit;
pub mod monotone;
pub mod optimum;
pub mod regime;
pub mod search;
pub mod simulation;

use std::collections::BTreeMap;
use std::fmt;

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::stats::Estimate;

/// Outcome of a check or a claim (see `../shared/theory/00-conventions.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Agrees within tolerance at every point.
    Holds,
    /// Disagrees beyond tolerance on part of the grid, separated from the rest by a parameter threshold.
    RegimeLimited,
    /// Disagrees beyond tolerance, everywhere or without a describable regime.
    Refuted,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::RegimeLimited => "regime-limited",
            Verdict::Refuted => "refuted",
        })
    }
}

/// Run-wide settings of the checks.
pub struct RunContext {
    /// Quick precision (fewer trials, smaller sizes), as in `cargo test`.
    pub quick: bool,
    /// Base seed; every check derives its own streams from it.
    pub seed: u64,
    /// Progress bar advanced by one per simulated trial (hidden when not a terminal).
    pub progress: Option<ProgressBar>,
}

/// One compared point.
#[derive(Debug, Clone, Serialize)]
pub struct PointReport {
    /// Parameter values (numbers or words).
    pub at: BTreeMap<String, serde_json::Value>,
    /// The claimed value (formula or bound) where it does not depend on per-trial outputs.
    pub claimed: Option<f64>,
    /// The simulated value (extrapolated when sizes were used).
    pub simulated: Option<Estimate>,
    /// Simulated minus claimed (for search checks: the violation, > 0 fails).
    pub residual: f64,
    /// Allowed deviation beyond the statistics (finite-size / numerical budget).
    pub budget: f64,
    /// Residual in standard errors (for inequalities signed so that > 0 points towards violation);
    /// None when the value is deterministic.
    pub z: Option<f64>,
    /// Whether z is two-sided (equality) or one-sided (inequality).
    #[serde(skip)]
    pub two_sided: bool,
    /// Holm-adjusted decision input: p-value of "within budget".
    pub p: f64,
    pub pass: bool,
    /// The claimed value is undefined (not finite) here: the point fails.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub undefined: bool,
    /// Per-size estimates of the residual when extrapolating: (size, estimate).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<(f64, Estimate)>,
}

impl PointReport {
    /// A point where the claimed value is undefined (not finite): it fails.
    pub fn undefined(at: BTreeMap<String, serde_json::Value>) -> Self {
        PointReport {
            at,
            claimed: None,
            simulated: None,
            residual: 0.0,
            budget: 0.0,
            z: None,
            p: 0.0,
            two_sided: true,
            pass: false,
            undefined: true,
            sizes: Vec::new(),
        }
    }

    /// A fitted exponent against its printed value, with the verdict `pass` of the check; its interval
    /// [lo, hi] is reported as a se of (hi - lo) / (2 z), z the interval's two-sided normal quantile.
    pub fn exponent(name: &str, printed: f64, fitted: f64, (lo, hi): (f64, f64), z: f64, pass: bool) -> Self {
        PointReport {
            at: BTreeMap::from([("exponent".to_string(), serde_json::json!(name))]),
            claimed: Some(printed),
            simulated: Some(Estimate { mean: fitted, se: (hi - lo) / (2.0 * z), trials: 0 }),
            residual: fitted - printed,
            budget: 0.0,
            z: None,
            two_sided: true,
            p: if pass { 1.0 } else { 0.0 },
            pass,
            undefined: false,
            sizes: Vec::new(),
        }
    }
}

/// The point least compatible with the claim: smallest p-value, then largest |z|, then largest
/// |residual| (which orders deterministic points).
pub fn least_compatible<'a>(points: impl Iterator<Item = &'a PointReport>) -> Option<&'a PointReport> {
    let z = |r: &PointReport| r.z.map_or(0.0, f64::abs);
    points.min_by(|a, b| {
        a.p.total_cmp(&b.p).then(z(b).total_cmp(&z(a))).then(b.residual.abs().total_cmp(&a.residual.abs()))
    })
}

/// Result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub method: String,
    pub describe: String,
    pub verdict: Verdict,
    /// One-paragraph evidence: what was compared, how many points failed, where, by how much.
    pub evidence: String,
    pub worst: Option<PointReport>,
    pub points: Vec<PointReport>,
    /// Failure flag of every deterministic point of the check (grid points of a simulation, sampled
    /// points of a search), in a fixed order: compares two variants of a claim point by point.
    #[serde(skip)]
    pub failures: Vec<bool>,
}

/// A way of deciding a claim.
pub trait Check: Send + Sync {
    /// One line saying what is compared with what.
    fn describe(&self) -> String;
    /// Number of simulated trials this check will run (for progress bars).
    fn trials(&self, ctx: &RunContext) -> u64;
    fn run(&self, ctx: &RunContext) -> Result<CheckReport>;
}

/// The claim's verdict: holds if every check holds, refuted if any is refuted, else regime-limited.
pub fn combine(verdicts: &[Verdict]) -> Verdict {
    if verdicts.contains(&Verdict::Refuted) {
        Verdict::Refuted
    } else if verdicts.contains(&Verdict::RegimeLimited) {
        Verdict::RegimeLimited
    } else {
        Verdict::Holds
    }
}

/// Formats a number compactly for evidence strings.
pub fn fmt_num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else if x.abs() >= 1e4 || x.abs() < 1e-3 {
        format!("{x:.3e}")
    } else {
        format!("{}", (x * 1e6).round() / 1e6)
    }
}

/// A grid point as (parameter, value text) pairs.
pub type Point = Vec<(String, String)>;

/// A grid point's coordinates for reports: numbers where the text is one, words otherwise.
pub fn point_json(point: &[(String, String)]) -> BTreeMap<String, serde_json::Value> {
    point
        .iter()
        .map(|(k, v)| {
            let number = v.parse::<f64>().ok().and_then(serde_json::Number::from_f64);
            (k.clone(), number.map_or_else(|| serde_json::Value::String(v.clone()), serde_json::Value::Number))
        })
        .collect()
}

/// Groups grid points by every coordinate except `variable`, each group sorted by `variable`'s value.
pub fn group_along(points: Vec<Point>, variable: &str) -> Vec<Vec<Point>> {
    let mut groups: BTreeMap<Point, Vec<Point>> = BTreeMap::new();
    for p in points {
        let key: Point = p.iter().filter(|(k, _)| k != variable).cloned().collect();
        groups.entry(key).or_default().push(p);
    }
    let value =
        |p: &Point| p.iter().find(|(k, _)| k == variable).and_then(|(_, v)| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    groups
        .into_values()
        .map(|mut g| {
            g.sort_by(|a, b| value(a).total_cmp(&value(b)));
            g
        })
        .collect()
}

/// Formats a parameter point as "a=1 b=2".
pub fn fmt_point(at: &BTreeMap<String, serde_json::Value>) -> String {
    at.iter()
        .map(|(k, v)| match v {
            serde_json::Value::Number(n) => format!("{k}={}", n.as_f64().map_or_else(|| n.to_string(), fmt_num)),
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
