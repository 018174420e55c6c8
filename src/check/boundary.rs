//! Boundary check: a printed sign region ("the output is negative iff x lies in these intervals")
//! against the simulated sign of the output along a scanned parameter.
//!
//! At every grid point and every scan value the output is simulated (mean, se over independent
//! trials). The printed region says negative or non-negative; a scan point fails when the simulated
//! mean lies significantly on the other side beyond the budget b: p = P(N(0,1) > (m - b)/se) where
//! the printed side is negative, P(N(0,1) > (-m - b)/se) where it is non-negative; Holm over all
//! points at the family level. The simulated boundary (sign changes of the mean along the scan) is
//! located by Brent's method on the linear interpolant of the scanned means and reported next to
//! the printed interval ends. Interval ends may use `inf`.

use std::collections::BTreeMap;

use argmin::core::{CostFunction, Executor};
use argmin::solver::brent::BrentRoot;

use super::regime::classify;
use super::{Check, CheckReport, PointReport, RunContext, fmt_num, fmt_point, least_compatible, point_json};
use crate::error::{Error, Result};
use crate::formula::Formula;
use crate::observable::{Observable, find, simulate};
use crate::params::ParamSet;
use crate::rng::{derive, derive_label};
use crate::stats::{Estimate, excess_p, holm_reject};
use crate::theorem::{CheckSpec, ToleranceSpec, value_text};

/// Grid points of a check (every combination of the axes), as (name, value text) lists.
pub fn grid_points(spec: &CheckSpec) -> Result<Vec<Vec<(String, String)>>> {
    let mut points = vec![Vec::new()];
    for (name, values) in &spec.grid {
        if values.is_empty() {
            return Err(Error::input(format!("grid.{name} is empty")));
        }
        let texts = values.iter().map(value_text).collect::<Result<Vec<_>>>()?;
        points = points
            .into_iter()
            .flat_map(|p: Vec<(String, String)>| {
                texts.iter().map(move |v| [p.clone(), vec![(name.clone(), v.clone())]].concat())
            })
            .collect();
    }
    Ok(points)
}

/// Settings of a check (quick overrides applied) followed by `point`.
pub fn assignments(spec: &CheckSpec, point: &[(String, String)], quick: bool) -> Result<Vec<(String, String)>> {
    let mut given = Vec::new();
    for (k, v) in &spec.settings {
        given.push((k.clone(), value_text(v)?));
    }
    if quick {
        for (k, v) in &spec.quick.settings {
            given.retain(|(g, _)| g != k);
            given.push((k.clone(), value_text(v)?));
        }
    }
    given.extend(point.iter().cloned());
    Ok(given)
}

/// The output of `obs` named in the spec (default: the first).
pub fn output_of(obs: &dyn Observable, spec: &CheckSpec) -> Result<&'static str> {
    match &spec.output {
        None => Ok(obs.outputs()[0].name),
        Some(o) => obs
            .outputs()
            .iter()
            .find(|x| x.name == o)
            .map(|x| x.name)
            .ok_or_else(|| Error::input(format!("`{}` has no output `{o}`", obs.name()))),
    }
}

/// A compiled boundary check.
pub struct BoundaryCheck {
    spec: CheckSpec,
    stream: u64,
    observable: &'static dyn Observable,
    output: &'static str,
    scan: (String, Vec<String>),
    /// Printed negative region: union of (lo, hi) intervals, formulas of the grid parameters.
    negative: Vec<(Formula, Formula)>,
    tolerance: ToleranceSpec,
}

