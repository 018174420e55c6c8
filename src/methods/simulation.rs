//! `simulation`: at every point of a parameter grid, run an observable and compare one of its
//! outputs with the claimed formula (equality) or bound (inequality).
//!
//! Residual per trial r_t = output_t - claimed(point, outputs_t); its mean over independent trials
//! has standard error se. With a finite-size budget b = abs + rel |claimed| a point fails when the
//! deviation beyond b is significant ([`crate::decide::budget`]), Holm over the grid; a strict
//! inequality must instead be shown beyond b. Optionally the residual is measured at several sizes and
//! extrapolated as a + sum_{j=1}^K c_j/size^{jq} (weighted least squares) so that finite-size bias is
//! removed rather than budgeted; with K >= 2 the fit's model error (the shift of a when c_K is dropped,
//! beyond its standard error) is added to the budget, and a margin's band is narrowed by it.
//!
//! The check is sequential: it draws 1/4, 1/2 and all of its trials in three looks (alpha / 3
//! each) and stops at the first look where every point is rejected or resolved (`judge`). With a
//! declared margin it is an equivalence test: a point passes only when shown inside the margin.

mod judge;

use std::collections::BTreeMap;

use super::Context;
use crate::decide::budget::{Sense, budget_test, holm, strict};
use crate::decide::resolution::beyond_p;
use crate::engine::plan::{Point, Settings, grid_points, output_of};
use crate::engine::stage::{LOOKS, MIN_STAGE_TRIALS};
use crate::engine::{Cell, Decision, Drawn, Method, Precision, Stage};
use crate::error::{Error, Result};
use crate::formula::Formula;
use crate::outcome::axis::{CURVE_SAMPLES, ClaimedCurve, MAX_CURVES, main_axis, others, samples};
use crate::outcome::details::{MarginDetails, SimulationDetails};
use crate::outcome::{Coords, Details, FiniteSize, PointOutcome, Rule, RuleKind, SizeEstimate, coords};
use crate::params::ParamSet;
use crate::rng::derive;
use crate::spec::{Extrapolate, Relation, SimulationSpec, Tolerance};
use crate::stats::{Estimate, extrapolate_in_size};
use judge::{Measured, judge};

/// A compiled simulation check.
pub struct Simulation {
    settings: Settings,
    stream: u64,
    output: &'static str,
    sense: Sense,
    claimed: Formula,
    /// The equivalence margin, if declared.
    margin: Option<Formula>,
    defines: Vec<(String, Formula)>,
    points: Vec<Point>,
    spec: SimulationSpec,
    /// Strict inequality: the output must clear the bound by more than the budget with confidence.
    strict: bool,
}

/// The formula a simulation check compares with: its own, the claim's (equality) or the bound.
fn compared(spec: &SimulationSpec, cx: &Context) -> Result<(Formula, Sense)> {
    let st = cx.statement;
    let sense = match st.relation {
        Relation::Equal => Sense::Equal,
        Relation::AtMost => Sense::AtMost,
        Relation::AtLeast => Sense::AtLeast,
        _ if spec.formula.is_some() => Sense::Equal,
        _ => return Err(Error::input("monotonicity claims are checked with method = \"search\" or \"monotone\"")),
    };
    let formula = match (&spec.formula, sense) {
        (Some(f), _) => Formula::parse(f)?,
        (None, Sense::Equal) => st.formula.clone(),
        (None, _) => st.bound.clone().ok_or_else(|| Error::input("inequality without bound"))?,
    };
    Ok((formula, sense))
}

