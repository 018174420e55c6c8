//! `search`: looks for a counterexample to an inequality (formula <= bound) or to a monotonicity
//! statement (sign of the symbolic partial derivative) over the claim's domain. Deterministic: no
//! simulation, so its rule has no error rate; it is a consistency check of the printed algebra.
//!
//! The violation g(x) (formula - bound, or -/+ d formula/d variable) is evaluated on a grid of
//! points spread over the domain box, then the worst points are refined by Nelder-Mead (argmin)
//! in unbounded coordinates t, x = interval.from_unbounded(t). A point fails when g > tolerance
//! (for strict monotonicity: when the derivative is not strictly positive/negative there).

use crate::decide::regime::classify_thresholds;
use crate::engine::{Cell, Decision, Drawn, Method, Stage, Worst};
use crate::error::{Error, Result};
use crate::formula::domain::maximize_in_box;
use crate::formula::{Formula, Interval};
use crate::outcome::details::SearchDetails;
use crate::outcome::{Coord, Coords, Details, FiniteSize, PointOutcome, Rule, RuleKind};
use crate::spec::{Relation, SearchSpec};
use crate::statement::Statement;

/// Relative numerical tolerance of a violation (floating-point rounding of the formula).
const REL_TOL: f64 = 1e-10;
/// Total sampled points aimed at before refinement.
const SAMPLE_BUDGET: f64 = 20_000.0;
/// Nelder-Mead refinements started from the worst sampled points.
const REFINEMENTS: usize = 5;
/// Points reported (the largest violations).
const REPORTED: usize = 5;

/// A compiled search check.
pub struct Search {
    strict: bool,
    derivative: bool,
    /// The claimed formula (its size sets the relative tolerance).
    formula: Formula,
    /// Violation g = sign * (lhs - rhs): formula - bound for inequalities, the derivative for monotonicity.
    lhs: Formula,
    rhs: Option<Formula>,
    sign: f64,
    /// Text of g for evidence.
    violation_text: String,
    vars: Vec<String>,
    intervals: Vec<Interval>,
    points_per_axis: usize,
}

/// (lhs, rhs, sign, text) of the violation g = sign (lhs - rhs) of a statement.
fn violation(st: &Statement) -> Result<(Formula, Option<Formula>, f64, String)> {
    let f = &st.formula;
    match st.relation {
        Relation::AtMost | Relation::AtLeast => {
            let b = st.bound.clone().ok_or_else(|| Error::input("inequality without bound"))?;
            if st.relation == Relation::AtMost {
                let text = format!("({f}) - ({b})");
                Ok((f.clone(), Some(b), 1.0, text))
            } else {
                let text = format!("({b}) - ({f})");
                Ok((f.clone(), Some(b), -1.0, text))
            }
        }
        Relation::Increasing | Relation::Decreasing => {
            let v = st.variable.as_deref().ok_or_else(|| Error::input("monotonicity without variable"))?;
            let d = f.partial(v)?;
            if st.relation == Relation::Increasing {
                Ok((d, None, -1.0, format!("-d({f})/d{v}")))
            } else {
                Ok((d, None, 1.0, format!("d({f})/d{v}")))
            }
        }
        Relation::Equal => Err(Error::input("equalities are checked with method = \"simulation\"")),
        Relation::OrderParameter | Relation::ExceedsSomewhere | Relation::InteriorMinimum => Err(Error::input(
            "order-parameter, existence and optimum claims are checked with collapse, monotone, exists or optimum",
        )),
    }
}

impl Search {
    pub fn compile(spec: &SearchSpec, st: &Statement) -> Result<Search> {
        let (lhs, rhs, sign, violation_text) = violation(st)?;
        let mut vars: Vec<String> = st.formula.variables().to_vec();
        for v in st.bound.iter().flat_map(|b| b.variables()) {
            if !vars.contains(v) {
                vars.push(v.clone());
            }
        }
        vars.sort();
        let missing: Vec<&str> = vars.iter().filter(|v| !st.domain.contains_key(*v)).map(String::as_str).collect();
        if !missing.is_empty() {
            return Err(Error::input(format!("a search needs a [domain] for {}", missing.join(", "))));
        }
        if vars.len() > 8 {
            return Err(Error::input(format!("a grid search over {} variables is too large (at most 8)", vars.len())));
        }
        let intervals: Vec<Interval> = vars.iter().map(|v| st.domain[v]).collect();
        let default_ppa = (SAMPLE_BUDGET.powf(1.0 / vars.len().max(1) as f64).floor() as usize).clamp(3, 400);
        let points_per_axis = match spec.points_per_axis {
            Some(n) if (n as f64).powi(vars.len() as i32) > 1e7 => {
                return Err(Error::input(format!("points_per_axis = {n} gives too many points (at most 1e7 in all)")));
            }
            Some(n) => n,
            None => default_ppa,
        };
        Ok(Search {
            strict: st.strict,
            derivative: matches!(st.relation, Relation::Increasing | Relation::Decreasing),
            formula: st.formula.clone(),
            lhs,
            rhs,
            sign,
            violation_text,
            vars,
            intervals,
            points_per_axis,
        })
    }

