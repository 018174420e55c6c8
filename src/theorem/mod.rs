//! Theorem files: one TOML file per analytical claim (format documented in `theorems/README.md`).
//!
//! [`TheoremFile`] is the file as written; [`Claim::load`] validates it (formulas parse, every
//! variable is known, domains are intervals, grids are non-empty) and compiles its checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::check::boundary::BoundaryCheck;
use crate::check::decay_exponent::DecayExponentCheck;
use crate::check::exhibit::ExhibitCheck;
use crate::check::monotone::MonotoneCheck;
use crate::check::optimum::OptimumCheck;
use crate::check::search::SearchCheck;
use crate::check::simulation::SimulationCheck;
use crate::check::{Check, Verdict};
use crate::error::{Error, Result};
use crate::formula::{Formula, Interval};
use crate::order::OrderCheck;

/// Status of a claim (see `../shared/theory/00-conventions.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Printed,
    Derived,
    Reconstructed,
}

/// The relation a claim asserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The simulated quantity equals `formula`.
    Equal,
    /// `formula` <= `bound` (and the simulated quantity <= `bound`).
    AtMost,
    /// `formula` >= `bound` (and the simulated quantity >= `bound`).
    AtLeast,
    /// `formula` increases with `variable`.
    Increasing,
    /// `formula` decreases with `variable`.
    Decreasing,
    /// The observable is governed by `formula`: a decreasing function of it alone, with a
    /// transition (checked by `collapse` and `monotone`, see `crate::order`).
    OrderParameter,
    /// `formula` exceeds `bound` somewhere on the check's grid (an existence claim; method `exists`).
    ExceedsSomewhere,
    /// The output `formula` has an interior minimum over the check's `optimize_over` (method `optimum`).
    InteriorMinimum,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub paper: String,
    pub arxiv: String,
    pub version: String,
    /// Where in the paper: claim, equation, theorem number, as printed.
    pub location: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    pub relation: Relation,
    /// The printed formula, verbatim.
    pub formula: String,
    /// Right-hand side of an inequality.
    pub bound: Option<String>,
    /// The variable of a monotonicity claim.
    pub variable: Option<String>,
    /// Strict monotonicity (derivative > 0 rather than >= 0).
    #[serde(default)]
    pub strict: bool,
}

/// Statistical tolerance of a simulation check.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ToleranceSpec {
    /// Family-wise false-alarm rate over the check's grid (Holm).
    #[serde(default = "default_family_alpha")]
    pub family_alpha: f64,
    /// Absolute finite-size / numerical budget added to the statistical tolerance.
    #[serde(default)]
    pub abs: f64,
    /// Relative budget (fraction of |claimed value|).
    #[serde(default)]
    pub rel: f64,
    /// Why the budget has its size.
    pub budget_reason: String,
}

fn default_family_alpha() -> f64 {
    0.01
}

/// Extrapolation of the simulated residual in 1/size to size -> infinity.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExtrapolateSpec {
    /// The size parameter (e.g. `d` or `width`).
    pub param: String,
    pub sizes: Vec<f64>,
    /// Sizes at the quick precision (default: `sizes`).
    pub quick_sizes: Option<Vec<f64>>,
}

/// Settings that change at the quick precision (`--quick`, `cargo test`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuickSpec {
    pub trials: Option<usize>,
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckMethod {
    /// Compare against an observable on a parameter grid.
    Simulation,
    /// Search the formula's domain for a counterexample (inequalities, monotonicity).
    Search,
    /// Monotonicity of a simulated output along the claim's variable (paired, common random numbers).
    Monotone,
    /// Existence of a simulated optimum over `optimize_over` and its trend along the claim's variable.
    Optimum,
    /// Compare a printed sign region along a scanned parameter with the simulated sign.
    Boundary,
    /// Exhibit two grid points of equal key (the formula) with outputs of opposite sign.
    Exhibit,
    /// Order-parameter collapse audit: fitted exponents, scale audit, transition (`crate::order`).
    Collapse,
    /// Paired simulated changes along each swept constituent against the formula's direction.
    Directions,
    /// Exhibit grid points where the simulated `formula` exceeds `bound` (Holm, one-sided).
    Exists,
    /// The output is proportional to the formula: log-linear fit of the constituents' exponents with
    /// bootstrap intervals (`crate::order::power_law`).
    #[serde(rename = "power_law")]
    PowerLaw,
    /// Fitted decay exponent A n^-nu of an output along `scan`, bootstrap CI against the printed nu.
    #[serde(rename = "decay_exponent")]
    DecayExponent,
}

