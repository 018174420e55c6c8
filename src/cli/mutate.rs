//! `tlcheck mutate`: the checker's power against plausible typos of a claim's printed formula.
//!
//! Every non-equivalent typo ([`crate::formula::mutate`]) replaces the printed formula (and, for
//! inequalities, the bound) and the claim is run with the same checks, grids and seeds as the
//! printed form. A mutant is rejected when it fails at some point where the printed form passes,
//! or when its verdict differs. Power = rejected / tested, over the typos of the formula of an
//! equality that a simulation check compares with an observable. For inequalities and
//! monotonicity statements a typo can give a weaker statement that is still true (a looser bound,
//! another increasing function), which no checker should reject: there the outcomes are listed
//! but the power is reported as not applicable.

use serde::Serialize;

use crate::audit::{ClaimReport, run_claim, select};
use crate::check::{RunContext, Verdict, fmt_point};
use crate::error::{Error, Result};
use crate::formula::Interval;
use crate::formula::mutate::{Kind, mutants, pick};
use crate::theorem::{CheckMethod, Claim, Relation, default_dir, load_dir, value_text};

/// Default number of mutants tested per mutated formula (the first of them in round-robin order over kinds).
pub const DEFAULT_MAX: usize = 10;

/// Arguments of `tlcheck mutate`.
#[derive(clap::Args, Debug)]
pub struct MutateArgs {
    /// Claim id (see `tlcheck list`).
    pub claim: String,
    /// Quick precision (fewer trials and sizes, as in `cargo test`).
    #[arg(long)]
    pub quick: bool,
    /// Mutants tested per mutated formula, taken round-robin over typo kinds in a fixed order.
    #[arg(long, default_value_t = DEFAULT_MAX, value_name = "N")]
    pub max: usize,
    /// Base random seed (u64); the printed form and every mutant use the same simulation streams.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Print JSON: {id, printed_verdict, power, not_applicable, generated, tested, rejected, mutants: [...]}.
    #[arg(long)]
    pub json: bool,
    /// Directory of theorem files (default: $TLCHECK_THEOREMS, else ./theorems, else the crate's own).
    #[arg(long, value_name = "DIR")]
    pub theorems: Option<std::path::PathBuf>,
}

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

/// Result of `tlcheck mutate` for one claim.
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
            .flat_map(|c| c.grid.get(&v).into_iter().flatten())
            .filter_map(|x| value_text(x).ok()?.parse::<f64>().ok())
            .filter(|x| x.is_finite())
            .collect();
        let line = Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY, lo_open: true, hi_open: true };
        let iv = if values.is_empty() {
            line
        } else {
            let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
            Interval { lo, hi, lo_open: false, hi_open: false }
        };
        domain.push((v, iv));
    }
    domain
}

/// Whether `variant` fails at some point where `original` passes, or its verdict differs.
pub fn rejected(original: &ClaimReport, variant: &ClaimReport) -> bool {
    original.verdict != variant.verdict || first_failure(original, variant).is_some()
}

/// (check index, point index) of the first point where `variant` fails and `original` passes.
fn first_failure(original: &ClaimReport, variant: &ClaimReport) -> Option<(usize, usize)> {
    original.checks.iter().zip(&variant.checks).enumerate().find_map(|(c, (a, b))| {
        if a.failures.len() != b.failures.len() {
            return Some((c, 0));
        }
        a.failures.iter().zip(&b.failures).position(|(fa, fb)| *fb && !*fa).map(|p| (c, p))
    })
}