impl Simulation {
    pub fn compile(spec: &SimulationSpec, cx: &Context) -> Result<Simulation> {
        let settings = Settings::new(&spec.observable, &spec.settings, &spec.quick)?;
        let observable = settings.observable();
        let name = observable.name();
        let output = output_of(observable, spec.output.as_deref())?;
        let (claimed, sense) = compared(spec, cx)?;
        let is_param = |v: &str| observable.params().iter().any(|p| p.name == v);
        let is_output = |v: &str| observable.outputs().iter().any(|p| p.name == v);
        let mut defines: Vec<(String, Formula)> = Vec::new();
        for (k, text) in &spec.define {
            let f = Formula::parse(text).map_err(|e| Error::input(format!("define.{k}: {e}")))?;
            if let Some(v) = f.variables().iter().find(|v| !is_param(v) && !defines.iter().any(|(d, _)| d == *v)) {
                return Err(Error::input(format!("define.{k}: `{v}` is not a parameter of {name}")));
            }
            defines.push((k.clone(), f));
        }
        let margin = spec.tolerance.margin.as_ref().map(|m| Formula::parse(&m.formula)).transpose()?;
        if margin.is_some() && (sense != Sense::Equal || cx.statement.strict) {
            return Err(Error::input("tolerance.margin is an equivalence test: equalities only"));
        }
        for v in claimed.variables().iter().chain(margin.iter().flat_map(|m| m.variables())) {
            let defined = defines.iter().any(|(d, _)| d == v);
            if !defined && is_param(v) && is_output(v) {
                return Err(Error::input(format!("`{v}` is both a parameter and an output of {name}; add a define")));
            }
            if !defined && !is_param(v) && !is_output(v) {
                return Err(Error::input(format!(
                    "unknown variable `{v}` in `{claimed}`: not a parameter, output or define of {name}"
                )));
            }
        }
        if let Some(k) = spec.grid.keys().find(|k| spec.settings.contains_key(*k)) {
            return Err(Error::input(format!("`{k}` is both a setting and a grid axis")));
        }
        if let Some(x) = &spec.extrapolate
            && (!is_param(&x.param) || spec.grid.contains_key(&x.param) || spec.settings.contains_key(&x.param))
        {
            return Err(Error::input(format!("extrapolate.param `{}` must be a parameter not set elsewhere", x.param)));
        }
        let check = Simulation {
            points: grid_points(&spec.grid)?,
            settings,
            stream: cx.stream(),
            output,
            sense,
            claimed,
            margin,
            defines,
            spec: spec.clone(),
            strict: cx.statement.strict && sense != Sense::Equal,
        };
        // Every point must resolve at both precisions: fail at load time, not mid-audit.
        for quick in [false, true] {
            check.cells(quick, 0, 1)?;
        }
        Ok(check)
    }

    fn sizes(&self, quick: bool) -> Vec<Option<f64>> {
        self.spec.extrapolate.as_ref().map_or(vec![None], |x| x.sizes(quick).iter().map(|s| Some(*s)).collect())
    }

    /// Cells point by point, size by size, with `trials` trials; seeds derive from `seed` (0 only
    /// validates parameters).
    fn cells(&self, quick: bool, seed: u64, trials: usize) -> Result<Vec<Cell>> {
        let base = derive(seed, &[self.stream]);
        let mut cells = Vec::new();
        for (i, point) in self.points.iter().enumerate() {
            for (k, size) in self.sizes(quick).into_iter().enumerate() {
                let mut at = point.clone();
                if let (Some(x), Some(s)) = (&self.spec.extrapolate, size) {
                    at.push((x.param.clone(), s.to_string()));
                }
                cells.push(self.settings.cell(&at, quick, trials, derive(base, &[i as u64, k as u64]))?);
            }
        }
        Ok(cells)
    }

    /// Values of defines and numeric parameters at a point; parameters without effect there are left out.
    fn environment(&self, params: &ParamSet) -> Result<BTreeMap<String, f64>> {
        self.with_defines(self.parameters(params)?)
    }

    /// Values of the numeric parameters at a point that have an effect there.
    fn parameters(&self, params: &ParamSet) -> Result<BTreeMap<String, f64>> {
        let mut env = params.numbers();
        for spec in self.settings.observable().params() {
            if let Some((other, value)) = spec.used_when
                && params.text(other)? != value
            {
                env.remove(spec.name);
            }
        }
        Ok(env)
    }

    /// `env` with the defines evaluated on it.
    fn with_defines(&self, mut env: BTreeMap<String, f64>) -> Result<BTreeMap<String, f64>> {
        for (name, f) in &self.defines {
            let v = f.eval(|x| env.get(x).copied())?;
            env.insert(name.clone(), v);
        }
        Ok(env)
    }

