//! `optimum`: existence and trend of a simulated optimum ("an optimal gamma1*(nu2) exists and
//! decreases in nu2").
//!
//! At every grid point outside the swept parameter (`optimize_over`) the observable is simulated at
//! each sweep value with the same seed (common random numbers); the optimum of the mean curve is
//! located with a percentile bootstrap interval over whole trials at level 1 - alpha
//! ([`crate::optimize::minimize_simulated`]). The rule ([`crate::decide::optimum`]): the optimum is
//! interior with a finite interval and a significant paired rise to both ends of the sweep
//! (Bonferroni over points), and along the claim's variable it does not move the wrong way (its
//! interval entirely on the wrong side of the previous one). With relation `interior_minimum` only
//! existence is checked.

use super::Context;
use super::groups::{group_along, value_of};
use crate::decide::optimum::{Found, along, exists, rise_z};
use crate::engine::plan::{Point, Settings, axis_numbers, grid_points, output_of};
use crate::engine::{Cell, Decision, Drawn, Method, Stage, Worst};
use crate::error::{Error, Result};
use crate::optimize::{Location, SimOptimum, minimize_simulated};
use crate::outcome::details::{OptimumDetails, OptimumLocation, OptimumSummary};
use crate::outcome::{Details, FiniteSize, PointOutcome, Rule, RuleKind, coords};
use crate::rng::derive;
use crate::spec::{OptimumSpec, Relation};
use crate::stats::{Estimate, bonferroni_t};

/// Bootstrap resamples per optimum.
const RESAMPLES: usize = 1000;

/// A compiled optimum check.
pub struct Optimum {
    settings: Settings,
    stream: u64,
    output: &'static str,
    sweep_values: Vec<f64>,
    /// The claim's variable and direction (true: decreasing); None for `interior_minimum`.
    trend: Option<(String, bool)>,
    /// Points without the sweep coordinate, in lines along the trend variable (singletons without).
    groups: Vec<Vec<Point>>,
    spec: OptimumSpec,
}

/// The claimed trend: (variable, decreasing), or None when only existence is claimed.
fn trend_of(cx: &Context) -> Result<Option<(String, bool)>> {
    let st = cx.statement;
    let decreasing = match st.relation {
        Relation::Decreasing => true,
        Relation::Increasing => false,
        Relation::InteriorMinimum => return Ok(None),
        _ => {
            return Err(Error::input("method = \"optimum\" needs relation increasing, decreasing or interior_minimum"));
        }
    };
    let variable = st.variable.clone().ok_or_else(|| Error::input("an optimum check needs claim.variable"))?;
    Ok(Some((variable, decreasing)))
}

impl Optimum {
    pub fn compile(spec: &OptimumSpec, cx: &Context) -> Result<Optimum> {
        let trend = trend_of(cx)?;
        let sweep = &spec.optimize_over;
        if !spec.grid.contains_key(sweep) {
            return Err(Error::input(format!("grid.{sweep} must list the swept values")));
        }
        let sweep_values = axis_numbers(&spec.grid, sweep)?;
        if sweep_values.len() < 3 || sweep_values.windows(2).any(|w| !(w[0] > 0.0 && w[1] > w[0])) {
            return Err(Error::input(format!("grid.{sweep} needs at least 3 positive increasing values")));
        }
        if let Some((variable, _)) = &trend
            && !spec.grid.contains_key(variable)
        {
            return Err(Error::input(format!("an optimum check needs grid.{variable}")));
        }
        let named = spec.output.as_deref().ok_or_else(|| Error::input("an optimum check needs `output`"))?;
        let settings = Settings::new(&spec.observable, &spec.settings, &spec.quick)?;
        let output = output_of(settings.observable(), Some(named))?;
        if let Some(k) = spec.grid.keys().find(|k| spec.settings.contains_key(*k)) {
            return Err(Error::input(format!("`{k}` is both a setting and a grid axis")));
        }
        let check = Optimum {
            groups: groups(grid_points(&spec.grid)?, sweep, sweep_values[0], trend.as_ref().map(|t| t.0.as_str())),
            settings,
            stream: cx.stream(),
            output,
            sweep_values,
            trend,
            spec: spec.clone(),
        };
        // Every point must resolve at both precisions: fail at load time, not mid-audit.
        for quick in [false, true] {
            check.cells(quick, 0)?;
        }
        Ok(check)
    }

    /// The seed of point k of line g: derive(derive(seed, [stream]), [g, k]), shared by its sweep.
    fn seeds(&self, seed: u64) -> Vec<u64> {
        let base = derive(seed, &[self.stream]);
        let lines = self.groups.iter().enumerate();
        lines.flat_map(|(gi, g)| (0..g.len()).map(move |k| derive(base, &[gi as u64, k as u64]))).collect()
    }

    /// Cells point by point (lines in order), each point's sweep in increasing order.
    fn cells(&self, quick: bool, seed: u64) -> Result<Vec<Cell>> {
        let trials = self.spec.trials_at(quick);
        let mut cells = Vec::new();
        for (point, seed) in self.groups.iter().flatten().zip(self.seeds(seed)) {
            for g in &self.sweep_values {
                let mut p = point.clone();
                p.push((self.spec.optimize_over.clone(), g.to_string()));
                cells.push(self.settings.cell(&p, quick, trials, seed)?);
            }
        }
        Ok(cells)
    }

