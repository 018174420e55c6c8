//! Symbolic-numeric equivalence of two formulas over a domain box.
//!
//! The discrepancy at a point x is delta(x) = |f(x) - g(x)| / max(|f(x)|, |g(x)|, floor(x)), where
//! floor(x) = 1e-7 (m_f(x) + m_g(x)) + 1e-9 median(max(|f|, |g|)) over the sampled points. The
//! magnitude m bounds the size of the intermediate terms (m(a + b) = m(a) + m(b), m(a b) = m(a) m(b),
//! m(a/b) = m(a)/|b|, and functions and powers scale it by their relative derivative), so values
//! that are rounding-level remnants of a cancellation, e.g. sqrt(1 + t^2) - 1 against
//! t^2/(sqrt(1 + t^2) + 1) at t = 1e-9, do not count as different. A point where exactly one
//! formula is undefined (not finite) has delta = inf; points where both are undefined are skipped.
//!
//! Search: 2 x [`SAMPLES`] points (a Latin hypercube over each interval's `sample_points` and
//! uniform points in the unbounded coordinates t in [-8, 8], x = interval.from_unbounded(t)), then
//! Nelder-Mead (argmin) maximises delta from the [`REFINEMENTS`] worst points. The formulas are
//! called equivalent when max delta <= [`REL_TOL`]; otherwise the worst point is the counterexample.

use serde::Serialize;

use super::domain::maximize_in_box;
use super::{Expr, Formula, Interval};
use crate::error::{Error, Result};
use crate::rng::{derive, mix};

/// Largest relative discrepancy still called "equivalent" (rounding of the two evaluation orders).
pub const REL_TOL: f64 = 1e-6;
/// Points of each sampling scheme (Latin hypercube, uniform in unbounded coordinates).
pub const SAMPLES: usize = 1000;
/// Nelder-Mead refinements started from the worst sampled points.
pub const REFINEMENTS: usize = 5;
/// Fraction of the typical magnitude below which two values count as zero.
const FLOOR: f64 = 1e-9;
/// Fraction of the intermediate magnitude m_f + m_g below which a difference is rounding.
const ROUNDING: f64 = 1e-7;

/// A point where the two formulas differ most.
#[derive(Clone, Debug, Serialize)]
pub struct Counterexample {
    /// Variable values, in sorted variable order (JSON: an object `{name: value}`).
    #[serde(serialize_with = "super::pairs_as_object")]
    pub at: Vec<(String, f64)>,
    /// Value of the first formula there (`None` when undefined).
    pub left: Option<f64>,
    /// Value of the second formula there (`None` when undefined).
    pub right: Option<f64>,
    /// The relative discrepancy delta (`None` when exactly one side is undefined).
    pub discrepancy: Option<f64>,
}

/// Outcome of [`compare`].
#[derive(Clone, Debug, Serialize)]
pub struct EquivalenceReport {
    /// max delta <= [`REL_TOL`] over every compared point.
    pub equivalent: bool,
    /// Largest discrepancy found (infinite when one side is undefined where the other is not).
    #[serde(serialize_with = "super::json_number")]
    pub max_discrepancy: f64,
    /// The worst point, when the formulas are not equivalent.
    pub counterexample: Option<Counterexample>,
    /// Points compared (sampled and refined) where at least one formula is defined.
    pub points: usize,
}

