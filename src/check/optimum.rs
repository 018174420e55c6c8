//! Existence and trend of a simulated optimum ("an optimal gamma1*(nu2) exists and decreases in nu2").
//!
//! For every grid point outside the swept parameter (`sweep`, e.g. gamma1), the observable is simulated
//! at each grid value of the sweep with the same seed (common random numbers), and the optimum of the
//! mean curve is located with a percentile bootstrap interval over trials at level 1 - family alpha
//! ([`crate::optimize::minimize_simulated`]). A point passes when the optimum is interior with both
//! interval ends finite (not running off to the grid's ends) and the loss rises significantly from the
//! minimum to both ends of the sweep (paired, Bonferroni over points), and, along the claim's variable, when the
//! optimum does not move the wrong way significantly: for `decreasing`, a point fails if its interval
//! lies entirely above the previous point's. With relation `interior_minimum` only existence is checked.

use super::regime::classify_reports;
use super::simulation::SimulationCheck;
use super::{Check, CheckReport, Point, PointReport, RunContext, fmt_num, fmt_point, group_along, point_json};
use crate::error::{Error, Result};
use crate::observable::simulate;
use crate::optimize::{Location, SimOptimum, minimize_simulated};
use crate::rng::derive;
use crate::stats::{Estimate, normal_quantile};
use crate::theorem::{CheckSpec, Relation, Statement};

/// Bootstrap resamples per optimum.
const RESAMPLES: usize = 1000;

/// A compiled optimum check.
pub struct OptimumCheck {
    grid: SimulationCheck,
    sweep: String,
    sweep_values: Vec<f64>,
    /// The claim's variable and direction (true: decreasing); None for `interior_minimum`.
    trend: Option<(String, bool)>,
}

