//! Structured outcomes: what a check found, as data. Checks fill these; the report layer renders
//! text, JSON and figures from them, so no check assembles prose.
//!
//! A [`CheckOutcome`] carries its decision rule ([`Rule`]), where it fails ([`Region`]), how finite
//! size was handled ([`FiniteSize`]), every compared point ([`PointOutcome`]) and the facts its
//! method adds ([`Details`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::stats::Estimate;

pub mod axis;
pub mod details;
pub use details::Details;

/// Outcome of a check or a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Agrees within tolerance at every point.
    Holds,
    /// Disagrees beyond tolerance on part of the grid, separated from the rest by a parameter threshold.
    RegimeLimited,
    /// Disagrees beyond tolerance, everywhere or without a describable regime.
    Refuted,
    /// The trial budget was exhausted without a decision: nothing was refuted, but the deviation
    /// that could be excluded is larger than the check requires (or only consistency checks hold).
    Inconclusive,
    /// The claim could not be run (bad input, a missing file, a numerical failure); the audit goes
    /// on and reports the message. Never the verdict of a check.
    Error,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::RegimeLimited => "regime-limited",
            Verdict::Refuted => "refuted",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Error => "error",
        })
    }
}

/// The verdict of checks that test the same setting: refuted if any is refuted, else regime-limited
/// if any is, else inconclusive if any is, else holds.
pub fn combine(verdicts: &[Verdict]) -> Verdict {
    [Verdict::Refuted, Verdict::RegimeLimited, Verdict::Inconclusive]
        .into_iter()
        .find(|v| verdicts.contains(v))
        .unwrap_or(Verdict::Holds)
}

/// A coordinate of a point: a number, or a word (a choice such as `variant = ridge`). In JSON a
/// finite number is a number and an infinite one the string "inf" (e.g. `width = inf`), read back
/// as a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Coord {
    Num(f64),
    Word(String),
}

/// The JSON form of a coordinate.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum RawCoord {
    Num(f64),
    Word(String),
}

impl Serialize for Coord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Coord::Num(x) if x.is_finite() => crate::formula::json_whole(x, s),
            Coord::Num(x) => RawCoord::Word(x.to_string()).serialize(s),
            Coord::Word(w) => RawCoord::Word(w.clone()).serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Coord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(match RawCoord::deserialize(d)? {
            RawCoord::Num(x) => Coord::Num(x),
            RawCoord::Word(w) => Coord::parse(&w),
        })
    }
}

impl Coord {
    /// A number where the text is one, a word otherwise.
    pub fn parse(text: &str) -> Coord {
        text.parse::<f64>().map_or_else(|_| Coord::Word(text.to_string()), Coord::Num)
    }

    pub fn as_num(&self) -> Option<f64> {
        match self {
            Coord::Num(x) => Some(*x),
            Coord::Word(_) => None,
        }
    }
}

/// Coordinates of a point, by parameter name.
pub type Coords = BTreeMap<String, Coord>;

/// Coordinates from (name, value text) pairs.
pub fn coords(point: &[(String, String)]) -> Coords {
    point.iter().map(|(k, v)| (k.clone(), Coord::parse(v))).collect()
}

/// The residual estimated at one size, when a check extrapolates in size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SizeEstimate {
    #[serde(serialize_with = "crate::formula::json_whole")]
    pub size: f64,
    pub residual: Estimate,
}