/// A one-line description of why `variant` is rejected, if it is.
pub fn first_rejection(original: &ClaimReport, variant: &ClaimReport) -> Option<String> {
    match first_failure(original, variant) {
        Some((c, p)) => {
            let check = &variant.checks[c];
            // Search checks list only their worst points; fall back to the check's worst point.
            let at = check.points.get(p).filter(|_| check.method == "simulation").or(check.worst.as_ref());
            let at = at.map_or_else(String::new, |r| format!(" at {}", fmt_point(&r.at)));
            Some(format!(
                "check {} ({}) fails{at} where the printed form passes; {}",
                c + 1,
                check.describe,
                check.evidence
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
    let uses_printed = claim.file.checks.iter().any(|c| c.method == CheckMethod::Simulation && c.formula.is_none());
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

/// Runs every picked mutant of `claim` (at most `max` per mutated formula) and measures the power.
pub fn mutation_power(claim: &Claim, ctx: &RunContext, max: usize) -> Result<PowerReport> {
    let original = run_claim(claim, ctx)?;
    let domain = claim_domain(claim);
    let st = &claim.statement;
    let not_applicable = not_applicable(claim);
    let mut targets = vec![("formula", st.formula.clone())];
    if let Some(b) = &st.bound {
        targets.push(("bound", b.clone()));
    }
    let mut outcomes = Vec::new();
    let mut generated = 0;
    for (target, formula) in targets {
        let all = mutants(&formula, &domain, ctx.seed)?;
        generated += all.len();
        for m in pick(all, max) {
            let mut file = claim.file.clone();
            if target == "bound" {
                file.claim.bound = Some(m.formula.clone());
            } else {
                file.claim.formula = m.formula.clone();
            }
            let (verdict, rejected, evidence) = match Claim::compile(file, claim.path.clone()) {
                Err(e) => (None, true, format!("the mutated claim is refused at load time: {e}")),
                Ok(variant) => {
                    let report = run_claim(&variant, ctx)?;
                    let why = first_rejection(&original, &report);
                    let evidence = why
                        .clone()
                        .unwrap_or_else(|| format!("not rejected: {} and no new failing point", report.verdict));
                    (Some(report.verdict), why.is_some(), evidence)
                }
            };
            outcomes.push(MutantOutcome {
                target: target.to_string(),
                kind: m.kind,
                change: m.change,
                formula: m.formula,
                verdict,
                rejected,
                evidence,
            });
        }
    }
    let tested = outcomes.len();
    let rejected = outcomes.iter().filter(|m| m.rejected).count();
    let (power, not_applicable) = match not_applicable {
        Some(why) => (None, Some(why.to_string())),
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

/// Runs `tlcheck mutate`; exit code 0 (the power is a measurement, not a pass/fail).
pub fn run(args: &MutateArgs) -> Result<i32> {
    if args.max == 0 {
        return Err(Error::input("--max must be at least 1"));
    }
    let claims = load_dir(&args.theorems.clone().unwrap_or_else(default_dir))?;
    let claim = select(&claims, std::slice::from_ref(&args.claim))?[0];
    let ctx = RunContext { quick: args.quick, seed: args.seed, progress: None };
    let report = mutation_power(claim, &ctx, args.max)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| Error::numerical(e.to_string()))?);
    } else {
        print!("{}", text(&report));
    }
    Ok(0)
}

fn text(r: &PowerReport) -> String {
    let mut out = format!("{} (printed form: {})\n", r.id, r.printed_verdict);
    let rows: Vec<Vec<String>> = r
        .mutants
        .iter()
        .map(|m| {
            vec![
                if m.rejected { "rejected" } else { "accepted" }.to_string(),
                m.target.clone(),
                m.change.clone(),
                m.formula.clone(),
                m.verdict.map_or_else(|| "-".to_string(), |v| v.to_string()),
            ]
        })
        .collect();
    out += &crate::report::table(&["outcome", "target", "change", "mutant", "verdict"], &rows);
    out += &match (r.power, &r.not_applicable) {
        (Some(p), _) => format!(
            "power: {:.1}% ({} of {} tested mutants rejected; {} non-equivalent mutants generated)\n",
            100.0 * p,
            r.rejected,
            r.tested,
            r.generated
        ),
        (None, why) => format!(
            "power: not applicable ({}); {} of {} tested mutants change the outcome\n",
            why.as_deref().unwrap_or("-"),
            r.rejected,
            r.tested
        ),
    };
    out
}
