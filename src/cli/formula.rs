//! `tlcheck formula`: audit a formula typed by the user (arguments and printing; the audit itself is
//! [`crate::analysis::formula_audit`]).
//!
//! With `--claim`: the claim's checks are run with the user's formula substituted (same grids, seeds
//! and statistics as `audit`); their verdict is the formula's agreement with the simulation, and
//! the exit code is 1 when it is refuted (wholly or on part of the grid: regime-limited). Separately, the relation to the printed form:
//! symbolic-numeric equivalence over the claim's domain ([`crate::formula::equivalence`]), with a
//! counterexample point where the forms differ. With `--observable` and `--grid`: the formula is compared
//! with a registered observable directly (Holm at family alpha 0.01 over the grid). Optional
//! statements on the same domain: `--monotone`, `--at-most` (counterexample search), `--scaling`.

use crate::cli::out::{out, outln};
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::args::{Range, parse_range};
use crate::analysis::formula_audit::{
    FormulaReport, FormulaVerdict, ObservableRequest, PrintedRelation, StatementOutcome, against_claim,
    against_observable, search_statement,
};
use crate::audit::select;
use crate::claim::{default_dir, load_dir};
use crate::engine::{Precision, Run, Silent};
use crate::error::{Error, Result};
use crate::formula::mutate::probe_points;
use crate::formula::scaling::{parse_weights, scaling_weight};
use crate::formula::{Expr, Formula, Interval};
use crate::outcome::Verdict;
use crate::report::evidence::{fmt_num, fmt_point};
use crate::spec::{Extrapolate, Relation};

/// Arguments of `tlcheck formula`.
#[derive(clap::Args, Debug)]
pub struct FormulaArgs {
    /// The formula, e.g. "gamma^2/(sqrt(1 + gamma^2) + 1)": numbers, variables, + - * / ^ (or **),
    /// sqrt exp ln log abs sin cos tan asin acos atan sinh cosh tanh, constants pi and e.
    pub expr: String,
    /// Compare with this claim's printed formula and run the claim's checks with EXPR substituted.
    #[arg(long, value_name = "CLAIM", conflicts_with = "observable")]
    pub claim: Option<String>,
    /// Compare EXPR with this observable (see `tlcheck observables`) on --grid, without a theorem file.
    #[arg(long, value_name = "NAME", requires = "grid")]
    pub observable: Option<String>,
    /// Observable parameters: "name=LO:HI:N" (N >= 2 evenly spaced values, ends included, LO < HI)
    /// or "name=value" (a fixed number, `inf` or a word), comma separated, e.g. "gamma=0.5:4:8,d=200".
    #[arg(long, value_name = "SPEC")]
    pub grid: Option<String>,
    /// Observable output compared with EXPR (default: the observable's first output).
    #[arg(long, value_name = "NAME")]
    pub output: Option<String>,
    /// Independent trials per grid point with --observable.
    #[arg(long, default_value_t = 200, value_name = "TRIALS")]
    pub trials: usize,
    /// With --observable: extrapolate the residual as a + c/size over sizes, e.g. "d=200,800".
    #[arg(long, value_name = "PARAM=S1,S2,...")]
    pub extrapolate: Option<String>,
    /// With --observable: absolute finite-size budget added to the statistical tolerance (units of the output).
    #[arg(long, default_value_t = 0.0, value_name = "ABS")]
    pub budget: f64,
    /// Also check that EXPR is increasing or decreasing in a variable over the domain:
    /// "name=increasing" or "name=decreasing" (sign of the symbolic derivative, counterexample search).
    #[arg(long, value_name = "NAME=DIRECTION")]
    pub monotone: Option<String>,
    /// Also check EXPR <= this bound over the domain (counterexample search).
    #[arg(long, value_name = "EXPR")]
    pub at_most: Option<String>,
    /// Also report EXPR's weight under declared rescalings x -> c^w x, e.g. "u=1,sigma=1".
    #[arg(long, value_name = "NAME=W,...")]
    pub scaling: Option<String>,
    /// Quick precision for the claim's simulations (as in `cargo test`).
    #[arg(long)]
    pub quick: bool,
    /// Base random seed (u64) of simulations and of the equivalence search.
    #[arg(long, default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
    /// Print JSON: {command, version, seed, settings, elapsed_s, formula, claim, printed, observable,
    /// verdict, printed_relation, equivalence, simulation, statements, scaling}.
    #[arg(long)]
    pub json: bool,
    /// Directory of theorem files (default: $TLCHECK_THEOREMS, else ./theorems, else the crate's own).
    #[arg(long, value_name = "DIR")]
    pub theorems: Option<PathBuf>,
}