    /// The simulated optimum at one point from its sweep's cells, and what the rule needs of it.
    fn optimum(&self, drawn: &[Drawn], seed: u64, alpha: f64) -> Result<(SimOptimum, Found)> {
        let losses = drawn.iter().map(|d| d.column(self.output)).collect::<Result<Vec<_>>>()?;
        let level = 1.0 - alpha;
        let o = minimize_simulated(&self.sweep_values, &losses, RESAMPLES, level, seed)?;
        let found = Found {
            interior: o.optimum.location == Location::Interior,
            lo: o.ci.lo,
            hi: o.ci.hi,
            rise_z: rise_z(&o.mean, &losses),
        };
        Ok((o, found))
    }

    /// The label of a point along the trend variable ("nu2=0.5"; empty without a trend).
    fn label(&self, point: &Point) -> String {
        self.trend.as_ref().map_or_else(String::new, |(variable, _)| {
            format!("{variable}={}", value_of(point, variable).unwrap_or("?"))
        })
    }

    /// The key of a line: its coordinates other than the trend variable, "a=1 b=x".
    fn key(&self, group: &[Point]) -> String {
        let variable = self.trend.as_ref().map_or("", |(v, _)| v.as_str());
        let first = group.first().map_or(&[][..], Vec::as_slice);
        first.iter().filter(|(n, _)| n != variable).map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(" ")
    }
}

/// Grid points at the first sweep value with the sweep coordinate removed, in lines along the trend
/// variable (singletons without a trend).
fn groups(points: Vec<Point>, sweep: &str, first: f64, variable: Option<&str>) -> Vec<Vec<Point>> {
    let first = first.to_string();
    let at_first = points
        .into_iter()
        .filter(|p| {
            p.iter().any(|(k, v)| k == sweep && v.parse::<f64>().ok().map(|x| x.to_string()).as_ref() == Some(&first))
        })
        .map(|p| p.into_iter().filter(|(k, _)| k != sweep).collect())
        .collect::<Vec<Point>>();
    match variable {
        Some(v) => group_along(at_first, v),
        None => at_first.into_iter().map(|p| vec![p]).collect(),
    }
}

/// The optimum as data for the evidence.
fn summary(label: String, o: &SimOptimum) -> OptimumSummary {
    OptimumSummary {
        label,
        location: match o.optimum.location {
            Location::Interior => OptimumLocation::Interior,
            Location::Unbounded => OptimumLocation::Unbounded,
            Location::Lazy => OptimumLocation::Lazy,
            Location::Flat => OptimumLocation::Flat,
        },
        star: o.optimum.gamma1_star,
        lo: o.ci.lo,
        hi: o.ci.hi,
        fraction_unbounded: o.ci.fraction_unbounded,
        fraction_lazy: o.ci.fraction_lazy,
    }
}

/// A point's outcome: the optimum with half its interval as se where it exists; passes or fails.
fn outcome(point: &Point, o: &SimOptimum, exists: bool, pass: bool, trials: usize) -> PointOutcome {
    let star = o.optimum.gamma1_star.filter(|_| exists);
    let half = match (o.ci.lo, o.ci.hi) {
        (Some(lo), Some(hi)) if exists => (hi - lo) / 2.0,
        _ => 0.0,
    };
    PointOutcome {
        simulated: star.map(|s| Estimate { mean: s, se: half, trials }),
        residual: star.unwrap_or(0.0),
        two_sided: false,
        p: if pass { 1.0 } else { 0.0 },
        pass,
        ..PointOutcome::at(coords(point))
    }
}

impl Method for Optimum {
    fn plan(&self, precision: &Stage) -> Result<Vec<Cell>> {
        self.cells(precision.quick, precision.seed)
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let alpha = precision.alpha;
        let trials = self.spec.trials_at(precision.quick);
        let n_points = self.groups.iter().map(Vec::len).sum::<usize>();
        let z_crit = bonferroni_t(alpha, n_points, f64::INFINITY);
        let mut sweeps = drawn.chunks(self.sweep_values.len()).zip(self.seeds(precision.seed));
        let (mut points, mut lines) = (Vec::new(), Vec::new());
        for group in &self.groups {
            let mut found = Vec::new();
            for (d, seed) in sweeps.by_ref().take(group.len()) {
                found.push(self.optimum(d, seed, alpha)?);
            }
            let line: Vec<Found> = found.iter().map(|(_, f)| *f).collect();
            let pass = along(&line, z_crit, self.trend.as_ref().map(|t| t.1));
            for ((point, (o, f)), ok) in group.iter().zip(&found).zip(pass) {
                points.push(outcome(point, o, exists(f, z_crit), ok, trials));
            }
            let summaries = group.iter().zip(&found).map(|(p, (o, _))| summary(self.label(p), o)).collect();
            lines.push((self.key(group), summaries));
        }
        let rule = Rule {
            kind: RuleKind::Bonferroni,
            family_alpha: alpha,
            family: n_points,
            trials,
            resamples: Some(RESAMPLES),
        };
        let details = Details::Optimum(OptimumDetails {
            observable: self.settings.observable().name().to_string(),
            sweep: self.spec.optimize_over.clone(),
            values: self.sweep_values.len(),
            level: 1.0 - alpha,
            groups: lines,
        });
        let finite_size = FiniteSize::NotApplicable { reason: self.spec.tolerance.budget_reason.clone() };
        Ok(Decision { worst: Worst::FirstFailing, ..Decision::new(rule, points, finite_size, details) })
    }
}