/// Compares `f` and `g` over `domain` (an interval for every variable of either formula).
pub fn compare(f: &Formula, g: &Formula, domain: &[(String, Interval)], seed: u64) -> Result<EquivalenceReport> {
    let mut vars: Vec<String> = f.variables().iter().chain(g.variables()).cloned().collect();
    vars.sort();
    vars.dedup();
    let intervals = vars
        .iter()
        .map(|v| {
            domain.iter().find(|(n, _)| n == v).map(|(_, i)| *i).ok_or_else(|| {
                Error::input(format!("no domain interval for variable `{v}` (needed to compare {f} with {g})"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let problem = Problem::new(f, g, &vars, intervals);
    let mut points = problem.samples(seed);
    let values: Vec<[f64; 3]> = points.iter().map(|x| problem.values(x)).collect();
    let mut mags: Vec<f64> = values
        .iter()
        .filter(|[a, b, _]| a.is_finite() && b.is_finite())
        .map(|[a, b, _]| a.abs().max(b.abs()))
        .collect();
    mags.sort_by(f64::total_cmp);
    let floor = FLOOR * mags.get(mags.len() / 2).copied().unwrap_or(0.0);
    let problem = Problem { floor, ..problem };
    let mut scored: Vec<(usize, f64)> = values.iter().map(|&v| problem.delta(v)).enumerate().collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    for &(i, d) in scored.iter().take(REFINEMENTS) {
        if d.is_infinite() || vars.is_empty() {
            continue;
        }
        points.push(problem.refine(&points[i])?);
    }
    let mut worst: Option<(usize, f64)> = None;
    let mut compared = 0;
    for (i, x) in points.iter().enumerate() {
        let v = problem.values(x);
        if !v[0].is_finite() && !v[1].is_finite() {
            continue;
        }
        compared += 1;
        let d = problem.delta(v);
        if worst.is_none_or(|(_, w)| d > w) {
            worst = Some((i, d));
        }
    }
    let max_discrepancy = worst.map_or(0.0, |w| w.1);
    let equivalent = max_discrepancy <= REL_TOL;
    let counterexample = worst.filter(|_| !equivalent).map(|(i, d)| {
        let [a, b, _] = problem.values(&points[i]);
        Counterexample {
            at: vars.iter().cloned().zip(points[i].iter().copied()).collect(),
            left: a.is_finite().then_some(a),
            right: b.is_finite().then_some(b),
            discrepancy: d.is_finite().then_some(d),
        }
    });
    Ok(EquivalenceReport { equivalent, max_discrepancy, counterexample, points: compared })
}

/// The two formulas with their variable positions in the joint point.
struct Problem<'a> {
    f: &'a Formula,
    g: &'a Formula,
    f_index: Vec<usize>,
    g_index: Vec<usize>,
    intervals: Vec<Interval>,
    floor: f64,
}

impl<'a> Problem<'a> {
    fn new(f: &'a Formula, g: &'a Formula, vars: &[String], intervals: Vec<Interval>) -> Self {
        let index = |h: &Formula| -> Vec<usize> {
            h.variables().iter().map(|v| vars.iter().position(|w| w == v).unwrap_or(0)).collect()
        };
        Problem { f, g, f_index: index(f), g_index: index(g), intervals, floor: 0.0 }
    }

    /// Values of f and g at the joint point x (NaN where an evaluation fails) and m_f + m_g.
    fn values(&self, x: &[f64]) -> [f64; 3] {
        let eval = |h: &Formula, idx: &[usize]| {
            let v: Vec<f64> = idx.iter().map(|&i| x[i]).collect();
            let value = h.eval_slice(&v).unwrap_or(f64::NAN);
            let at = |name: &str| h.variables().iter().position(|n| n == name).map(|k| v[k]);
            (value, magnitude(h.expr(), &at).1)
        };
        let ((a, ma), (b, mb)) = (eval(self.f, &self.f_index), eval(self.g, &self.g_index));
        [a, b, ma + mb]
    }

    fn delta(&self, [a, b, m]: [f64; 3]) -> f64 {
        match (a.is_finite(), b.is_finite()) {
            (false, false) => 0.0,
            (true, true) => {
                let rounding = if m.is_finite() { ROUNDING * m } else { 0.0 };
                let scale = a.abs().max(b.abs()).max(self.floor + rounding);
                if scale == 0.0 { 0.0 } else { (a - b).abs() / scale }
            }
            _ => f64::INFINITY,
        }
    }

    /// A uniform number in [0, 1) from the seed and a path.
    fn uniform(seed: u64, path: &[u64]) -> f64 {
        (mix(derive(seed, path)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Latin hypercube over `sample_points` of each axis, then uniform points in t in [-8, 8].
    fn samples(&self, seed: u64) -> Vec<Vec<f64>> {
        let n = SAMPLES;
        let axes: Vec<Vec<f64>> = self
            .intervals
            .iter()
            .enumerate()
            .map(|(k, iv)| {
                let mut pts = iv.sample_points(n);
                if pts.is_empty() {
                    pts.push(iv.from_unbounded(0.0));
                }
                // Fisher-Yates shuffle with a per-axis stream.
                for i in (1..pts.len()).rev() {
                    let j = (Self::uniform(seed, &[0, k as u64, i as u64]) * (i + 1) as f64) as usize;
                    pts.swap(i, j.min(i));
                }
                pts
            })
            .collect();
        let mut points: Vec<Vec<f64>> = (0..n).map(|i| axes.iter().map(|a| a[i % a.len()]).collect()).collect();
        points.extend((0..n).map(|i| {
            self.intervals
                .iter()
                .enumerate()
                .map(|(k, iv)| iv.from_unbounded(16.0 * Self::uniform(seed, &[1, i as u64, k as u64]) - 8.0))
                .collect()
        }));
        points
    }

    /// Nelder-Mead maximisation of delta from `start`, in unbounded coordinates.
    fn refine(&self, start: &[f64]) -> Result<Vec<f64>> {
        maximize_in_box(&self.intervals, start, &|x| self.delta(self.values(x))).map_err(Error::numerical)
    }
}

/// (value, magnitude m) of `e`: m bounds the intermediate terms (see the module doc).
fn magnitude(e: &Expr, at: &dyn Fn(&str) -> Option<f64>) -> (f64, f64) {
    let rel_slope = |f: &dyn Fn(f64) -> f64, a: f64, v: f64| {
        // |f'(a)| |a| / |f(a)| by a relative finite difference; 1 where undefined.
        let h = 1e-6 * a.abs();
        let s = ((f(a + h) - v) / h * a / v).abs();
        if s.is_finite() { s } else { 1.0 }
    };
    match e {
        Expr::Num(v) => (*v, v.abs()),
        Expr::Var(n) => {
            let x = at(n).unwrap_or(f64::NAN);
            (x, x.abs())
        }
        Expr::Neg(a) => {
            let (v, m) = magnitude(a, at);
            (-v, m)
        }
        Expr::Call(f, a) => {
            let (x, m) = magnitude(a, at);
            let v = f.apply(x);
            let cancellation = if x != 0.0 { m / x.abs() } else { 1.0 };
            (v, v.abs() * (1.0 + rel_slope(&|t| f.apply(t), x, v) * cancellation))
        }
        _ => {
            let Some((op, a, b)) = e.as_binary() else { return (f64::NAN, f64::NAN) };
            let ((x, mx), (y, my)) = (magnitude(a, at), magnitude(b, at));
            match op {
                '+' => (x + y, mx + my),
                '-' => (x - y, mx + my),
                '*' => (x * y, mx * my),
                '/' => (x / y, mx / y.abs()),
                _ => {
                    let v = x.powf(y);
                    let cancellation = if x != 0.0 { mx / x.abs() } else { 1.0 };
                    (v, v.abs() * (1.0 + y.abs() * cancellation))
                }
            }
        }
    }
}

/// argmin problem: minimise -delta over unbounded coordinates.
#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Formula {
        Formula::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }
    fn dom(spec: &[(&str, &str)]) -> Vec<(String, Interval)> {
        spec.iter().map(|(n, i)| (n.to_string(), Interval::parse(i).unwrap_or_else(|e| panic!("{e}")))).collect()
    }

    #[test]
    fn rewrites_are_equivalent_and_typos_are_not() {
        let d = dom(&[("gamma", "(0, inf)")]);
        let spike = f("sqrt(1 + gamma^2) - 1");
        for rewrite in ["gamma^2 / (sqrt(1 + gamma^2) + 1)", "(1 + gamma^2)^0.5 - 1", "sqrt(gamma^2 + 1) - 1"] {
            let r = compare(&spike, &f(rewrite), &d, 1).unwrap();
            assert!(r.equivalent, "{rewrite}: {r:?}");
        }
        for typo in ["sqrt(1 + gamma^3) - 1", "sqrt(1 + gamma^2) + 1", "sqrt(1 - gamma^2) - 1"] {
            let r = compare(&spike, &f(typo), &d, 1).unwrap();
            assert!(!r.equivalent && r.counterexample.is_some(), "{typo}: {r:?}");
        }
    }

    #[test]
    fn missing_domain_is_an_error() {
        assert!(compare(&f("x + y"), &f("y + x"), &dom(&[("x", "[0, 1]")]), 1).is_err());
        let r = compare(&f("2"), &f("1 + 1"), &[], 1).unwrap();
        assert!(r.equivalent);
    }
}