fn number(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

impl OptimumCheck {
    pub fn compile(claim_id: &str, index: usize, spec: &CheckSpec, st: &Statement) -> Result<OptimumCheck> {
        let decreasing = match st.relation {
            Relation::Decreasing => Some(true),
            Relation::Increasing => Some(false),
            Relation::InteriorMinimum => None,
            _ => {
                return Err(Error::input(
                    "method = \"optimum\" needs relation increasing, decreasing or interior_minimum",
                ));
            }
        };
        let trend = match decreasing {
            Some(d) => {
                Some((st.variable.clone().ok_or_else(|| Error::input("an optimum check needs claim.variable"))?, d))
            }
            None => None,
        };
        let sweep = spec.optimize_over.clone().ok_or_else(|| Error::input("an optimum check needs `optimize_over`"))?;
        let sweep_values: Vec<f64> = spec
            .grid
            .get(&sweep)
            .ok_or_else(|| Error::input(format!("grid.{sweep} must list the swept values")))?
            .iter()
            .map(number)
            .collect::<Option<_>>()
            .ok_or_else(|| Error::input(format!("grid.{sweep} must be numbers")))?;
        if sweep_values.len() < 3 || sweep_values.windows(2).any(|w| !(w[0] > 0.0 && w[1] > w[0])) {
            return Err(Error::input(format!("grid.{sweep} needs at least 3 positive increasing values")));
        }
        if let Some((variable, _)) = &trend
            && !spec.grid.contains_key(variable)
        {
            return Err(Error::input(format!("an optimum check needs grid.{variable}")));
        }
        if spec.extrapolate.is_some() {
            return Err(Error::input("an optimum check takes no extrapolation"));
        }
        let grid = SimulationCheck::output_grid(claim_id, index, spec, "optimum")?;
        Ok(OptimumCheck { grid, sweep, sweep_values, trend })
    }

    /// Points without the sweep (one per sweep), grouped by everything but the variable, in its order.
    fn groups(&self) -> Vec<Vec<Point>> {
        let first = self.sweep_values.first().map(|v| v.to_string());
        let points = self
            .grid
            .points()
            .into_iter()
            .filter(|p| {
                p.iter().any(|(k, v)| *k == self.sweep && v.parse::<f64>().ok().map(|x| x.to_string()) == first)
            })
            .map(|p| p.into_iter().filter(|(k, _)| *k != self.sweep).collect())
            .collect::<Vec<Point>>();
        match &self.trend {
            Some((variable, _)) => group_along(points, variable),
            None => points.into_iter().map(|p| vec![p]).collect(),
        }
    }

    /// The simulated optimum and, per sweep value, the per-trial outputs (same trials at every value).
    fn optimum(&self, point: &Point, seed: u64, ctx: &RunContext) -> Result<(SimOptimum, Vec<Vec<f64>>)> {
        let trials = self.grid.trial_count(ctx.quick);
        let mut losses = Vec::with_capacity(self.sweep_values.len());
        for g in &self.sweep_values {
            let mut p = point.clone();
            p.push((self.sweep.clone(), g.to_string()));
            let params = self.grid.params(&p, None, ctx.quick)?;
            let sample = simulate(self.grid.observable(), &params, trials, seed, ctx.progress.as_ref())?;
            losses.push(sample.column(self.grid.output())?);
        }
        let o =
            minimize_simulated(&self.sweep_values, &losses, RESAMPLES, 1.0 - self.grid.tolerance().family_alpha, seed)?;
        Ok((o, losses))
    }
}

/// Smallest paired rise, in standard errors, from the grid minimum of the mean curve to both ends of
/// the sweep: an interior optimum needs the loss to rise significantly on both sides.
fn rise_z(o: &SimOptimum, losses: &[Vec<f64>]) -> f64 {
    let i = (0..o.mean.len()).min_by(|&a, &b| o.mean[a].total_cmp(&o.mean[b])).unwrap_or(0);
    let z = |end: usize| {
        let diffs: Vec<f64> = losses[end].iter().zip(&losses[i]).map(|(a, b)| a - b).collect();
        let e = Estimate::from_samples(&diffs);
        if e.se > 0.0 {
            e.mean / e.se
        } else if e.mean > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    };
    z(0).min(z(losses.len() - 1))
}

/// "15.8 [13.9, 17.7]" or "unbounded (P = 0.88)".
fn describe_optimum(o: &SimOptimum) -> String {
    let end = |x: Option<f64>| x.map_or_else(|| "inf".to_string(), fmt_num);
    match o.optimum.location {
        Location::Interior => {
            format!("{} [{}, {}]", fmt_num(o.optimum.gamma1_star.unwrap_or(f64::NAN)), end(o.ci.lo), end(o.ci.hi))
        }
        Location::Unbounded => format!("unbounded ({:.0}% of resamples)", 100.0 * o.ci.fraction_unbounded),
        Location::Lazy => format!("at 0 ({:.0}% of resamples)", 100.0 * o.ci.fraction_lazy),
        Location::Flat => "flat".to_string(),
    }
}

impl Check for OptimumCheck {
    fn describe(&self) -> String {
        match &self.trend {
            Some((variable, decreasing)) => format!(
                "optimum over {} exists and is {} in {variable}",
                self.sweep,
                if *decreasing { "decreasing" } else { "increasing" }
            ),
            None => format!("an interior optimum over {} exists", self.sweep),
        }
    }

    fn trials(&self, ctx: &RunContext) -> u64 {
        (self.grid.points().len() * self.grid.trial_count(ctx.quick)) as u64
    }

    fn run(&self, ctx: &RunContext) -> Result<CheckReport> {
        let base = derive(ctx.seed, &[self.grid.stream()]);
        let n_points = self.groups().iter().map(Vec::len).sum::<usize>().max(1);
        let z_crit = normal_quantile(1.0 - self.grid.tolerance().family_alpha / n_points as f64);
        let mut reports = Vec::new();
        let mut lines = Vec::new();
        for (gi, group) in self.groups().iter().enumerate() {
            let mut previous: Option<SimOptimum> = None;
            let mut texts = Vec::new();
            for (k, point) in group.iter().enumerate() {
                let (o, losses) = self.optimum(point, derive(base, &[gi as u64, k as u64]), ctx)?;
                let exists = o.optimum.location == Location::Interior
                    && o.ci.lo.is_some()
                    && o.ci.hi.is_some()
                    && rise_z(&o, &losses) > z_crit;
                let wrong_way = match (&previous, exists, &self.trend) {
                    (Some(p), true, Some((_, decreasing))) if p.ci.lo.is_some() && p.ci.hi.is_some() => {
                        if *decreasing {
                            o.ci.lo.unwrap_or(0.0) > p.ci.hi.unwrap_or(f64::INFINITY)
                        } else {
                            o.ci.hi.unwrap_or(f64::INFINITY) < p.ci.lo.unwrap_or(0.0)
                        }
                    }
                    _ => false,
                };
                let label = match &self.trend {
                    Some((variable, _)) => {
                        let var = point.iter().find(|(n, _)| n == variable).map_or("?", |(_, v)| v.as_str());
                        format!("{variable}={var}")
                    }
                    None => String::new(),
                };
                texts.push(format!("{label}{}{}", if label.is_empty() { "" } else { ": " }, describe_optimum(&o)));
                let at = point_json(point);
                let star = o.optimum.gamma1_star.filter(|_| exists);
                let half = match (o.ci.lo, o.ci.hi) {
                    (Some(lo), Some(hi)) if exists => (hi - lo) / 2.0,
                    _ => 0.0,
                };
                reports.push(PointReport {
                    at,
                    claimed: None,
                    simulated: star.map(|s| Estimate { mean: s, se: half, trials: self.grid.trial_count(ctx.quick) }),
                    residual: star.unwrap_or(0.0),
                    budget: 0.0,
                    z: None,
                    two_sided: false,
                    p: if exists && !wrong_way { 1.0 } else { 0.0 },
                    pass: exists && !wrong_way,
                    undefined: false,
                    sizes: Vec::new(),
                });
                previous = Some(o);
            }
            let variable = self.trend.as_ref().map_or("", |(v, _)| v.as_str());
            let key: Vec<String> =
                group[0].iter().filter(|(n, _)| n != variable).map(|(n, v)| format!("{n}={v}")).collect();
            lines.push(format!("{}: {}", key.join(" "), texts.join(", ")));
        }
        let (verdict, regime) = classify_reports(&reports);
        let fails = reports.iter().filter(|r| !r.pass).count();
        let mut evidence = format!(
            "optimum over {} ({} values, {}) per point, {} trials, bootstrap level {}: {fails} of {} points without an \
             interior optimum or moving the wrong way; {}",
            self.sweep,
            self.sweep_values.len(),
            self.grid.observable().name(),
            self.grid.trial_count(ctx.quick),
            1.0 - self.grid.tolerance().family_alpha,
            reports.len(),
            lines.join("; ")
        );
        if !regime.is_empty() {
            evidence += &format!("; {regime}");
        }
        let worst = reports.iter().find(|r| !r.pass).cloned();
        if let Some(w) = &worst {
            evidence += &format!("; first failing point {}", fmt_point(&w.at));
        }
        let failures = reports.iter().map(|r| !r.pass).collect();
        Ok(CheckReport {
            method: "optimum".into(),
            describe: self.describe(),
            verdict,
            evidence,
            worst,
            points: reports,
            failures,
        })
    }
}