/// A scanned parameter of a boundary check.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSpec {
    pub param: String,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub method: CheckMethod,
    /// One line saying what this check does.
    pub describe: String,
    pub observable: Option<String>,
    /// Output of the observable compared (default: its primary output).
    pub output: Option<String>,
    /// Quantity compared instead of the claim's formula (e.g. a derived identity in observable outputs).
    pub formula: Option<String>,
    /// Named helper formulas over the grid parameters, e.g. chi = "sqrt(1 + gamma1^2) - 1".
    #[serde(default)]
    pub define: BTreeMap<String, String>,
    /// Fixed observable parameters.
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
    /// Parameter grid: every combination is a point.
    #[serde(default)]
    pub grid: BTreeMap<String, Vec<toml::Value>>,
    pub trials: Option<usize>,
    pub tolerance: Option<ToleranceSpec>,
    pub extrapolate: Option<ExtrapolateSpec>,
    #[serde(default)]
    pub quick: QuickSpec,
    /// Search: sample points per domain axis before local refinement.
    pub points_per_axis: Option<usize>,
    /// The setting this check covers (e.g. "weight decay"), when a claim's checks cover different
    /// settings: a claim that holds in some and fails in others is regime-limited.
    pub regime: Option<String>,
    /// Optimum checks: the parameter optimised over (its grid values are the candidates).
    pub optimize_over: Option<String>,
    /// Boundary: the scanned parameter and its values.
    pub scan: Option<ScanSpec>,
    /// Boundary: the printed region where the output is negative, as (lo, hi) formula pairs.
    #[serde(default)]
    pub negative: Vec<[String; 2]>,
    /// Collapse / monotone: values of each swept constituent (the others stay at `settings`).
    #[serde(default)]
    pub sweep: BTreeMap<String, Vec<toml::Value>>,
    /// Collapse: declared symmetry as scaling weights, e.g. "u_norm=1,sigma_p1=1".
    pub symmetry: Option<String>,
    /// Collapse: constituent whose exponent is held at its printed value (fixes the overall scale).
    pub reference: Option<String>,
    /// Collapse: bootstrap resamples for the exponents' confidence intervals.
    pub bootstrap: Option<usize>,
    /// Monotone: the grid axis this check runs along (default: claim.variable), for a claim whose
    /// statement has two monotone parts (e.g. "lower in gamma1, and the gap shrinks in p2").
    pub variable: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedVerdict {
    pub expected: Verdict,
    pub reason: String,
}

/// A theorem file as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TheoremFile {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub source: Source,
    pub statement: String,
    pub assumptions: Option<String>,
    pub claim: ClaimSpec,
    #[serde(default)]
    pub domain: BTreeMap<String, String>,
    #[serde(rename = "check")]
    pub checks: Vec<CheckSpec>,
    pub verdict: RecordedVerdict,
}

/// The claim's mathematical content, shared by its checks.
#[derive(Debug, Clone)]
pub struct Statement {
    pub relation: Relation,
    pub formula: Formula,
    pub bound: Option<Formula>,
    pub variable: Option<String>,
    pub strict: bool,
    pub domain: BTreeMap<String, Interval>,
}

/// A validated claim with its compiled checks.
pub struct Claim {
    pub file: TheoremFile,
    pub path: PathBuf,
    pub statement: Statement,
    pub checks: Vec<Box<dyn Check>>,
}

impl Claim {
    /// Reads, validates and compiles one theorem file.
    pub fn load(path: &Path) -> Result<Claim> {
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
        Claim::from_toml(&text, path)
    }

