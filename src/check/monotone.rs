//! Monotonicity of a simulated quantity ("larger c2 helps"): qualitative printed claims that have no
//! closed form to compare with.
//!
//! Along the claim's variable (or the check's own `variable`) x_1 < x_2 < ... (one grid axis), every other grid point forms a group.
//! Within a group all values of x use the same seed, so trial t sees the same random data at every x
//! (common random numbers) and the paired differences D_t = out(x_{k+1}) - out(x_k) have small variance.
//! For `decreasing` the step k violates the claim when mean D exceeds the budget `abs` significantly:
//! p = P(N(0,1) > (mean D - abs)/se), Holm over all steps at the family alpha (`increasing`: -D).
//! For a `strict` claim every step must also show the claimed change, by more than `abs`, with
//! confidence: with D' = D (decreasing) or -D (increasing), a step fails unless the one-sided upper
//! confidence bound mean D' + z se < -abs, z the Bonferroni quantile of the family alpha.

use super::regime::classify_reports;
use super::simulation::SimulationCheck;
use super::{
    Check, CheckReport, Point, PointReport, RunContext, fmt_num, fmt_point, group_along, least_compatible, point_json,
};
use crate::error::{Error, Result};
use crate::observable::simulate;
use crate::rng::derive;
use crate::stats::{Estimate, excess_p, holm_reject, normal_quantile};
use crate::theorem::{CheckSpec, Relation, Statement};

/// A compiled monotonicity check on simulated data.
pub struct MonotoneCheck {
    /// Grid, settings and observable (compiled as a simulation check of the output itself).
    grid: SimulationCheck,
    variable: String,
    decreasing: bool,
    strict: bool,
}

impl MonotoneCheck {
    pub fn compile(claim_id: &str, index: usize, spec: &CheckSpec, st: &Statement) -> Result<MonotoneCheck> {
        let decreasing = match st.relation {
            Relation::Decreasing => true,
            Relation::Increasing => false,
            _ => return Err(Error::input("method = \"monotone\" needs relation increasing or decreasing")),
        };
        let variable = spec
            .variable
            .clone()
            .or_else(|| st.variable.clone())
            .ok_or_else(|| Error::input("a monotone check needs claim.variable (or check.variable)"))?;
        if spec.extrapolate.is_some() {
            return Err(Error::input("a monotone check does not extrapolate in size"));
        }
        let values = spec.grid.get(&variable).map_or(0, Vec::len);
        if values < 2 {
            return Err(Error::input(format!("a monotone check needs at least two grid values of `{variable}`")));
        }
        let grid = SimulationCheck::output_grid(claim_id, index, spec, "monotone")?;
        // The variable's values must be numbers, in increasing order.
        let numbers: Vec<f64> = spec.grid[&variable]
            .iter()
            .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            .collect::<Option<_>>()
            .ok_or_else(|| Error::input(format!("grid.{variable} must be numbers")))?;
        if numbers.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::input(format!("grid.{variable} must be strictly increasing")));
        }
        Ok(MonotoneCheck { grid, variable, decreasing, strict: st.strict })
    }

    /// Grid points grouped by everything but the variable, each group in the variable's order.
    fn groups(&self) -> Vec<Vec<Point>> {
        group_along(self.grid.points(), &self.variable)
    }
}

impl Check for MonotoneCheck {
    fn describe(&self) -> String {
        format!(
            "{} {} in {} (paired, common random numbers)",
            self.grid.output(),
            if self.decreasing { "decreasing" } else { "increasing" },
            self.variable
        )
    }

    fn trials(&self, ctx: &RunContext) -> u64 {
        (self.grid.points().len() * self.grid.trial_count(ctx.quick)) as u64
    }

    fn run(&self, ctx: &RunContext) -> Result<CheckReport> {
        let base = derive(ctx.seed, &[self.grid.stream()]);
        let tol = self.grid.tolerance();
        let trials = self.grid.trial_count(ctx.quick);
        let sign = if self.decreasing { 1.0 } else { -1.0 };
        let mut reports = Vec::new();
        for (gi, group) in self.groups().iter().enumerate() {
            let seed = derive(base, &[gi as u64]);
            let mut columns = Vec::new();
            for point in group {
                let params = self.grid.params(point, None, ctx.quick)?;
                let sample = simulate(self.grid.observable(), &params, trials, seed, ctx.progress.as_ref())?;
                columns.push(sample.column(self.grid.output())?);
            }
            for (k, pair) in columns.windows(2).enumerate() {
                let diffs: Vec<f64> = pair[0].iter().zip(&pair[1]).map(|(a, b)| sign * (b - a)).collect();
                let est = Estimate::from_samples(&diffs);
                let mut at = point_json(&group[k]);
                if let Some((_, next)) = group[k + 1].iter().find(|(n, _)| *n == self.variable) {
                    at.extend(point_json(&[(format!("{}_next", self.variable), next.clone())]));
                }
                let excess = est.mean - tol.abs;
                let p = excess_p(excess, est.se);
                reports.push(PointReport {
                    at,
                    claimed: None,
                    simulated: Some(Estimate { mean: sign * est.mean, ..est }),
                    residual: est.mean,
                    budget: tol.abs,
                    z: (est.se > 0.0).then(|| est.mean / est.se),
                    two_sided: false,
                    p,
                    pass: true,
                    undefined: false,
                    sizes: Vec::new(),
                });
            }
        }
        let p_values: Vec<f64> = reports.iter().map(|r| r.p).collect();
        for (r, reject) in reports.iter_mut().zip(holm_reject(&p_values, tol.family_alpha)) {
            r.pass = !reject;
        }
        if self.strict {
            // The change in the claimed direction must exceed abs: upper bound of D' below -abs.
            let z = normal_quantile(1.0 - tol.family_alpha / reports.len().max(1) as f64);
            for r in &mut reports {
                let se = r.simulated.map_or(0.0, |s| s.se);
                if r.residual + z * se >= -tol.abs {
                    r.pass = false;
                }
            }
        }
        let (verdict, regime) = classify_reports(&reports);
        let worst = least_compatible(reports.iter()).cloned();
        let fails = reports.iter().filter(|r| !r.pass).count();
        let direction = if self.decreasing { "decreasing" } else { "increasing" };
        let mut evidence = format!(
            "{} {direction}{} in {} ({}): {fails} of {} steps violate (Holm, family alpha {}, {trials} paired trials per step)",
            self.grid.output(),
            if self.strict { " strictly (by more than the budget)" } else { "" },
            self.variable,
            self.grid.observable().name(),
            reports.len(),
            tol.family_alpha
        );
        if let Some(w) = &worst {
            let change = w.simulated.map_or(0.0, |s| s.mean);
            let se = w.simulated.map_or(0.0, |s| s.se);
            evidence += &format!(
                "; worst step at {}: change {} (se {}, budget {})",
                fmt_point(&w.at),
                fmt_num(change),
                fmt_num(se),
                fmt_num(w.budget)
            );
        }
        if !regime.is_empty() {
            evidence += &format!("; {regime}");
        }
        evidence += &format!("; budget: {}", tol.budget_reason);
        let failures = reports.iter().map(|r| !r.pass).collect();
        Ok(CheckReport {
            method: "monotone".into(),
            describe: self.describe(),
            verdict,
            evidence,
            worst,
            points: reports,
            failures,
        })
    }
}
