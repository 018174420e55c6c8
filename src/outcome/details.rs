//! What each check method adds to its outcome beyond the compared points: the facts its evidence
//! cites (fits, optima, sign changes, steps). Pure data; `crate::report::evidence` renders it.

use serde::Serialize;

use super::Coords;
use crate::stats::Estimate;

fn groups_json<S: serde::Serializer>(
    groups: &[(String, Vec<OptimumSummary>)],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(groups.iter().map(|(group, optima)| serde_json::json!({"group": group, "optima": optima})))
}

fn intervals_json<S: serde::Serializer>(intervals: &[(f64, f64)], s: S) -> std::result::Result<S::Ok, S::Error> {
    let end = |x: f64| if x.is_nan() { serde_json::Value::Null } else { crate::formula::whole_value(x) };
    s.collect_seq(intervals.iter().map(|&(lo, hi)| serde_json::json!({"lo": end(lo), "hi": end(hi)})))
}

fn by_size_json<S: serde::Serializer>(by_size: &[(f64, f64, f64)], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(
        by_size
            .iter()
            .map(|&(size, fitted, se)| serde_json::json!({"size": crate::formula::whole_value(size), "fitted": fitted, "se": se})),
    )
}

/// Method-specific facts of a check outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Details {
    Simulation(SimulationDetails),
    Search(SearchDetails),
    Monotone(MonotoneDetails),
    Optimum(OptimumDetails),
    Boundary(BoundaryDetails),
    Exhibit(ExhibitDetails),
    DecayExponent(DecayExponentDetails),
    Collapse(CollapseDetails),
    Directions(DirectionsDetails),
    Exists(ExistsDetails),
    PowerLaw(PowerLawDetails),
}

/// `simulation`: which output was compared with which formula.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationDetails {
    pub observable: String,
    pub output: String,
    /// The formula (or bound) compared, as written.
    pub compared: String,
    /// Points where the claimed value is undefined (not finite).
    pub undefined: usize,
    /// The equivalence margin, if declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<MarginDetails>,
    /// The claimed value along the grid's main axis, one curve per combination of the other grid
    /// values (when there are at most [`super::axis::MAX_CURVES`] and the claimed value depends
    /// only on the point).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub curves: Vec<super::axis::ClaimedCurve>,
}

/// A declared equivalence margin: its formula and why it has its size.
#[derive(Debug, Clone, Serialize)]
pub struct MarginDetails {
    pub formula: String,
    pub reason: String,
}

/// `search`: what was searched and how.
#[derive(Debug, Clone, Serialize)]
pub struct SearchDetails {
    /// Sampled points before refinement.
    pub sampled: usize,
    /// Nelder-Mead refinements from the worst sampled points.
    pub refinements: usize,
    /// The violation g searched for (g > 0 fails), as text.
    pub violation: String,
    /// True for monotonicity (a derivative's sign), false for an inequality.
    pub derivative: bool,
    pub strict: bool,
    /// Points where the formula is undefined (not finite).
    pub undefined: usize,
}

/// `monotone`: an output along one axis.
#[derive(Debug, Clone, Serialize)]
pub struct MonotoneDetails {
    pub observable: String,
    pub output: String,
    pub variable: String,
    pub decreasing: bool,
    pub strict: bool,
}

/// Where a simulated optimum lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimumLocation {
    Interior,
    /// At the grid's top end (the optimum runs off to infinity).
    Unbounded,
    /// At the grid's bottom end (the optimum is 0).
    Lazy,
    Flat,
}

/// One simulated optimum with its bootstrap interval (ends None at infinity).
#[derive(Debug, Clone, Serialize)]
pub struct OptimumSummary {
    /// The point's coordinate along the trend variable, e.g. "nu2=0.5" (empty without a trend).
    pub label: String,
    pub location: OptimumLocation,
    pub star: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub fraction_unbounded: f64,
    pub fraction_lazy: f64,
}