    /// Validates and compiles a theorem file given as text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Claim> {
        let name = path.display().to_string();
        let fail = |message: String| Error::Theorem { file: name.clone(), message };
        let file: TheoremFile = toml::from_str(text).map_err(|e| fail(e.to_string().trim().replace('\n', " ")))?;
        Claim::compile(file, path.to_path_buf())
    }

    /// Validates a parsed theorem file and compiles its checks.
    pub fn compile(file: TheoremFile, path: PathBuf) -> Result<Claim> {
        let name = path.display().to_string();
        let fail = |message: String| Error::Theorem { file: name.clone(), message };
        let formula = Formula::parse(&file.claim.formula).map_err(|e| fail(format!("claim.formula: {e}")))?;
        let bound = file
            .claim
            .bound
            .as_deref()
            .map(Formula::parse)
            .transpose()
            .map_err(|e| fail(format!("claim.bound: {e}")))?;
        let mut domain = BTreeMap::new();
        for (k, v) in &file.domain {
            domain.insert(k.clone(), Interval::parse(v).map_err(|e| fail(format!("domain.{k}: {e}")))?);
        }
        let relation = file.claim.relation;
        match relation {
            Relation::AtMost | Relation::AtLeast | Relation::ExceedsSomewhere if bound.is_none() => {
                return Err(fail("an inequality needs claim.bound".into()));
            }
            Relation::Increasing | Relation::Decreasing => {
                let v = file
                    .claim
                    .variable
                    .as_deref()
                    .ok_or_else(|| fail("a monotonicity claim needs claim.variable".into()))?;
                let searched = file.checks.iter().any(|c| c.method == CheckMethod::Search);
                // Simulated monotonicity and optimum checks name an observed quantity, not a formula variable.
                if searched && !formula.variables().iter().any(|x| x == v) {
                    return Err(fail(format!("claim.variable `{v}` does not occur in the formula")));
                }
            }
            _ => {}
        }
        if file.checks.is_empty() {
            return Err(fail("a claim needs at least one [[check]]".into()));
        }
        let statement = Statement {
            relation,
            formula,
            bound,
            variable: file.claim.variable.clone(),
            strict: file.claim.strict,
            domain,
        };
        let mut checks: Vec<Box<dyn Check>> = Vec::new();
        for (i, spec) in file.checks.iter().enumerate() {
            let check: Box<dyn Check> = match spec.method {
                CheckMethod::Simulation => Box::new(
                    SimulationCheck::compile(&file.id, i, spec, &statement)
                        .map_err(|e| fail(format!("check {}: {e}", i + 1)))?,
                ),
                CheckMethod::Search => {
                    Box::new(SearchCheck::compile(spec, &statement).map_err(|e| fail(format!("check {}: {e}", i + 1)))?)
                }
                CheckMethod::Optimum => Box::new(
                    OptimumCheck::compile(&file.id, i, spec, &statement)
                        .map_err(|e| fail(format!("check {}: {e}", i + 1)))?,
                ),
                CheckMethod::Monotone => Box::new(
                    MonotoneCheck::compile(&file.id, i, spec, &statement)
                        .map_err(|e| fail(format!("check {}: {e}", i + 1)))?,
                ),
                CheckMethod::Boundary => Box::new(
                    BoundaryCheck::compile(&file.id, i, spec).map_err(|e| fail(format!("check {}: {e}", i + 1)))?,
                ),
                CheckMethod::Exhibit => Box::new(
                    ExhibitCheck::compile(&file.id, i, spec, &statement)
                        .map_err(|e| fail(format!("check {}: {e}", i + 1)))?,
                ),
                CheckMethod::Collapse | CheckMethod::Directions | CheckMethod::Exists | CheckMethod::PowerLaw => {
                    Box::new(
                        OrderCheck::compile(&file.id, i, spec, &statement)
                            .map_err(|e| fail(format!("check {}: {e}", i + 1)))?,
                    )
                }
                CheckMethod::DecayExponent => Box::new(
                    DecayExponentCheck::compile(&file.id, i, spec, &statement)
                        .map_err(|e| fail(format!("check {}: {e}", i + 1)))?,
                ),
            };
            checks.push(check);
        }
        Ok(Claim { file, path, statement, checks })
    }

    pub fn id(&self) -> &str {
        &self.file.id
    }
}

/// Loads every `*.toml` theorem file in `dir`, sorted by id; ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<Claim>> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.display().to_string(), source })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut claims = Vec::new();
    for p in paths {
        claims.push(Claim::load(&p)?);
    }
    claims.sort_by(|a, b| a.id().cmp(b.id()));
    for w in claims.windows(2) {
        if w[0].id() == w[1].id() {
            return Err(Error::Theorem {
                file: w[1].path.display().to_string(),
                message: format!("duplicate claim id `{}`", w[1].id()),
            });
        }
    }
    Ok(claims)
}

/// The theorem directory: `$TLCHECK_THEOREMS`, else `./theorems`, else the one shipped with the crate.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TLCHECK_THEOREMS") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("theorems");
    if local.is_dir() { local } else { PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("theorems") }
}

/// Converts a TOML scalar to the text form parameters are parsed from.
pub fn value_text(v: &toml::Value) -> Result<String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(Error::input(format!("expected a number or a word, got {other}"))),
    }
}