impl BoundaryCheck {
    pub fn compile(claim_id: &str, index: usize, spec: &CheckSpec) -> Result<BoundaryCheck> {
        let name = spec.observable.as_deref().ok_or_else(|| Error::input("a boundary check needs `observable`"))?;
        let observable = find(name)?;
        let output = output_of(observable, spec)?;
        let scan = spec.scan.as_ref().ok_or_else(|| Error::input("a boundary check needs `scan`"))?;
        if scan.values.len() < 2 {
            return Err(Error::input("scan needs at least two values"));
        }
        let negative = spec
            .negative
            .iter()
            .map(|[lo, hi]| Ok((Formula::parse(lo)?, Formula::parse(hi)?)))
            .collect::<Result<Vec<_>>>()?;
        if negative.is_empty() {
            return Err(Error::input("a boundary check needs `negative` intervals"));
        }
        spec.trials.filter(|t| *t > 0).ok_or_else(|| Error::input("a boundary check needs `trials` >= 1"))?;
        let check = BoundaryCheck {
            spec: spec.clone(),
            stream: derive_label(index as u64, claim_id),
            observable,
            output,
            scan: (scan.param.clone(), scan.values.iter().map(|v| v.to_string()).collect()),
            negative,
            tolerance: spec
                .tolerance
                .clone()
                .ok_or_else(|| Error::input("a boundary check needs [check.tolerance]"))?,
        };
        for quick in [false, true] {
            for p in grid_points(spec)? {
                for v in &check.scan.1 {
                    check.params(&p, v, quick)?;
                }
            }
        }
        Ok(check)
    }

    fn params(&self, point: &[(String, String)], value: &str, quick: bool) -> Result<ParamSet> {
        let mut given = assignments(&self.spec, point, quick)?;
        given.push((self.scan.0.clone(), value.to_string()));
        self.observable.resolve(&given)
    }

    fn trials_per_point(&self, quick: bool) -> usize {
        let t = self.spec.trials.unwrap_or(1);
        if quick { self.spec.quick.trials.unwrap_or(t) } else { t }
    }

    /// Printed negative intervals at a grid point (empty where lo >= hi or undefined).
    fn printed(&self, params: &ParamSet) -> Result<Vec<(f64, f64)>> {
        let env = params.numbers();
        let mut out = Vec::new();
        for (lo, hi) in &self.negative {
            let lookup = |x: &str| if x == "inf" { Some(f64::INFINITY) } else { env.get(x).copied() };
            let (l, h) = (lo.eval(lookup)?, hi.eval(lookup)?);
            out.push((l, h));
        }
        Ok(out)
    }
}

/// Linear interpolant of (x, y) samples, for Brent's root finder.
struct Interpolant<'a> {
    xs: &'a [f64],
    ys: &'a [f64],
}

impl CostFunction for Interpolant<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> std::result::Result<f64, argmin::core::Error> {
        let i = self.xs.windows(2).position(|w| *x <= w[1]).unwrap_or(self.xs.len() - 2);
        let t = (x - self.xs[i]) / (self.xs[i + 1] - self.xs[i]);
        Ok(self.ys[i] + t * (self.ys[i + 1] - self.ys[i]))
    }
}

/// Sign changes of the scanned means, located by Brent's method on the interpolant.
fn crossings(xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let mut roots = Vec::new();
    for i in 0..xs.len() - 1 {
        if ys[i] == 0.0 {
            roots.push(xs[i]);
        } else if ys[i] * ys[i + 1] < 0.0 {
            let solver = BrentRoot::new(xs[i], xs[i + 1], 1e-12);
            let run = Executor::new(Interpolant { xs, ys }, solver).configure(|s| s.param(xs[i]).max_iters(100)).run();
            if let Ok(res) = run
                && let Some(r) = res.state.best_param
            {
                roots.push(r);
            }
        }
    }
    roots
}

impl Check for BoundaryCheck {
    fn describe(&self) -> String {
        self.spec.describe.clone()
    }

    fn trials(&self, ctx: &RunContext) -> u64 {
        let points = grid_points(&self.spec).map_or(0, |p| p.len());
        (points * self.scan.1.len() * self.trials_per_point(ctx.quick)) as u64
    }

