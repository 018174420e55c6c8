//! Mutation power: the checker's power against plausible typos of a claim's printed formula.
//!
//! Every non-equivalent typo ([`crate::formula::mutate`]) replaces the printed formula (and, for
//! inequalities, the bound) and the claim is run with the same checks, grids and seeds as the
//! printed form (in the same [`Run`], so the simulations are shared). A mutant is rejected
//! ([`rejected`]) when its verdict differs from the printed form's or it fails at some point where
//! the printed form passes. Power = rejected / tested, over the typos of the formula of an equality
//! that a simulation check compares with an observable. For inequalities and monotonicity
//! statements a typo can give a weaker statement that is still true (a looser bound, another
//! increasing function), which no checker should reject: there the outcomes are listed but the power
//! is reported as not applicable.

use serde::Serialize;

use crate::audit::{ClaimOutcome, run_claim};
use crate::claim::Claim;
use crate::engine::Run;
use crate::error::Result;
use crate::formula::Interval;
use crate::formula::mutate::{Kind, mutants, pick};
use crate::outcome::Verdict;
use crate::report::evidence::{evidence, fmt_point};
use crate::spec::{CheckSpec, Relation, value_text};

/// Default number of mutants tested per mutated formula (the first of them in round-robin order over kinds).
pub const DEFAULT_MAX: usize = 10;

/// One tested mutant.
#[derive(Clone, Debug, Serialize)]
pub struct MutantOutcome {
    /// Which part was mutated: "formula" or "bound".
    pub target: String,
    pub kind: Kind,
    pub change: String,
    pub formula: String,
    /// The claim's verdict with the mutant (None when the mutated claim does not compile).
    pub verdict: Option<Verdict>,
    pub rejected: bool,
    /// Where it was caught (or why not).
    pub evidence: String,
}

/// The mutation power of one claim.
#[derive(Clone, Debug, Serialize)]
pub struct PowerReport {
    pub id: String,
    pub printed_verdict: Verdict,
    /// rejected / tested over the mutants counted for power; None when not applicable.
    pub power: Option<f64>,
    /// Why the power is not applicable.
    pub not_applicable: Option<String>,
    /// Non-equivalent mutants generated (before the cap).
    pub generated: usize,
    /// Mutants counted for the power, and how many of them were rejected.
    pub tested: usize,
    pub rejected: usize,
    pub mutants: Vec<MutantOutcome>,
}

/// The domain used to generate and compare formulas: the claim's `[domain]`, and for variables
/// without one the range [min, max] of their numeric grid values, else the real line.
pub fn claim_domain(claim: &Claim) -> Vec<(String, Interval)> {
    let mut domain: Vec<(String, Interval)> = claim.statement.domain.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let mut vars: Vec<String> = claim.statement.formula.variables().to_vec();
    vars.extend(claim.statement.bound.iter().flat_map(|b| b.variables().iter().cloned()));
    for v in vars {
        if domain.iter().any(|(n, _)| *n == v) {
            continue;
        }
        let values: Vec<f64> = claim
            .file
            .checks
            .iter()
            .flat_map(|c| c.grid().and_then(|g| g.get(&v)).into_iter().flatten())
            .filter_map(|x| value_text(x).ok()?.parse::<f64>().ok())
            .filter(|x| x.is_finite())
            .collect();
        let iv = if values.is_empty() {
            Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY, lo_open: true, hi_open: true }
        } else {
            let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
            Interval { lo, hi, lo_open: false, hi_open: false }
        };
        domain.push((v, iv));
    }
    domain
}

/// Whether `variant` is told apart from `original` (the same claim with another formula, run at the
/// same seed): its verdict differs, or it fails at some point where `original` passes.
pub fn rejected(original: &ClaimOutcome, variant: &ClaimOutcome) -> bool {
    original.verdict != variant.verdict || first_failure(original, variant).is_some()
}

/// (check index, point index) of the first point where `variant` fails and `original` passes.
fn first_failure(original: &ClaimOutcome, variant: &ClaimOutcome) -> Option<(usize, usize)> {
    original.checks.iter().zip(&variant.checks).enumerate().find_map(|(c, (a, b))| {
        if a.failures.len() != b.failures.len() {
            return Some((c, 0));
        }
        a.failures.iter().zip(&b.failures).position(|(fa, fb)| *fb && !*fa).map(|p| (c, p))
    })
}

