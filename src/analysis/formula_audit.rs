//! The audit of a formula typed by a user.
//!
//! Against a claim: symbolic-numeric equivalence with the claim's printed formula over the claim's
//! domain ([`crate::formula::equivalence`]), reported as the relation to the printed form; and the
//! claim's checks run with the user's formula substituted (same grids, seeds and statistics as
//! `audit`), whose verdict is the formula's agreement with the simulation. Where the forms differ the
//! two runs are also compared point by point ([`crate::analysis::mutation::rejected`]). Against an observable: the formula
//! is compared with it directly on a grid (a simulation check, Holm at family alpha 0.01). Statements
//! on the same domain (monotonicity, an upper bound) are decided by counterexample search.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::analysis::mutation::{claim_domain, first_rejection, rejected};
use crate::audit::{ClaimOutcome, run_claim};
use crate::claim::Claim;
use crate::engine::alpha::CLAIM_ALPHA;
use crate::engine::{Precision, Run, run_check};
use crate::error::{Error, Result};
use crate::formula::equivalence::{EquivalenceReport, compare};
use crate::formula::scaling::ScalingReport;
use crate::formula::{Formula, Interval};
use crate::methods::{Context, compile};
use crate::outcome::Verdict;
use crate::report::evidence::evidence;
use crate::spec::{
    CheckSpec, ClaimSpec, Extrapolate, Quick, RecordedVerdict, Relation, SearchSpec, SimulationSpec, Source, Status,
    TheoremFile, Tolerance,
};
use crate::statement::Statement;

/// How the formula agrees with the simulation: the verdict of the claim's checks (or of the
/// observable comparison) run with the formula in place of the printed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormulaVerdict {
    /// Every check holds with the formula.
    AgreesWithSimulation,
    /// The formula fails on part of the grid, separated by a parameter threshold.
    RegimeLimited,
    /// The formula disagrees with the simulation.
    Refuted,
    /// The checks' budgets could not decide.
    Inconclusive,
}

impl FormulaVerdict {
    fn of(v: Verdict) -> Self {
        match v {
            Verdict::Holds => FormulaVerdict::AgreesWithSimulation,
            Verdict::RegimeLimited => FormulaVerdict::RegimeLimited,
            Verdict::Refuted => FormulaVerdict::Refuted,
            Verdict::Inconclusive | Verdict::Error => FormulaVerdict::Inconclusive,
        }
    }
}

impl std::fmt::Display for FormulaVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FormulaVerdict::AgreesWithSimulation => "agrees-with-simulation",
            FormulaVerdict::RegimeLimited => "regime-limited",
            FormulaVerdict::Refuted => "refuted",
            FormulaVerdict::Inconclusive => "inconclusive",
        })
    }
}

/// How the formula relates to the claim's printed one (the counterexample point is in the
/// equivalence report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrintedRelation {
    Equivalent,
    Differs,
}

/// Comparison with the simulation.
#[derive(Clone, Debug, Serialize)]
pub struct SimulationOutcome {
    /// Verdict of the checks with the user's formula.
    pub verdict: Verdict,
    /// Verdict of the printed formula on the same checks (claim mode).
    pub printed_verdict: Option<Verdict>,
    /// The user's formula fails somewhere the printed one passes, or the verdicts differ (claim mode):
    /// the simulation tells the two forms apart.
    pub rejected: bool,
    pub evidence: String,
}

/// One extra statement (monotonicity or bound) and its search result.
#[derive(Clone, Debug, Serialize)]
pub struct StatementOutcome {
    pub statement: String,
    pub verdict: Verdict,
    pub evidence: String,
}

/// Everything `tlcheck formula` reports.
#[derive(Clone, Debug, Serialize)]
pub struct FormulaReport {
    pub formula: String,
    pub claim: Option<String>,
    pub printed: Option<String>,
    pub observable: Option<String>,
    /// Agreement with the simulation.
    pub verdict: FormulaVerdict,
    /// Relation to the printed formula (claim mode).
    pub printed_relation: Option<PrintedRelation>,
    pub equivalence: Option<EquivalenceReport>,
    pub simulation: Option<SimulationOutcome>,
    pub statements: Vec<StatementOutcome>,
    pub scaling: Option<ScalingReport>,
}

/// Compares the user's formula `expr` with the printed formula of `claim` (and, unless equivalent, runs
/// the claim with it substituted); also returns the domain statements are searched on.
pub fn against_claim(
    claim: &Claim,
    expr: &str,
    user: &Formula,
    run: &Run,
) -> Result<(FormulaReport, Vec<(String, Interval)>)> {
    let id = claim.id();
    let printed = &claim.statement.formula;
    let domain = claim_domain(claim);
    for v in user.variables() {
        if !printed.variables().contains(v) && !domain.iter().any(|(n, _)| n == v) {
            return Err(Error::input(format!(
                "variable `{v}` does not occur in the printed formula of {id} (its variables: {})",
                printed.variables().join(", ")
            )));
        }
    }
    let equivalence = compare(printed, user, &domain, run.precision().seed)?;
    let original = run_claim(claim, run)?;
    let (relation, simulation) = if equivalence.equivalent {
        (PrintedRelation::Equivalent, SimulationOutcome::equivalent(&original))
    } else {
        let mut file = claim.file.clone();
        file.claim.formula = expr.to_string();
        let substituted = Claim::compile(file, claim.path.clone())?;
        let variant = run_claim(&substituted, run)?;
        (PrintedRelation::Differs, simulation_outcome(&original, &variant))
    };
    let verdict = FormulaVerdict::of(simulation.verdict);
    let report = FormulaReport {
        formula: expr.to_string(),
        claim: Some(id.to_string()),
        printed: Some(printed.text().to_string()),
        observable: None,
        verdict,
        printed_relation: Some(relation),
        equivalence: Some(equivalence),
        simulation: Some(simulation),
        statements: Vec::new(),
        scaling: None,
    };
    Ok((report, domain))
}