/// One compared point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointOutcome {
    /// Parameter values.
    pub at: Coords,
    /// The claimed value (formula or bound) where it does not depend on per-trial outputs.
    pub claimed: Option<f64>,
    /// The simulated value (extrapolated when sizes were used).
    pub simulated: Option<Estimate>,
    /// Simulated minus claimed (for search checks: the violation, > 0 fails).
    pub residual: f64,
    /// Standard error of the residual, where the method estimates the residual trial by trial
    /// (simulation checks; elsewhere the residual's error is the simulated value's `se`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual_se: Option<f64>,
    /// Allowed deviation beyond the statistics (finite-size / numerical budget).
    pub budget: f64,
    /// The statistic: residual in standard errors (for one-sided tests signed so that > 0 points
    /// towards violation); None when the value is deterministic.
    pub z: Option<f64>,
    /// Whether z is two-sided (equality) or one-sided (inequality).
    pub two_sided: bool,
    /// p-value of "within budget" (the input of the family-wise rule).
    pub p: f64,
    pub pass: bool,
    /// The claimed value is undefined (not finite) here: the point fails.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub undefined: bool,
    /// Per-size estimates of the residual when extrapolating.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<SizeEstimate>,
    /// The largest deviation (for inequalities: violation) the data do not exclude at the check's
    /// level, in the output's units ([`crate::decide::resolution::excluded`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<f64>,
    /// Not rejected, but not resolved within what the check requires when its trials ran out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub undecided: bool,
}

impl PointOutcome {
    /// A point at `at` with nothing measured yet: it passes until a rule says otherwise.
    pub fn at(at: Coords) -> Self {
        PointOutcome {
            at,
            claimed: None,
            simulated: None,
            residual: 0.0,
            residual_se: None,
            budget: 0.0,
            z: None,
            two_sided: true,
            p: 1.0,
            pass: true,
            undefined: false,
            sizes: Vec::new(),
            resolution: None,
            undecided: false,
        }
    }

    /// A point where the claimed value is undefined (not finite): it fails.
    pub fn undefined(at: Coords) -> Self {
        PointOutcome { p: 0.0, pass: false, undefined: true, ..PointOutcome::at(at) }
    }

    /// A fitted exponent against its printed value with its interval [lo, hi], reported as a se of
    /// (hi - lo) / (2 z), z the interval's two-sided normal quantile.
    pub fn exponent(name: &str, printed: f64, fitted: f64, (lo, hi): (f64, f64), z: f64, pass: bool) -> Self {
        PointOutcome {
            claimed: Some(printed),
            simulated: Some(Estimate { mean: fitted, se: (hi - lo) / (2.0 * z), trials: 0 }),
            residual: fitted - printed,
            p: if pass { 1.0 } else { 0.0 },
            pass,
            ..PointOutcome::at(BTreeMap::from([("exponent".to_string(), Coord::Word(name.to_string()))]))
        }
    }

    /// |z| for equalities, z towards violation (>= 0) for one-sided tests.
    pub fn deviation(&self) -> Option<f64> {
        self.z.map(|z| if self.two_sided { z.abs() } else { z.max(0.0) })
    }
}

/// The point least compatible with the claim: smallest p-value, then largest |z|, then largest
/// |residual| (which orders deterministic points).
pub fn least_compatible<'a>(points: impl Iterator<Item = &'a PointOutcome>) -> Option<&'a PointOutcome> {
    let z = |r: &PointOutcome| r.z.map_or(0.0, f64::abs);
    points.min_by(|a, b| {
        a.p.total_cmp(&b.p).then(z(b).total_cmp(&z(a))).then(b.residual.abs().total_cmp(&a.residual.abs()))
    })
}

/// How a check turns its points' statistics into pass flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// Holm's step-down procedure over the points' p-values at the family level.
    Holm,
    /// Each point must show the claimed effect beyond its budget: one-sided Bonferroni bound.
    StrictBonferroni,
    /// Per-point Bonferroni tests (existence of a significant pair or optimum).
    Bonferroni,
    /// A printed value must lie in its confidence interval (Student t on a delta-method or bootstrap
    /// standard error; Bonferroni over intervals).
    Interval,
    /// A deterministic search for a counterexample (no statistics).
    Search,
}

/// The decision rule of a check, as data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rule {
    pub kind: RuleKind,
    /// Family-wise error rate of the rule (0 for deterministic rules).
    pub family_alpha: f64,
    /// Number of tests in the family.
    pub family: usize,
    /// Independent trials per simulated point (0 when nothing is simulated).
    pub trials: usize,
    /// Bootstrap resamples, for interval rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resamples: Option<usize>,
}