/// A one-line description of why `variant` is rejected, if it is.
pub fn first_rejection(original: &ClaimOutcome, variant: &ClaimOutcome) -> Option<String> {
    match first_failure(original, variant) {
        Some((c, p)) => {
            let check = &variant.checks[c];
            // Search checks list only their worst points; fall back to the check's worst point.
            let at = check.points.get(p).filter(|_| check.method == "simulation").or(check.worst_point());
            let at = at.map_or_else(String::new, |r| format!(" at {}", fmt_point(&r.at)));
            Some(format!(
                "check {} ({}) fails{at} where the printed form passes; {}",
                c + 1,
                check.describe,
                evidence(check)
            ))
        }
        None if original.verdict != variant.verdict => {
            Some(format!("verdict {} instead of {}", variant.verdict, original.verdict))
        }
        None => None,
    }
}

/// Why the power of `claim` is not a meaningful number, if it is not (see the module doc).
pub fn not_applicable(claim: &Claim) -> Option<&'static str> {
    let uses_printed = claim.file.checks.iter().any(|c| matches!(c, CheckSpec::Simulation(s) if s.formula.is_none()));
    match claim.statement.relation {
        Relation::Equal if uses_printed => None,
        Relation::Equal => Some("no simulation check compares the printed formula (every check has its own formula)"),
        Relation::AtMost | Relation::AtLeast => {
            Some("an inequality: a typo can give a looser bound that is still true, which no checker should reject")
        }
        Relation::Increasing | Relation::Decreasing => Some(
            "a monotonicity statement: a typo can give another function with the same monotonicity, a true statement",
        ),
        Relation::OrderParameter => Some(
            "an order-parameter claim: its exponents are fitted, so its power is the width of their bootstrap \
             intervals (tlcheck order-parameter), not a count of rejected typos",
        ),
        Relation::ExceedsSomewhere => {
            Some("an existence claim: a typo in the bound states another existence, which can be just as true")
        }
        Relation::InteriorMinimum => Some(
            "an existence claim about a simulated output: its formula names the output, there is nothing to mistype",
        ),
    }
}

/// Runs `claim` with `formula` (or `bound`) replaced, in the same run; the outcome of the mutant.
fn run_mutant(
    claim: &Claim,
    original: &ClaimOutcome,
    target: &str,
    text: &str,
    run: &Run,
) -> Result<(Option<Verdict>, bool, String)> {
    let mut file = claim.file.clone();
    if target == "bound" {
        file.claim.bound = Some(text.to_string());
    } else {
        file.claim.formula = text.to_string();
    }
    Ok(match Claim::compile(file, claim.path.clone()) {
        Err(e) => (None, true, format!("the mutated claim is refused at load time: {e}")),
        Ok(variant) => {
            let report = run_claim(&variant, run)?;
            let why = first_rejection(original, &report);
            let evidence =
                why.clone().unwrap_or_else(|| format!("not rejected: {} and no new failing point", report.verdict));
            (Some(report.verdict), why.is_some(), evidence)
        }
    })
}

/// Why the power of a claim whose printed form fails at every compared point is not measured.
const NOWHERE_PASSES: &str = "the printed form fails at every compared point, so no point can tell a typo \
     apart from it (the typos' outcomes are listed; a variant of the claim that holds measures the power)";

/// Runs every picked mutant of `claim` (at most `max` per mutated formula) and measures the power.
pub fn mutation_power(claim: &Claim, run: &Run, max: usize) -> Result<PowerReport> {
    let original = run_claim(claim, run)?;
    let domain = claim_domain(claim);
    let st = &claim.statement;
    let mut targets = vec![("formula", st.formula.clone())];
    if let Some(b) = &st.bound {
        targets.push(("bound", b.clone()));
    }
    let mut outcomes = Vec::new();
    let mut generated = 0;
    for (target, formula) in targets {
        let all = mutants(&formula, &domain, run.precision().seed)?;
        generated += all.len();
        for m in pick(all, max) {
            let (verdict, rejected, evidence) = run_mutant(claim, &original, target, &m.formula, run)?;
            let (kind, change, formula) = (m.kind, m.change, m.formula);
            outcomes.push(MutantOutcome {
                target: target.to_string(),
                kind,
                change,
                formula,
                verdict,
                rejected,
                evidence,
            });
        }
    }
    let tested = outcomes.len();
    let rejected = outcomes.iter().filter(|m| m.rejected).count();
    let nowhere_passes = original.checks.iter().all(|c| c.points.iter().all(|p| !p.pass));
    let (power, not_applicable) = match not_applicable(claim) {
        Some(why) => (None, Some(why.to_string())),
        None if nowhere_passes => (None, Some(NOWHERE_PASSES.to_string())),
        None if tested == 0 => (None, Some("no non-equivalent typo of the printed formula exists".to_string())),
        None => (Some(rejected as f64 / tested as f64), None),
    };
    Ok(PowerReport {
        id: claim.id().to_string(),
        printed_verdict: original.verdict,
        power,
        not_applicable,
        generated,
        tested,
        rejected,
        mutants: outcomes,
    })
}