    fn run(&self, ctx: &RunContext) -> Result<CheckReport> {
        let base = derive(ctx.seed, &[self.stream]);
        let trials = self.trials_per_point(ctx.quick);
        let budget = self.tolerance.abs;
        let mut reports = Vec::new();
        let mut lines = Vec::new();
        for (i, point) in grid_points(&self.spec)?.iter().enumerate() {
            let mut xs = Vec::new();
            let mut means = Vec::new();
            let mut printed = Vec::new();
            for (k, value) in self.scan.1.iter().enumerate() {
                let params = self.params(point, value, ctx.quick)?;
                let sample = simulate(
                    self.observable,
                    &params,
                    trials,
                    derive(base, &[i as u64, k as u64]),
                    ctx.progress.as_ref(),
                )?;
                let est: Estimate = sample.estimate(self.output)?;
                let x: f64 = params.num(&self.scan.0)?;
                printed = self.printed(&params)?;
                let negative = printed.iter().any(|(lo, hi)| lo < hi && x > *lo && x < *hi);
                // Deviation towards the wrong side of zero.
                let signed = if negative { est.mean } else { -est.mean };
                let excess = signed - budget;
                let p = excess_p(excess, est.se);
                let mut at_vals = point.clone();
                at_vals.push((self.scan.0.clone(), value.clone()));
                reports.push(PointReport {
                    at: point_json(&at_vals),
                    claimed: Some(if negative { -1.0 } else { 1.0 }),
                    simulated: Some(est),
                    residual: est.mean,
                    budget,
                    z: (est.se > 0.0).then(|| signed / est.se),
                    two_sided: false,
                    p,
                    pass: true,
                    undefined: false,
                    sizes: Vec::new(),
                });
                xs.push(x);
                means.push(est.mean);
            }
            let roots: Vec<String> = crossings(&xs, &means).iter().map(|r| fmt_num(*r)).collect();
            let ivs: Vec<String> = printed
                .iter()
                .map(|(lo, hi)| {
                    if lo.is_nan() || hi.is_nan() {
                        "(undefined: empty)".to_string()
                    } else {
                        format!("({}, {})", fmt_num(*lo), fmt_num(*hi))
                    }
                })
                .collect();
            lines.push(format!(
                "{}: simulated sign changes of {} at {} = [{}], printed negative set {}",
                fmt_point(&point_json(point)),
                self.output,
                self.scan.0,
                roots.join(", "),
                ivs.join(" u ")
            ));
        }
        let p_values: Vec<f64> = reports.iter().map(|r| r.p).collect();
        for (r, reject) in reports.iter_mut().zip(holm_reject(&p_values, self.tolerance.family_alpha)) {
            r.pass = !reject;
        }
        let coords: Vec<(BTreeMap<String, f64>, bool)> = reports
            .iter()
            .map(|r| (r.at.iter().filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x))).collect(), r.pass))
            .collect();
        let (verdict, regime) = classify(&coords);
        let worst = least_compatible(reports.iter()).cloned();
        let fails = reports.iter().filter(|r| !r.pass).count();
        let mut evidence = format!(
            "sign of {} ({}) vs the printed negative set along {}: {fails} of {} points on the wrong side beyond budget {} (Holm, family alpha {}, {trials} trials per point)",
            self.output,
            self.observable.name(),
            self.scan.0,
            reports.len(),
            fmt_num(budget),
            self.tolerance.family_alpha
        );
        if let Some(w) = &worst
            && !w.pass
        {
            let printed = if w.claimed == Some(-1.0) { "negative" } else { "non-negative" };
            evidence += &format!(
                "; worst at {}: simulated {} (se {}) where the printed set says {printed}",
                fmt_point(&w.at),
                fmt_num(w.residual),
                fmt_num(w.simulated.map_or(0.0, |s| s.se))
            );
        }
        if !regime.is_empty() {
            evidence += &format!("; {regime}");
        }
        evidence += &format!("; {}; budget: {}", lines.join("; "), self.tolerance.budget_reason);
        let failures = reports.iter().map(|r| !r.pass).collect();
        Ok(CheckReport {
            method: "boundary".into(),
            describe: self.spec.describe.clone(),
            verdict,
            evidence,
            worst,
            points: reports,
            failures,
        })
    }
}