/// `optimum`: the optima found, by group.
#[derive(Debug, Clone, Serialize)]
pub struct OptimumDetails {
    pub observable: String,
    pub sweep: String,
    pub values: usize,
    /// Bootstrap level of each interval.
    pub level: f64,
    /// (group key, optima along the trend variable); JSON: `[{group, optima}]`.
    #[serde(serialize_with = "groups_json")]
    pub groups: Vec<(String, Vec<OptimumSummary>)>,
}

/// Simulated sign changes at one grid point next to the printed negative set.
#[derive(Debug, Clone, Serialize)]
pub struct SignLine {
    pub at: Coords,
    /// Sign changes of the scanned means (Brent on their interpolant).
    pub crossings: Vec<f64>,
    /// Printed negative intervals (lo, hi); NaN ends where undefined. JSON: `[{lo, hi}]`.
    #[serde(serialize_with = "intervals_json")]
    pub printed: Vec<(f64, f64)>,
}

/// `boundary`: sign changes along the scan.
#[derive(Debug, Clone, Serialize)]
pub struct BoundaryDetails {
    pub observable: String,
    pub output: String,
    pub scan: String,
    pub lines: Vec<SignLine>,
}

/// `exhibit`: the pair of opposite signs at equal key, if found.
#[derive(Debug, Clone, Serialize)]
pub struct ExhibitDetails {
    pub output: String,
    /// The key formula, as written.
    pub key: String,
    /// Key value at every point (same order as the points).
    pub keys: Vec<f64>,
    /// One-sided Bonferroni critical |z|.
    pub z_critical: f64,
    pub groups: usize,
    /// Indices of the significantly positive and negative points of equal key.
    pub pair: Option<(usize, usize)>,
}

/// `decay_exponent`: the fitted power law.
#[derive(Debug, Clone, Serialize)]
pub struct DecayExponentDetails {
    pub output: String,
    pub param: String,
    #[serde(serialize_with = "crate::formula::json_wholes")]
    pub sizes: Vec<f64>,
    pub prefactor: f64,
    pub exponent: f64,
    pub ci: (f64, f64),
    pub printed: f64,
    /// Confidence level of the interval.
    pub level: f64,
}

/// Transition along the fitted order parameter: the smoothed curve's plateaus, the midpoint
/// position (ln Gamma_fit - ln Gamma_base) and the width between its 25 % and 75 % crossings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Transition {
    pub high: f64,
    pub low: f64,
    pub location: f64,
    pub width: f64,
}

/// Scale audit under a declared symmetry x -> 2x.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleAudit {
    /// The declared symmetry: c_k -> s^{w_k} c_k, as (name, w_k); JSON: `{name: w_k}`.
    #[serde(serialize_with = "crate::formula::pairs_as_object")]
    pub symmetry: Vec<(String, f64)>,
    /// Weight W of the formula under the symmetry (None: not homogeneous).
    pub weight: Option<f64>,
    /// Simulated change of the output (paired).
    pub change: Estimate,
    /// Change predicted by the printed Gamma through the fitted curve (NaN: no prediction).
    pub predicted: f64,
    pub z: f64,
    /// Whether the simulated change is zero within its interval.
    pub invariant: bool,
    /// Whether the audit contradicts the formula.
    pub contradicts: bool,
}

/// One fitted exponent against its printed value.
#[derive(Debug, Clone, Serialize)]
pub struct Exponent {
    pub name: String,
    pub printed: f64,
    pub fitted: f64,
    /// Interval (lo, hi); equal ends for a reference held fixed.
    pub ci: (f64, f64),
    /// Standard error of the fitted value (delta method; 0 for a reference held fixed).
    pub se: f64,
    /// With a finite-size extrapolation: (size lambda, fitted value, se) at each size; JSON:
    /// `[{size, fitted, se}]`.
    #[serde(serialize_with = "by_size_json")]
    pub by_size: Vec<(f64, f64, f64)>,
    pub fixed: bool,
}

