//! `monotone`: a simulated output along one grid axis ("larger c2 helps"), for qualitative claims
//! without a closed form to compare with.
//!
//! Along the variable x_1 < x_2 < ... every other grid point forms a group (a line). Within a line
//! all values of x use the same seed, so trial t sees the same random data at every x (common random
//! numbers) and the paired step differences D_t = s (out(x_{k+1}) - out(x_k)) have small variance
//! (s = +1 for a decreasing claim, -1 for an increasing one, so D > 0 goes against the claim). The
//! rule ([`crate::decide::steps`]): one-sided excess of mean D over the budget b per step, Holm over
//! all steps; for a strict claim every step must also show the change, mean D + z se < -b.

use super::Context;
use super::groups::{group_along, value_of};
use crate::decide::budget::Sense;
use crate::decide::resolution::excluded;
use crate::decide::steps::steps;
use crate::engine::plan::{Point, Settings, axis_numbers, grid_points, output_of};
use crate::engine::stage::{LOOKS, MIN_STAGE_TRIALS};
use crate::engine::{Cell, Decision, Drawn, Method, Precision, Stage};
use crate::error::{Error, Result};
use crate::outcome::details::MonotoneDetails;
use crate::outcome::{Details, FiniteSize, PointOutcome, Resolution, Rule, RuleKind, Undecided, coords};
use crate::rng::derive;
use crate::spec::{MonotoneSpec, Relation};
use crate::stats::Estimate;

/// A compiled monotone check.
pub struct Monotone {
    settings: Settings,
    stream: u64,
    output: &'static str,
    variable: String,
    decreasing: bool,
    strict: bool,
    /// Grid points in lines along the variable, each in its order.
    groups: Vec<Vec<Point>>,
    spec: MonotoneSpec,
}

impl Monotone {
    pub fn compile(spec: &MonotoneSpec, cx: &Context) -> Result<Monotone> {
        let st = cx.statement;
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
        if spec.grid.get(&variable).map_or(0, Vec::len) < 2 {
            return Err(Error::input(format!("a monotone check needs at least two grid values of `{variable}`")));
        }
        let named = spec.output.as_deref().ok_or_else(|| Error::input("a monotone check needs `output`"))?;
        let settings = Settings::new(&spec.observable, &spec.settings, &spec.quick)?;
        let output = output_of(settings.observable(), Some(named))?;
        if let Some(k) = spec.grid.keys().find(|k| spec.settings.contains_key(*k)) {
            return Err(Error::input(format!("`{k}` is both a setting and a grid axis")));
        }
        if axis_numbers(&spec.grid, &variable)?.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::input(format!("grid.{variable} must be strictly increasing")));
        }
        let check = Monotone {
            groups: group_along(grid_points(&spec.grid)?, &variable),
            settings,
            stream: cx.stream(),
            output,
            variable,
            decreasing,
            strict: st.strict,
            spec: spec.clone(),
        };
        // Every point must resolve at both precisions: fail at load time, not mid-audit.
        for quick in [false, true] {
            check.cells(quick, 0, 1)?;
        }
        Ok(check)
    }

    /// Cells line by line; every point of line g is seeded by derive(derive(seed, [stream]), [g]).
    fn cells(&self, quick: bool, seed: u64, trials: usize) -> Result<Vec<Cell>> {
        let base = derive(seed, &[self.stream]);
        let mut cells = Vec::new();
        for (gi, group) in self.groups.iter().enumerate() {
            let line_seed = derive(base, &[gi as u64]);
            for point in group {
                cells.push(self.settings.cell(point, quick, trials, line_seed)?);
            }
        }
        Ok(cells)
    }

    /// The paired steps of one line: (point at x_k with `variable_next` = x_{k+1}, change D signed
    /// so that > 0 goes against the claim).
    fn line_steps(&self, group: &[Point], drawn: &[Drawn]) -> Result<Vec<(Point, Estimate)>> {
        let sign = if self.decreasing { 1.0 } else { -1.0 };
        let columns = drawn.iter().map(|d| d.column(self.output)).collect::<Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for (k, pair) in columns.windows(2).enumerate() {
            let diffs: Vec<f64> = pair[0].iter().zip(&pair[1]).map(|(a, b)| sign * (b - a)).collect();
            let mut at = group[k].clone();
            if let Some(next) = value_of(&group[k + 1], &self.variable) {
                at.push((format!("{}_next", self.variable), next.to_string()));
            }
            out.push((at, Estimate::from_samples(&diffs)));
        }
        Ok(out)
    }
}

impl Method for Monotone {
    fn plan(&self, stage: &Stage) -> Result<Vec<Cell>> {
        self.cells(stage.quick, stage.seed, stage.trials(self.spec.trials_at(stage.quick)))
    }

    /// Strict claims are sequential: they stop as soon as every step shows the claimed change.
    fn looks(&self, precision: &Precision) -> usize {
        let many = self.spec.trials_at(precision.quick) >= 4 * MIN_STAGE_TRIALS;
        if self.strict && many { LOOKS } else { 1 }
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let mut all = Vec::new();
        let mut rest = drawn;
        for group in &self.groups {
            let (line, tail) = rest.split_at(group.len().min(rest.len()));
            all.extend(self.line_steps(group, line)?);
            rest = tail;
        }
        let tol = &self.spec.tolerance;
        let changes: Vec<Estimate> = all.iter().map(|(_, d)| *d).collect();
        let tests = steps(&changes, tol.abs, precision.alpha, self.strict);
        let sign = if self.decreasing { 1.0 } else { -1.0 };
        let m = all.len();
        let last = precision.last();
        let undecided = if last { tests.iter().filter(|t| t.unshown).count() } else { 0 };
        let points: Vec<PointOutcome> = all
            .iter()
            .zip(tests)
            .map(|((at, d), t)| PointOutcome {
                resolution: Some(excluded(*d, Sense::AtMost, precision.alpha, m)),
                // The change of the output itself along the variable.
                simulated: Some(Estimate { mean: sign * d.mean, ..*d }),
                residual: d.mean,
                budget: tol.abs,
                z: t.z,
                two_sided: false,
                p: t.p,
                // At the last look an undecided step is not evidence against the claim.
                pass: t.pass || (last && t.unshown),
                undecided: last && t.unshown,
                ..PointOutcome::at(coords(at))
            })
            .collect();
        let rule = Rule {
            kind: if self.strict { RuleKind::StrictBonferroni } else { RuleKind::Holm },
            family_alpha: precision.alpha,
            family: points.len(),
            trials: precision.trials(self.spec.trials_at(precision.quick)),
            resamples: None,
        };
        let finite_size = FiniteSize::Budget { abs: tol.abs, rel: 0.0, reason: tol.budget_reason.clone() };
        let details = Details::Monotone(MonotoneDetails {
            observable: self.settings.observable().name().to_string(),
            output: self.output.to_string(),
            variable: self.variable.clone(),
            decreasing: self.decreasing,
            strict: self.strict,
        });
        let settled = self.strict && points.iter().all(|p| p.pass);
        let worst = points.iter().filter(|p| p.pass).filter_map(|p| p.resolution).reduce(f64::max);
        let resolution = worst.map(|abs| Resolution { abs, rel: None, required: None });
        let undecided = (undecided > 0).then_some(Undecided { points: undecided, trials_needed: None });
        Ok(Decision { settled, resolution, undecided, ..Decision::new(rule, points, finite_size, details) })
    }
}