/// How finite-size and discretisation bias is handled.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum FiniteSize {
    /// A budget b = abs + rel |claimed| is allowed beyond the statistics, for a stated reason.
    Budget { abs: f64, rel: f64, reason: String },
    /// The residual is fitted as `model` (a + c/size, or more correction terms) over the sizes and
    /// the intercept a is compared; with more than one term the fit's model error, at most
    /// `model_error` over the points, is added to each point's budget.
    Extrapolated {
        param: String,
        #[serde(serialize_with = "crate::formula::json_wholes")]
        sizes: Vec<f64>,
        model: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        model_error: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The statistic has no finite-size component (e.g. a deterministic search), or a reason is given.
    NotApplicable { reason: Option<String> },
}

/// A condition on one coordinate, naming a regime.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Condition {
    AtMost { name: String, value: f64 },
    AtLeast { name: String, value: f64 },
    Is { name: String, word: String },
    IsNot { name: String, word: String },
}

/// Where a check fails, as data (rendered by the report layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Region {
    /// Every point fails.
    Everywhere { points: usize },
    /// Points fail above a threshold of one parameter: fail for name > `holds_up_to`, the first
    /// failing value is `first_failing`.
    Above { name: String, holds_up_to: f64, first_failing: f64, fails: usize, points: usize },
    /// Points fail below a threshold: fail for name < `holds_from`, the last failing value is `last_failing`.
    Below { name: String, holds_from: f64, last_failing: f64, fails: usize, points: usize },
    /// The passing points are exactly those meeting all `conditions`.
    HoldsOnly { conditions: Vec<Condition>, passing: usize, points: usize },
    /// The failing points are exactly those meeting all `conditions`.
    FailsOnly { conditions: Vec<Condition>, failing: usize, points: usize },
    /// Failures are not confined to a range of one parameter or a simple condition.
    Scattered { fails: usize, points: usize },
}

impl Region {
    /// The verdict this region implies.
    pub fn verdict(&self) -> Verdict {
        match self {
            Region::Everywhere { .. } | Region::Scattered { .. } => Verdict::Refuted,
            _ => Verdict::RegimeLimited,
        }
    }
}

/// Result of one check: structured, rendered by the report layer.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    /// 1-based index of the check in its theorem file.
    pub index: usize,
    pub method: &'static str,
    pub describe: String,
    pub verdict: Verdict,
    pub rule: Rule,
    /// The setting this check covers, as declared in the theorem file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regime: Option<String>,
    /// Where the check fails (None when it holds, or when failing is not a matter of points).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    pub finite_size: FiniteSize,
    /// Index into `points` of the point least compatible with the claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst: Option<usize>,
    pub points: Vec<PointOutcome>,
    /// Facts the method adds (fitted curves, sign changes, optima, ...).
    pub details: Details,
    /// Failure flag of every deterministic point of the check (grid points of a simulation, sampled
    /// points of a search), in a fixed order: compares two variants of a claim point by point.
    #[serde(skip)]
    pub failures: Vec<bool>,
    /// Why the check is only a consistency check (not independent of the claim's derivation): it
    /// cannot make a claim hold on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
    /// Looks taken by a sequential check.
    pub looks: Looks,
    /// What the passing points show (methods that state it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// Undecided points when the check is inconclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undecided: Option<Undecided>,
}

/// What a check's passing points show: the largest deviation its data do not exclude, over its
/// points, in the output's units and relative to the claimed values' scale (root mean square of
/// |claimed| over the points), with what the check requires (a declared margin or the default).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Resolution {
    pub abs: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel: Option<f64>,
    /// The resolution the check requires of a "holds" (None: any, the resolution is only stated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<f64>,
}

/// Points left undecided when the trials ran out, and about how many trials per point would decide
/// them if the estimates stayed where they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Undecided {
    pub points: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trials_needed: Option<usize>,
}

/// Looks a check took out of those it may take (sequential sampling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Looks {
    pub taken: usize,
    pub planned: usize,
}

impl CheckOutcome {
    /// The worst point, if any.
    pub fn worst_point(&self) -> Option<&PointOutcome> {
        self.worst.and_then(|i| self.points.get(i))
    }
}
