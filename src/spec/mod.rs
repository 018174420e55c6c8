//! The theorem-file schema: one TOML file per analytical claim, as written (format documented in
//! `theorems/README.md`).
//!
//! [`TheoremFile::parse`] reads the file and every `[[check]]` into its method's own typed struct
//! ([`CheckSpec`], tagged by `method`): a field that the method does not have, a malformed sweep or
//! symmetry, or an empty scan is a load error naming the file, the check and the field. The schema
//! knows nothing about how checks run; `crate::claim` compiles a parsed file into a runnable claim.

pub mod check;
pub mod parts;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::outcome::Verdict;
pub use check::{
    BoundarySpec, CheckSpec, CollapseSpec, DecayExponentSpec, DirectionsSpec, ExhibitSpec, ExistsSpec, MonotoneSpec,
    OptimumSpec, PowerLawSpec, SearchSpec, SimulationSpec,
};
pub use parts::{AbsTolerance, Extrapolate, Level, Margin, Quick, Scan, SizeScaling, Symmetry, Tolerance, value_text};

/// Status of a claim: printed verbatim in the paper, derived from it, or reconstructed from its text.
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
    /// transition (methods `collapse`, `directions`, `power_law`).
    OrderParameter,
    /// `formula` exceeds `bound` somewhere on the check's grid (an existence claim; method `exists`).
    ExceedsSomewhere,
    /// The output `formula` has an interior minimum over the check's `optimize_over` (method `optimum`).
    InteriorMinimum,
}

/// Where the claim is printed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub paper: String,
    pub arxiv: String,
    pub version: String,
    /// Where in the paper: claim, equation, theorem number, as printed.
    pub location: String,
}

/// The claim's mathematical content as written.
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
    /// Strict monotonicity (derivative > 0 rather than >= 0); for inequalities: the output must
    /// clear the bound with confidence ("transfer helps").
    #[serde(default)]
    pub strict: bool,
}

/// The verdict recorded in the file, and why.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedVerdict {
    pub expected: Verdict,
    pub reason: String,
    /// The verdict recorded for the quick precision when its smaller budget cannot reach
    /// `expected` (typically `inconclusive`); `expected` applies when absent.
    #[serde(default)]
    pub quick: Option<Verdict>,
}

impl RecordedVerdict {
    /// The recorded verdict at a precision.
    pub fn at(&self, quick: bool) -> Verdict {
        if quick { self.quick.unwrap_or(self.expected) } else { self.expected }
    }
}

/// A theorem file as written.
#[derive(Debug, Clone, Serialize)]
pub struct TheoremFile {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub source: Source,
    pub statement: String,
    pub assumptions: Option<String>,
    pub claim: ClaimSpec,
    pub domain: BTreeMap<String, String>,
    pub checks: Vec<CheckSpec>,
    pub verdict: RecordedVerdict,
}

/// The file before its checks are typed: every `[[check]]` is kept as a table until its method is known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    id: String,
    title: String,
    status: Status,
    source: Source,
    statement: String,
    assumptions: Option<String>,
    claim: ClaimSpec,
    #[serde(default)]
    domain: BTreeMap<String, String>,
    #[serde(rename = "check", default)]
    checks: Vec<toml::Table>,
    verdict: RecordedVerdict,
}

/// One line from a TOML or serde error.
fn one_line(e: impl std::fmt::Display) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

impl TheoremFile {
    /// Reads and parses one theorem file.
    pub fn read(path: &Path) -> Result<TheoremFile> {
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
        TheoremFile::parse(&text, path)
    }

    /// Parses a theorem file given as text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<TheoremFile> {
        let fail = |message: String| Error::Theorem { file: path.display().to_string(), message };
        let raw: RawFile = toml::from_str(text).map_err(|e| fail(one_line(e)))?;
        if raw.checks.is_empty() {
            return Err(fail("a claim needs at least one [[check]]".into()));
        }
        let checks = raw
            .checks
            .into_iter()
            .enumerate()
            .map(|(i, table)| CheckSpec::from_table(table).map_err(|m| fail(format!("check {}: {m}", i + 1))))
            .collect::<Result<Vec<_>>>()?;
        Ok(TheoremFile {
            id: raw.id,
            title: raw.title,
            status: raw.status,
            source: raw.source,
            statement: raw.statement,
            assumptions: raw.assumptions,
            claim: raw.claim,
            domain: raw.domain,
            checks,
            verdict: raw.verdict,
        })
    }
}