    /// Residuals of one cell (output minus claimed, per trial), with the margin's band when one is
    /// declared, and the claimed value when it is a constant; None when the claimed value or the
    /// margin is undefined (not finite).
    fn residual(&self, drawn: &Drawn) -> Result<Option<(Measured, Option<f64>)>> {
        let env = self.environment(&drawn.cell.params)?;
        let sample = &drawn.sample;
        let j = sample.outputs.iter().position(|o| *o == self.output).unwrap_or(0);
        let eval = |f: &Formula, row: &[f64]| -> Result<f64> {
            let lookup =
                |x: &str| env.get(x).copied().or_else(|| sample.outputs.iter().position(|o| *o == x).map(|j| row[j]));
            Ok(f.eval(lookup)?)
        };
        // A claimed value that depends only on the point is evaluated once; one that uses outputs, per trial.
        let constant = self.claimed.variables().iter().all(|v| env.contains_key(v));
        let claimed = if constant { Some(eval(&self.claimed, &[])?) } else { None };
        let (mut r, mut upper, mut lower) = (Vec::new(), Vec::new(), Vec::new());
        for row in &sample.rows {
            let c = match claimed {
                Some(c) => c,
                None => eval(&self.claimed, row)?,
            };
            let m = self.margin.as_ref().map(|f| eval(f, row)).transpose()?.unwrap_or(0.0);
            if !c.is_finite() || !m.is_finite() {
                return Ok(None);
            }
            r.push(row[j] - c);
            if self.margin.is_some() {
                upper.push(row[j] - c - m);
                lower.push(row[j] - c + m);
            }
        }
        let band = self.margin.is_some().then(|| (Estimate::from_samples(&upper), Estimate::from_samples(&lower)));
        Ok(Some((Measured { residual: Estimate::from_samples(&r), band, model_error: 0.0 }, claimed)))
    }

    /// One grid point from its cells (one per size), with what was measured there.
    fn point(&self, point: &Point, drawn: &[Drawn], quick: bool) -> Result<(PointOutcome, Option<Measured>)> {
        let at = coords(point);
        let (mut sizes, mut measured) = (Vec::new(), Vec::new());
        let mut claimed = None;
        for (d, size) in drawn.iter().zip(self.sizes(quick)) {
            let Some((x, c)) = self.residual(d)? else {
                return Ok((PointOutcome::undefined(at), None));
            };
            claimed = c;
            sizes.push(SizeEstimate { size: size.unwrap_or(0.0), residual: x.residual });
            measured.push(x);
        }
        let x = self.extrapolated(&sizes, &measured)?;
        let tol = &self.spec.tolerance;
        let budget = tol.abs + tol.rel * claimed.map_or(0.0, f64::abs) + x.model_error;
        let (p, z) = match x.band {
            Some((u, l)) => (beyond_p(u, l), budget_test(x.residual, 0.0, self.sense).1),
            None => budget_test(x.residual, budget, self.sense),
        };
        let outcome = PointOutcome {
            claimed,
            simulated: claimed.map(|c| Estimate { mean: c + x.residual.mean, ..x.residual }),
            residual: x.residual.mean,
            residual_se: Some(x.residual.se),
            budget,
            z,
            two_sided: self.sense == Sense::Equal,
            p,
            sizes: if sizes.len() > 1 { sizes } else { Vec::new() },
            ..PointOutcome::at(at)
        };
        Ok((outcome, Some(x)))
    }

    /// The measurement at infinite size: each estimate fitted as a + sum_j c_j/size^{jq} over the
    /// sizes (the one measured when there is a single size). The residual's model error goes to the
    /// budget; the band's ends move inwards by their own, so a margin must be cleared despite it.
    fn extrapolated(&self, sizes: &[SizeEstimate], measured: &[Measured]) -> Result<Measured> {
        let (Some(x), [_, _, ..]) = (&self.spec.extrapolate, measured) else {
            return Ok(measured[0]);
        };
        let xs: Vec<f64> = sizes.iter().map(|s| s.size).collect();
        let fit = |ys: Vec<Estimate>| -> Result<(Estimate, f64)> {
            let f = extrapolate_in_size(&xs, &ys, x.order, x.terms)
                .ok_or_else(|| Error::numerical("extrapolation in size failed"))?;
            Ok((f.limit, f.model_error.unwrap_or(0.0)))
        };
        let band = match measured[0].band {
            Some(_) => {
                let (u, eu) = fit(measured.iter().filter_map(|m| m.band.map(|b| b.0)).collect())?;
                let (l, el) = fit(measured.iter().filter_map(|m| m.band.map(|b| b.1)).collect())?;
                Some((Estimate { mean: u.mean + eu, ..u }, Estimate { mean: l.mean - el, ..l }))
            }
            None => None,
        };
        let (residual, model_error) = fit(measured.iter().map(|m| m.residual).collect())?;
        Ok(Measured { residual, band, model_error })
    }
}

impl Method for Simulation {
    fn plan(&self, stage: &Stage) -> Result<Vec<Cell>> {
        self.cells(stage.quick, stage.seed, stage.trials(self.spec.trials_at(stage.quick)))
    }