impl SimulationOutcome {
    /// The simulation of a formula equivalent to the printed one: the printed claim's own checks.
    fn equivalent(original: &ClaimOutcome) -> Self {
        SimulationOutcome {
            verdict: original.verdict,
            printed_verdict: Some(original.verdict),
            rejected: false,
            evidence: format!("equivalent to the printed formula, whose checks give: {}", original.verdict),
        }
    }
}

fn simulation_outcome(original: &ClaimOutcome, variant: &ClaimOutcome) -> SimulationOutcome {
    let rejected = rejected(original, variant);
    let evidence = match first_rejection(original, variant) {
        Some(text) => text,
        None => format!(
            "no point fails that passes with the printed formula (both {}, {} points compared)",
            variant.verdict,
            variant.checks.iter().map(|c| c.points.len()).sum::<usize>()
        ),
    };
    SimulationOutcome { verdict: variant.verdict, printed_verdict: Some(original.verdict), rejected, evidence }
}

/// A formula compared with an observable directly, without a theorem file.
pub struct ObservableRequest {
    pub observable: String,
    pub output: Option<String>,
    /// Fixed parameters and grid axes.
    pub settings: BTreeMap<String, toml::Value>,
    pub axes: BTreeMap<String, Vec<toml::Value>>,
    pub trials: usize,
    pub extrapolate: Option<Extrapolate>,
    /// Absolute finite-size budget (units of the output).
    pub budget: f64,
}

/// Compares the user's formula `expr` with an observable on a grid: a simulation check at a claim's
/// alpha ([`CLAIM_ALPHA`]) with the given budget.
pub fn against_observable(req: ObservableRequest, expr: &str, run: &Run) -> Result<FormulaReport> {
    let name = req.observable.clone();
    let check = SimulationSpec {
        describe: format!("{name} against the user's formula"),
        regime: None,
        consistency: None,
        observable: name.clone(),
        output: req.output,
        settings: req.settings,
        trials: req.trials,
        quick: Quick::default(),
        formula: None,
        define: BTreeMap::new(),
        grid: req.axes,
        extrapolate: req.extrapolate,
        tolerance: Tolerance {
            abs: req.budget,
            rel: 0.0,
            budget_reason: format!("absolute budget {} given with --budget", req.budget),
            margin: None,
        },
    };
    let file = TheoremFile {
        id: "formula".into(),
        title: format!("{name} = {expr}"),
        status: Status::Derived,
        source: Source { paper: "command line".into(), arxiv: "-".into(), version: "-".into(), location: "-".into() },
        statement: expr.to_string(),
        assumptions: None,
        claim: ClaimSpec {
            relation: Relation::Equal,
            formula: expr.to_string(),
            bound: None,
            variable: None,
            strict: false,
        },
        domain: BTreeMap::new(),
        checks: vec![CheckSpec::Simulation(check)],
        verdict: RecordedVerdict { expected: Verdict::Holds, reason: "user formula".into(), quick: None },
    };
    let claim = Claim::compile(file, PathBuf::from("--observable"))
        .map_err(|e| Error::input(e.to_string().replace("theorem file --observable: ", "")))?;
    let report = run_claim(&claim, run)?;
    let verdict = FormulaVerdict::of(report.verdict);
    let evidence = report.checks.iter().map(evidence).collect::<Vec<_>>().join("; ");
    Ok(FormulaReport {
        formula: expr.to_string(),
        claim: None,
        printed: None,
        observable: Some(name),
        verdict,
        printed_relation: None,
        equivalence: None,
        simulation: Some(SimulationOutcome {
            verdict: report.verdict,
            printed_verdict: None,
            rejected: false,
            evidence,
        }),
        statements: Vec::new(),
        scaling: None,
    })
}

/// Decides a statement about `f` over `domain` by counterexample search.
pub fn search_statement(
    f: &Formula,
    relation: Relation,
    bound: Option<Formula>,
    variable: Option<String>,
    domain: &[(String, Interval)],
    what: String,
) -> Result<StatementOutcome> {
    let st = Statement {
        relation,
        formula: f.clone(),
        bound,
        variable,
        strict: false,
        domain: domain.iter().cloned().collect(),
    };
    let spec = CheckSpec::Search(SearchSpec {
        describe: what.clone(),
        regime: None,
        consistency: None,
        points_per_axis: None,
    });
    let check = compile(&spec, &Context { claim_id: "formula", index: 0, statement: &st })?;
    let run = Run::new(Precision { quick: false, seed: 0 }, &crate::engine::Silent);
    let outcome = run_check(&check, &run, CLAIM_ALPHA)?;
    Ok(StatementOutcome { statement: what, verdict: outcome.verdict, evidence: evidence(&outcome) })
}