/// Runs `tlcheck formula`; exit code 0 unless the formula or a statement is refuted (1).
pub fn run(args: &FormulaArgs) -> Result<i32> {
    let start = std::time::Instant::now();
    let user = parse_user(&args.expr, "formula")?;
    if args.trials == 0 {
        return Err(Error::input("--trials must be at least 1"));
    }
    if !args.budget.is_finite() || args.budget < 0.0 {
        return Err(Error::input(format!("--budget {}: expected a finite number >= 0", args.budget)));
    }
    let run = Run::new(Precision { quick: args.quick, seed: args.seed }, &Silent);
    let (mut report, domain) = match (&args.claim, &args.observable) {
        (Some(id), _) => {
            let claims = load_dir(&args.theorems.clone().unwrap_or_else(default_dir))?;
            let claim = select(&claims, std::slice::from_ref(id))?[0];
            against_claim(claim, &args.expr, &user, &run)?
        }
        (None, Some(name)) => {
            let grid = parse_grid(args.grid.as_deref().unwrap_or(""))?;
            let request = ObservableRequest {
                observable: name.clone(),
                output: args.output.clone(),
                settings: grid.settings,
                axes: grid.axes,
                trials: args.trials,
                extrapolate: args.extrapolate.as_deref().map(parse_extrapolate).transpose()?,
                budget: args.budget,
            };
            (against_observable(request, &args.expr, &run)?, grid.domain)
        }
        (None, None) => return Err(Error::input("give --claim <ID> or --observable <NAME> --grid <SPEC>")),
    };
    if let Some(m) = &args.monotone {
        report.statements.push(monotone(&user, m, &domain)?);
    }
    if let Some(bound) = &args.at_most {
        report.statements.push(at_most(&user, bound, &domain)?);
    }
    if let Some(w) = &args.scaling {
        let weights = parse_weights(w)?;
        let points = probe_points(user.variables(), &domain, 32);
        report.scaling = Some(scaling_weight(&user, &weights, &points)?);
    }
    if args.json {
        let payload = serde_json::to_value(&report).map_err(|e| Error::numerical(e.to_string()))?;
        let settings = serde_json::json!({
            "quick": args.quick, "trials": args.trials, "budget": args.budget, "grid": args.grid,
            "extrapolate": args.extrapolate, "output": args.output,
        });
        let doc = crate::report::envelope("formula", Some(args.seed), settings, start.elapsed().as_secs_f64(), payload);
        outln!("{}", serde_json::to_string_pretty(&doc).map_err(|e| Error::numerical(e.to_string()))?)?;
    } else {
        out!("{}", text(&report))?;
    }
    let refuted = matches!(report.verdict, FormulaVerdict::Refuted | FormulaVerdict::RegimeLimited);
    let failed = refuted || report.statements.iter().any(|s| s.verdict == Verdict::Refuted);
    Ok(if failed { 1 } else { 0 })
}

/// Parses a user formula, refusing literals that are not finite numbers (e.g. 1e999).
fn parse_user(text: &str, what: &str) -> Result<Formula> {
    let f = Formula::parse(text)?;
    fn finite(e: &Expr) -> bool {
        match e {
            Expr::Num(v) => v.is_finite(),
            e => e.children().into_iter().all(finite),
        }
    }
    if !finite(f.expr()) {
        return Err(Error::input(format!("{what} {text:?} contains a number that is not finite")));
    }
    Ok(f)
}

/// A parsed `--grid`: fixed settings, axes with their values, and the box they span.
struct Grid {
    settings: BTreeMap<String, toml::Value>,
    axes: BTreeMap<String, Vec<toml::Value>>,
    domain: Vec<(String, Interval)>,
}

/// Largest number of grid points accepted (each point runs K trials).
const MAX_POINTS: usize = 10_000;

fn parse_grid(spec: &str) -> Result<Grid> {
    let mut grid = Grid { settings: BTreeMap::new(), axes: BTreeMap::new(), domain: Vec::new() };
    let mut points = 1usize;
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .map(|(n, v)| (n.trim(), v.trim()))
            .ok_or_else(|| Error::input(format!("--grid entry {part:?}: expected name=lo:hi:n or name=value")))?;
        if name.is_empty() || grid.settings.contains_key(name) || grid.axes.contains_key(name) {
            return Err(Error::input(format!("--grid entry {part:?}: missing or repeated name")));
        }
        let fields: Vec<&str> = value.split(':').collect();
        match fields.as_slice() {
            [_, _, _] => {
                // The one RANGE parser of the command line (LO:HI:N, N >= 2 evenly spaced points).
                let range = parse_range(value).map_err(|why| Error::input(format!("--grid {name}: {why}")))?;
                let Range::Span { lo, hi, n } = range else { unreachable!("a value with ':' is a span") };
                points = points.saturating_mul(n);
                if points > MAX_POINTS {
                    return Err(Error::input(format!("--grid has more than {MAX_POINTS} points")));
                }
                grid.domain.push((name.to_string(), Interval { lo, hi, lo_open: false, hi_open: false }));
                grid.axes.insert(name.to_string(), range.values(false).into_iter().map(toml::Value::Float).collect());
            }
            [""] => return Err(Error::input(format!("--grid {name}: empty value"))),
            [v] => {
                let value = match v.parse::<f64>() {
                    Ok(x) if x.is_nan() => return Err(Error::input(format!("--grid {name}: NaN is not a value"))),
                    Ok(x) if x.is_finite() => {
                        grid.domain.push((name.to_string(), Interval { lo: x, hi: x, lo_open: false, hi_open: false }));
                        toml::Value::Float(x)
                    }
                    _ => toml::Value::String(v.to_string()),
                };
                grid.settings.insert(name.to_string(), value);
            }
            _ => return Err(Error::input(format!("--grid {name}: expected lo:hi:n or a single value, got {value:?}"))),
        }
    }
    if grid.axes.is_empty() && grid.settings.is_empty() {
        return Err(Error::input("--grid is empty (expected e.g. \"gamma=0.5:4:8,d=200\")"));
    }
    if points > MAX_POINTS {
        return Err(Error::input(format!("--grid has {points} points; at most {MAX_POINTS}")));
    }
    Ok(grid)
}