/// `collapse`: fitted exponents, spreads, transition and scale audit.
#[derive(Debug, Clone, Serialize)]
pub struct CollapseDetails {
    pub exponents: Vec<Exponent>,
    pub spread_fitted: f64,
    pub spread_printed: f64,
    /// Printed Gamma at the base point.
    pub gamma_base: f64,
    pub transition: Option<Transition>,
    /// Transition midpoint along the printed Gamma (ln Gamma - ln Gamma_base).
    pub printed_location: Option<f64>,
    /// Paired drop of the output from the lowest- to the highest-Gamma point.
    pub drop: Estimate,
    /// Whether the drop is significant (else the transition fails).
    pub drop_significant: bool,
    pub scale: Option<ScaleAudit>,
    /// Every swept point: its overrides of the base point, printed Gamma and mean output.
    pub points: Vec<SweptPoint>,
    /// Points whose mean output lies outside the range of the reference sweep (their location on
    /// it is extrapolated from its end segment), with their size.
    pub beyond_reference: Vec<String>,
    /// The size map of a finite-size extrapolation, with its reason.
    pub size_map: Option<String>,
    /// Parts that fail: exponent names, "transition", "scale".
    pub fails_on: Vec<String>,
}

/// One swept point of a collapse audit.
#[derive(Debug, Clone, Serialize)]
pub struct SweptPoint {
    /// Constituents changed from the base point (empty: the base point).
    #[serde(serialize_with = "crate::formula::json_whole_map")]
    pub at: std::collections::BTreeMap<String, f64>,
    /// Printed Gamma there.
    pub gamma: f64,
    /// Mean output.
    pub mean: Estimate,
}

/// How a paired step went, at the one-sided family level (a tag for reading, not the Holm decision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Significantly the way Gamma predicts.
    Claimed,
    /// Significantly against.
    Against,
    NotSignificant,
}

/// One paired step along a swept constituent.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    #[serde(serialize_with = "crate::formula::json_whole")]
    pub from: f64,
    #[serde(serialize_with = "crate::formula::json_whole")]
    pub to: f64,
    /// Paired change signed so that > 0 goes the way Gamma predicts.
    pub improvement: Estimate,
    pub z: f64,
    pub direction: Direction,
}

/// `directions`: paired steps, with the collapse fit as context when a reference is declared.
#[derive(Debug, Clone, Serialize)]
pub struct DirectionsDetails {
    pub output: String,
    pub steps: Vec<Step>,
    pub context: Option<Box<CollapseDetails>>,
}

/// Change of the output under a symmetry at one point.
#[derive(Debug, Clone, Serialize)]
pub struct Invariance {
    pub scaled: Vec<String>,
    pub change: Estimate,
}

/// `exists`: where the output exceeds the bound significantly.
#[derive(Debug, Clone, Serialize)]
pub struct ExistsDetails {
    pub output: String,
    pub bound: f64,
    /// Points significant after Holm.
    pub significant: usize,
    /// Index of the point with the largest z.
    pub best: Option<usize>,
    /// Two-sided normal quantile of the reported confidence interval.
    pub z_interval: f64,
    pub invariance: Option<Invariance>,
    /// The region of significant points, when only some are.
    pub region: Option<super::Region>,
}

/// `power_law`: fitted exponents of ln mean(output) on the constituents.
#[derive(Debug, Clone, Serialize)]
pub struct PowerLawDetails {
    pub output: String,
    pub points: usize,
    /// Smallest and largest mean output over the swept points.
    pub range: (f64, f64),
    pub exponents: Vec<Exponent>,
    /// Bootstrap resamples (0: delta-method intervals).
    pub resamples: usize,
    /// Level of each interval (Bonferroni over the exponents).
    pub level: f64,
    /// The size map of a finite-size extrapolation, with its reason.
    pub size_map: Option<String>,
}