    fn looks(&self, precision: &Precision) -> usize {
        if self.spec.trials_at(precision.quick) >= 4 * MIN_STAGE_TRIALS { LOOKS } else { 1 }
    }

    fn decide(&self, stage: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let quick = stage.quick;
        let (mut points, measured): (Vec<PointOutcome>, Vec<Option<Measured>>) = self
            .points
            .iter()
            .zip(drawn.chunks(self.sizes(quick).len()))
            .map(|(point, d)| self.point(point, d, quick))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        let kind = if self.strict {
            strict(&mut points, stage.alpha, self.sense);
            RuleKind::StrictBonferroni
        } else {
            holm(&mut points, stage.alpha);
            RuleKind::Holm
        };
        let judged = judge(&mut points, &measured, self.sense, self.strict, stage);
        let trials = stage.trials(self.spec.trials_at(quick));
        let rule = Rule { kind, family_alpha: stage.alpha, family: points.len(), trials, resamples: None };
        let details = Details::Simulation(SimulationDetails {
            observable: self.settings.observable().name().to_string(),
            output: self.output.to_string(),
            compared: self.claimed.to_string(),
            undefined: points.iter().filter(|p| p.undefined).count(),
            margin: self
                .spec
                .tolerance
                .margin
                .as_ref()
                .map(|m| MarginDetails { formula: m.formula.clone(), reason: m.reason.clone() }),
            curves: self.curves(&points, drawn, quick)?,
        });
        Ok(Decision {
            settled: judged.settled,
            resolution: judged.resolution,
            undecided: judged.undecided,
            ..Decision::new(rule, points, self.finite_size(quick, &measured), details)
        })
    }
}

impl Simulation {
    /// The claimed value at [`CURVE_SAMPLES`] values along the grid's main axis, one curve per
    /// combination of the other grid values (at most [`MAX_CURVES`]; none when the claimed value
    /// uses per-trial outputs): a closed-form evaluation on the parameters of the last cell (size)
    /// of each curve's first point with the axis value replaced, defines recomputed.
    fn curves(&self, points: &[PointOutcome], drawn: &[Drawn], quick: bool) -> Result<Vec<ClaimedCurve>> {
        let Some(axis) = main_axis(points) else { return Ok(Vec::new()) };
        let mut keys: Vec<Coords> = Vec::new();
        let mut firsts = Vec::new();
        for (i, p) in points.iter().enumerate() {
            let key = others(&p.at, &axis.name);
            if !keys.contains(&key) {
                keys.push(key);
                firsts.push(i);
            }
        }
        let sizes = self.sizes(quick).len();
        if keys.len() > MAX_CURVES {
            return Ok(Vec::new());
        }
        let xs = samples(&axis, CURVE_SAMPLES);
        let mut curves = Vec::new();
        for (at, i) in keys.into_iter().zip(firsts) {
            let base = self.parameters(&drawn[i * sizes + sizes - 1].cell.params)?;
            if !self.claimed.variables().iter().all(|v| base.contains_key(v) || self.defines.iter().any(|d| &d.0 == v))
            {
                return Ok(Vec::new());
            }
            let mut samples = Vec::new();
            for &x in &xs {
                let mut env = base.clone();
                env.insert(axis.name.clone(), x);
                let env = self.with_defines(env)?;
                let c = self.claimed.eval(|v| env.get(v).copied())?;
                if c.is_finite() {
                    samples.push((x, c));
                }
            }
            curves.push(ClaimedCurve { axis: axis.name.clone(), at, samples });
        }
        Ok(curves)
    }

    /// How finite size was handled; `measured` gives the largest model error of an extrapolation.
    fn finite_size(&self, quick: bool, measured: &[Option<Measured>]) -> FiniteSize {
        let tol: &Tolerance = &self.spec.tolerance;
        match &self.spec.extrapolate {
            Some(x) => FiniteSize::Extrapolated {
                param: x.param.clone(),
                sizes: Extrapolate::sizes(x, quick).to_vec(),
                model: x.model(),
                model_error: (x.terms > 1)
                    .then(|| measured.iter().flatten().map(|m| m.model_error).fold(0.0, f64::max)),
                reason: x.reason.clone(),
            },
            None => FiniteSize::Budget { abs: tol.abs, rel: tol.rel, reason: tol.budget_reason.clone() },
        }
    }
}