fn parse_extrapolate(spec: &str) -> Result<Extrapolate> {
    let bad = || Error::input(format!("--extrapolate {spec:?}: expected PARAM=S1,S2,... with at least two sizes"));
    let (param, sizes) = spec.split_once('=').ok_or_else(bad)?;
    let sizes = sizes.split(',').map(|s| s.trim().parse::<f64>()).collect::<std::result::Result<Vec<_>, _>>();
    let sizes = sizes.map_err(|_| bad())?;
    if sizes.len() < 2 || sizes.iter().any(|s| !s.is_finite() || *s <= 0.0) {
        return Err(bad());
    }
    Ok(Extrapolate::inverse_size(param.trim().to_string(), sizes))
}

fn monotone(f: &Formula, spec: &str, domain: &[(String, Interval)]) -> Result<StatementOutcome> {
    let bad = || Error::input(format!("--monotone {spec:?}: expected name=increasing or name=decreasing"));
    let (name, dir) = spec.split_once('=').map(|(n, d)| (n.trim(), d.trim())).ok_or_else(bad)?;
    let relation = match dir {
        "increasing" => Relation::Increasing,
        "decreasing" => Relation::Decreasing,
        _ => return Err(bad()),
    };
    if !f.variables().iter().any(|v| v == name) {
        return Err(Error::input(format!("--monotone: `{name}` does not occur in {:?}", f.text())));
    }
    search_statement(f, relation, None, Some(name.to_string()), domain, format!("{} is {dir} in {name}", f.text()))
}

fn at_most(f: &Formula, bound: &str, domain: &[(String, Interval)]) -> Result<StatementOutcome> {
    let b = parse_user(bound, "--at-most")?;
    search_statement(f, Relation::AtMost, Some(b), None, domain, format!("{} <= {bound}", f.text()))
}

fn text(r: &FormulaReport) -> String {
    let mut out = format!("formula: {}\n", r.formula);
    if let (Some(id), Some(p)) = (&r.claim, &r.printed) {
        out += &format!("claim:   {id}\nprinted: {p}\n");
    }
    if let Some(o) = &r.observable {
        out += &format!("observable: {o}\n");
    }
    out += &format!("verdict: {} (the claim's checks run with this formula)\n", r.verdict);
    if let Some(rel) = r.printed_relation {
        out +=
            &format!("printed form: {}\n", if rel == PrintedRelation::Equivalent { "equivalent" } else { "differs" });
    }
    if let Some(e) = &r.equivalence {
        if e.equivalent {
            out += &format!(
                "equivalence: equivalent over the domain (max relative discrepancy {} at {} points)\n",
                fmt_num(e.max_discrepancy),
                e.points
            );
        } else if let Some(c) = &e.counterexample {
            let at = c.at.iter().map(|(k, v)| (k.clone(), crate::outcome::Coord::Num(*v))).collect();
            let val = |v: Option<f64>| v.map_or_else(|| "undefined".to_string(), fmt_num);
            out += &format!(
                "equivalence: not equivalent; counterexample at {}: printed {} vs yours {} (relative discrepancy {})\n",
                fmt_point(&at),
                val(c.left),
                val(c.right),
                c.discrepancy.map_or_else(|| "inf".to_string(), fmt_num)
            );
        }
    }
    if let Some(s) = &r.simulation {
        let printed = s.printed_verdict.map_or_else(String::new, |p| format!(" (printed formula: {p})"));
        out += &format!("simulation: {}{printed}; {}\n", s.verdict, s.evidence);
    }
    for s in &r.statements {
        out += &format!("statement: {}: {}; {}\n", s.statement, s.verdict, s.evidence);
    }
    if let Some(s) = &r.scaling {
        let weights: Vec<String> = s.weights.iter().map(|(n, w)| format!("{n}={w}")).collect();
        out += &match s.weight {
            Some(w) => format!(
                "scaling: weight {} under {} ({}invariant, {} points)\n",
                fmt_num(w),
                weights.join(","),
                if s.invariant { "" } else { "not " },
                s.points
            ),
            None => format!(
                "scaling: not homogeneous under {} (spread of weight estimates {})\n",
                weights.join(","),
                fmt_num(s.spread)
            ),
        };
    }
    out
}
