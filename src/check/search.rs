//! Search check: looks for a counterexample to an inequality (formula <= bound) or to a
//! monotonicity statement (sign of the symbolic partial derivative) over the claim's domain.
//!
//! The violation g(x) (formula - bound, or -/+ d formula/d variable) is evaluated on a grid of
//! points spread over the domain box, then the worst points are refined by Nelder-Mead (argmin)
//! in unbounded coordinates t, x = interval.from_unbounded(t). A point fails when g > tolerance
//! (for strict monotonicity: when the derivative is not strictly positive/negative there).

use std::collections::BTreeMap;

use super::regime::classify;
use super::{Check, CheckReport, PointReport, RunContext, Verdict, fmt_num, fmt_point};
use crate::error::{Error, Result};
use crate::formula::domain::maximize_in_box;
use crate::formula::{Formula, Interval};
use crate::theorem::{CheckSpec, Relation, Statement};

/// Relative numerical tolerance of a violation (floating-point rounding of the formula).
const REL_TOL: f64 = 1e-10;
/// Total sampled points aimed at before refinement.
const SAMPLE_BUDGET: f64 = 20_000.0;
/// Nelder-Mead refinements started from the worst sampled points.
const REFINEMENTS: usize = 5;

/// A compiled search check.
pub struct SearchCheck {
    describe: String,
    relation: Relation,
    strict: bool,
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

impl SearchCheck {
    pub fn compile(spec: &CheckSpec, st: &Statement) -> Result<SearchCheck> {
        let f = &st.formula;
        let (lhs, rhs, sign, violation_text) = match st.relation {
            Relation::AtMost | Relation::AtLeast => {
                let b = st.bound.clone().ok_or_else(|| Error::input("inequality without bound"))?;
                if st.relation == Relation::AtMost {
                    let text = format!("({f}) - ({b})");
                    (f.clone(), Some(b), 1.0, text)
                } else {
                    let text = format!("({b}) - ({f})");
                    (f.clone(), Some(b), -1.0, text)
                }
            }
            Relation::Increasing | Relation::Decreasing => {
                let v = st.variable.as_deref().ok_or_else(|| Error::input("monotonicity without variable"))?;
                let d = f.partial(v)?;
                if st.relation == Relation::Increasing {
                    (d, None, -1.0, format!("-d({f})/d{v}"))
                } else {
                    (d, None, 1.0, format!("d({f})/d{v}"))
                }
            }
            Relation::Equal => return Err(Error::input("equalities are checked with method = \"simulation\"")),
            Relation::OrderParameter | Relation::ExceedsSomewhere | Relation::InteriorMinimum => {
                return Err(Error::input(
                    "order-parameter, existence and optimum claims are checked with collapse, monotone, exists or optimum",
                ));
            }
        };
        let mut vars: Vec<String> = f.variables().to_vec();
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
            Some(n) if n < 2 || (n as f64).powi(vars.len() as i32) > 1e7 => {
                return Err(Error::input(format!(
                    "points_per_axis = {n} gives too few or too many points (2 to 1e7 in all)"
                )));
            }
            Some(n) => n,
            None => default_ppa,
        };
        Ok(SearchCheck {
            describe: spec.describe.clone(),
            relation: st.relation,
            strict: st.strict,
            formula: f.clone(),
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

    /// Nelder-Mead maximisation of the violation from `start`.
    fn refine(&self, start: &[f64]) -> Result<Vec<f64>> {
        maximize_in_box(&self.intervals, start, &|x| self.violation_at(x).0).map_err(Error::numerical)
    }

    fn report(&self, x: &[f64], g: f64, tol: f64) -> PointReport {
        let at = self
            .vars
            .iter()
            .zip(x)
            .map(|(k, v)| {
                (k.clone(), serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, serde_json::Value::Number))
            })
            .collect();
        let pass = !self.fails(g, tol);
        PointReport {
            at,
            claimed: None,
            simulated: None,
            residual: if g.is_finite() { g } else { f64::MAX },
            budget: tol,
            z: None,
            two_sided: false,
            p: if pass { 1.0 } else { 0.0 },
            pass,
            undefined: !g.is_finite(),
            sizes: Vec::new(),
        }
    }
}

/// argmin problem: minimise -violation over unbounded coordinates.
impl Check for SearchCheck {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn trials(&self, _: &RunContext) -> u64 {
        0
    }

    fn run(&self, _: &RunContext) -> Result<CheckReport> {
        let mut evaluated: Vec<(Vec<f64>, f64, f64)> = self
            .grid()
            .into_iter()
            .map(|x| {
                let (g, tol) = self.violation_at(&x);
                (x, g, tol)
            })
            .collect();
        let sampled = evaluated.len();
        let mut order: Vec<usize> = (0..sampled).collect();
        let key = |g: f64| if g.is_finite() { g } else { f64::INFINITY };
        order.sort_by(|&a, &b| key(evaluated[b].1).total_cmp(&key(evaluated[a].1)));
        for &i in order.iter().take(REFINEMENTS) {
            let x = self.refine(&evaluated[i].0)?;
            let (g, tol) = self.violation_at(&x);
            evaluated.push((x, g, tol));
        }
        let coords: Vec<(BTreeMap<String, f64>, bool)> = evaluated
            .iter()
            .map(|(x, g, tol)| (self.vars.iter().cloned().zip(x.iter().copied()).collect(), !self.fails(*g, *tol)))
            .collect();
        let failures: Vec<bool> = coords[..sampled].iter().map(|(_, pass)| !pass).collect();
        let (verdict, regime) = classify(&coords);
        let worst_i =
            (0..evaluated.len()).max_by(|&a, &b| key(evaluated[a].1).total_cmp(&key(evaluated[b].1))).unwrap_or(0);
        let mut top: Vec<usize> = (0..evaluated.len()).collect();
        top.sort_by(|&a, &b| key(evaluated[b].1).total_cmp(&key(evaluated[a].1)));
        let points: Vec<PointReport> =
            top.iter().take(5).map(|&i| self.report(&evaluated[i].0, evaluated[i].1, evaluated[i].2)).collect();
        let worst = evaluated.get(worst_i).map(|(x, g, tol)| self.report(x, *g, *tol));
        let what = match self.relation {
            Relation::AtMost | Relation::AtLeast => "bound exceeded by".to_string(),
            _ => format!("derivative has the wrong sign{}, by", if self.strict { " (strict)" } else { "" }),
        };
        let undefined = evaluated.iter().filter(|e| !e.1.is_finite()).count();
        let mut evidence = format!(
            "searched {sampled} grid points over the domain and {REFINEMENTS} Nelder-Mead refinements of `{}` > 0",
            self.violation_text
        );
        if let Some(w) = &worst {
            evidence += &format!("; largest violation at {}: {what} {}", fmt_point(&w.at), fmt_num(w.residual));
        }
        if undefined > 0 {
            evidence += &format!("; formula undefined (non-finite) at {undefined} points");
        }
        if verdict != Verdict::Holds {
            evidence += &format!("; {regime}");
        }
        Ok(CheckReport {
            method: "search".into(),
            describe: self.describe.clone(),
            verdict,
            evidence,
            worst,
            points,
            failures,
        })
    }
}