    fn lookup<'a>(&'a self, x: &'a [f64]) -> impl Fn(&str) -> Option<f64> + 'a {
        move |name| self.vars.iter().position(|v| v == name).map(|i| x[i])
    }

    /// Violation at x (NaN when the formula is undefined there) and its tolerance.
    fn violation_at(&self, x: &[f64]) -> (f64, f64) {
        let eval = |f: &Formula| f.eval(self.lookup(x)).unwrap_or(f64::NAN);
        let (a, b) = (eval(&self.lhs), self.rhs.as_ref().map_or(0.0, eval));
        let scale = eval(&self.formula).abs() + b.abs();
        let tol = if self.strict { 0.0 } else { REL_TOL * (1.0 + scale) };
        (self.sign * (a - b), tol)
    }

    fn fails(&self, g: f64, tol: f64) -> bool {
        !g.is_finite() || if self.strict { g >= -tol } else { g > tol }
    }

    fn grid(&self) -> Vec<Vec<f64>> {
        let axes: Vec<Vec<f64>> = self.intervals.iter().map(|i| i.sample_points(self.points_per_axis)).collect();
        let mut points = vec![Vec::new()];
        for axis in &axes {
            points =
                points.into_iter().flat_map(|p| axis.iter().map(move |&x| [p.clone(), vec![x]].concat())).collect();
        }
        points
    }

    fn coords(&self, x: &[f64]) -> Coords {
        self.vars.iter().zip(x).map(|(k, v)| (k.clone(), Coord::Num(*v))).collect()
    }

    fn point(&self, x: &[f64], g: f64, tol: f64) -> PointOutcome {
        let pass = !self.fails(g, tol);
        PointOutcome {
            residual: if g.is_finite() { g } else { f64::MAX },
            budget: tol,
            two_sided: false,
            p: if pass { 1.0 } else { 0.0 },
            pass,
            undefined: !g.is_finite(),
            ..PointOutcome::at(self.coords(x))
        }
    }

    /// Grid evaluation, then Nelder-Mead refinements of the worst points: (x, g, tolerance) each, and
    /// the number of grid points (which come first).
    fn evaluate(&self) -> Result<(Vec<Evaluated>, usize)> {
        let mut evaluated: Vec<Evaluated> = self
            .grid()
            .into_iter()
            .map(|x| {
                let (g, tol) = self.violation_at(&x);
                (x, g, tol)
            })
            .collect();
        let mut order: Vec<usize> = (0..evaluated.len()).collect();
        order.sort_by(|&a, &b| key(evaluated[b].1).total_cmp(&key(evaluated[a].1)));
        for &i in order.iter().take(REFINEMENTS) {
            let x = maximize_in_box(&self.intervals, &evaluated[i].0, &|x| self.violation_at(x).0)
                .map_err(Error::numerical)?;
            let (g, tol) = self.violation_at(&x);
            evaluated.push((x, g, tol));
        }
        Ok((evaluated, order.len()))
    }
}

/// A searched point x with its violation g and tolerance.
type Evaluated = (Vec<f64>, f64, f64);

/// Sort key of a violation: undefined values count as the largest.
fn key(g: f64) -> f64 {
    if g.is_finite() { g } else { f64::INFINITY }
}

impl Method for Search {
    fn plan(&self, _: &Stage) -> Result<Vec<Cell>> {
        Ok(Vec::new())
    }

    fn decide(&self, _: &Stage, _: &[Drawn]) -> Result<Decision> {
        let (evaluated, sampled) = self.evaluate()?;
        let flags: Vec<(Coords, bool)> =
            evaluated.iter().map(|(x, g, tol)| (self.coords(x), !self.fails(*g, *tol))).collect();
        let failures: Vec<bool> = flags[..sampled].iter().map(|(_, pass)| !pass).collect();
        let (verdict, region) = classify_thresholds(&flags);
        // Largest violation first; among equal ones the last evaluated (the refined points come last).
        let mut top: Vec<usize> = (0..evaluated.len()).collect();
        top.sort_by(|&a, &b| key(evaluated[b].1).total_cmp(&key(evaluated[a].1)).then(b.cmp(&a)));
        let points: Vec<PointOutcome> =
            top.iter().take(REPORTED).map(|&i| self.point(&evaluated[i].0, evaluated[i].1, evaluated[i].2)).collect();
        let rule =
            Rule { kind: RuleKind::Search, family_alpha: 0.0, family: evaluated.len(), trials: 0, resamples: None };
        let details = Details::Search(SearchDetails {
            sampled,
            refinements: evaluated.len() - sampled,
            violation: self.violation_text.clone(),
            derivative: self.derivative,
            strict: self.strict,
            undefined: evaluated.iter().filter(|e| !e.1.is_finite()).count(),
        });
        let finite_size =
            FiniteSize::NotApplicable { reason: Some("a deterministic search of the printed formula".into()) };
        Ok(Decision {
            verdict: Some((verdict, region)),
            worst: Worst::At((!points.is_empty()).then_some(0)),
            failures: Some(failures),
            ..Decision::new(rule, points, finite_size, details)
        })
    }
}
