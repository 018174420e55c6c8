//! Simulation check: at every point of a parameter grid, run an observable and compare one of its
//! outputs with the claimed formula (equality) or bound (inequality).
//!
//! Residual per trial r_t = output_t - claimed(point, outputs_t); its mean over independent trials
//! has standard error se. With a finite-size budget b = abs + rel |claimed|, a point fails when the
//! deviation beyond b is significant: p = P(N(0,1) > (|mean r| - b)/se) (two-sided for equality,
//! one-sided for inequalities), rejected by Holm's procedure at the family-wise level over the grid.
//! Optionally the residual is measured at several sizes and extrapolated as a + c/size (weighted
//! least squares) so that O(1/size) finite-size bias is removed rather than budgeted.

use std::collections::BTreeMap;

use super::regime::classify_reports;
use super::{Check, CheckReport, PointReport, RunContext, fmt_num, fmt_point, least_compatible, point_json};
use crate::error::{Error, Result};
use crate::formula::Formula;
use crate::observable::{Observable, find, simulate};
use crate::params::ParamSet;
use crate::rng::{derive, derive_label};
use crate::stats::{Estimate, excess_p, extrapolate_inverse_size, holm_reject, normal_quantile};
use crate::theorem::{CheckSpec, ExtrapolateSpec, Relation, Statement, ToleranceSpec, value_text};

/// A compiled simulation check.
pub struct SimulationCheck {
    describe: String,
    stream: u64,
    observable: &'static dyn Observable,
    output: &'static str,
    relation: Relation,
    claimed: Formula,
    defines: Vec<(String, Formula)>,
    settings: Vec<(String, String)>,
    quick_settings: Vec<(String, String)>,
    grid: Vec<(String, Vec<String>)>,
    trials: usize,
    quick_trials: usize,
    tolerance: ToleranceSpec,
    extrapolate: Option<ExtrapolateSpec>,
    /// Strict inequality: the output must clear the bound by more than `abs` with confidence.
    strict: bool,
}

fn texts(map: &BTreeMap<String, toml::Value>) -> Result<Vec<(String, String)>> {
    map.iter().map(|(k, v)| Ok((k.clone(), value_text(v).map_err(|e| Error::input(format!("{k}: {e}")))?))).collect()
}

impl SimulationCheck {
    pub fn compile(claim_id: &str, index: usize, spec: &CheckSpec, st: &Statement) -> Result<SimulationCheck> {
        let relation = st.relation;
        let claimed = match (&spec.formula, relation) {
            (Some(f), _) => Formula::parse(f)?,
            (None, Relation::Equal) => st.formula.clone(),
            (None, Relation::AtMost | Relation::AtLeast) => {
                st.bound.clone().ok_or_else(|| Error::input("inequality without bound"))?
            }
            (None, _) => return Err(Error::input("monotonicity claims are checked with method = \"search\"")),
        };
        let name = spec.observable.as_deref().ok_or_else(|| Error::input("a simulation check needs `observable`"))?;
        let observable = find(name)?;
        let output = match &spec.output {
            None => observable.outputs()[0].name,
            Some(o) => observable.outputs().iter().find(|x| x.name == o).map(|x| x.name).ok_or_else(|| {
                let known: Vec<&str> = observable.outputs().iter().map(|x| x.name).collect();
                Error::input(format!("`{name}` has no output `{o}`; known: {}", known.join(", ")))
            })?,
        };
        let is_param = |v: &str| observable.params().iter().any(|p| p.name == v);
        let is_output = |v: &str| observable.outputs().iter().any(|p| p.name == v);
        let mut defines = Vec::new();
        for (k, text) in &spec.define {
            let f = Formula::parse(text).map_err(|e| Error::input(format!("define.{k}: {e}")))?;
            for v in f.variables() {
                if !is_param(v) && !defines.iter().any(|(d, _): &(String, Formula)| d == v) {
                    return Err(Error::input(format!("define.{k}: `{v}` is not a parameter of {name}")));
                }
            }
            defines.push((k.clone(), f));
        }
        for v in claimed.variables() {
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
        let settings = texts(&spec.settings)?;
        let quick_settings = texts(&spec.quick.settings)?;
        let mut grid = Vec::new();
        for (k, values) in &spec.grid {
            if values.is_empty() {
                return Err(Error::input(format!("grid.{k} is empty")));
            }
            if spec.settings.contains_key(k) {
                return Err(Error::input(format!("`{k}` is both a setting and a grid axis")));
            }
            grid.push((k.clone(), values.iter().map(value_text).collect::<Result<Vec<_>>>()?));
        }
        if let Some(x) = &spec.extrapolate {
            let sizes_ok = |s: &[f64]| s.len() >= 2 && s.iter().all(|v| v.is_finite() && *v > 0.0);
            if !is_param(&x.param) || spec.grid.contains_key(&x.param) || spec.settings.contains_key(&x.param) {
                return Err(Error::input(format!(
                    "extrapolate.param `{}` must be a parameter not set elsewhere",
                    x.param
                )));
            }
            if !sizes_ok(&x.sizes) || !x.quick_sizes.as_deref().is_none_or(sizes_ok) {
                return Err(Error::input("extrapolate needs at least two positive sizes"));
            }
        }
        let trials = spec.trials.ok_or_else(|| Error::input("a simulation check needs `trials`"))?;
        let check = SimulationCheck {
            describe: spec.describe.clone(),
            stream: derive_label(index as u64, claim_id),
            observable,
            output,
            relation,
            claimed,
            defines,
            settings,
            quick_settings,
            grid,
            trials,
            quick_trials: spec.quick.trials.unwrap_or(trials),
            tolerance: spec
                .tolerance
                .clone()
                .ok_or_else(|| Error::input("a simulation check needs [check.tolerance]"))?,
            extrapolate: spec.extrapolate.clone(),
            strict: st.strict && matches!(relation, Relation::AtMost | Relation::AtLeast),
        };
        if trials == 0 || check.quick_trials == 0 {
            return Err(Error::input("trials must be at least 1"));
        }
        // Every point must resolve at both precisions: fail at load time, not mid-audit.
        for quick in [false, true] {
            for point in check.points() {
                for size in check.sizes(quick) {
                    check.params(&point, size, quick)?;
                }
            }
        }
        Ok(check)
    }

    /// Grid points as (name, value text) lists, in lexicographic grid order.
    pub(super) fn points(&self) -> Vec<Vec<(String, String)>> {
        let mut points = vec![Vec::new()];
        for (name, values) in &self.grid {
            points = points
                .into_iter()
                .flat_map(|p| values.iter().map(move |v| [p.clone(), vec![(name.clone(), v.clone())]].concat()))
                .collect();
        }
        points
    }

    fn sizes(&self, quick: bool) -> Vec<Option<f64>> {
        match &self.extrapolate {
            None => vec![None],
            Some(x) => {
                let sizes = if quick { x.quick_sizes.as_ref().unwrap_or(&x.sizes) } else { &x.sizes };
                sizes.iter().map(|s| Some(*s)).collect()
            }
        }
    }

    pub(super) fn params(&self, point: &[(String, String)], size: Option<f64>, quick: bool) -> Result<ParamSet> {
        let mut given: Vec<(String, String)> = self.settings.clone();
        if quick {
            for (k, v) in &self.quick_settings {
                given.retain(|(g, _)| g != k);
                given.push((k.clone(), v.clone()));
            }
        }
        given.extend(point.iter().cloned());
        // A fixed setting that only matters for some grid values (e.g. `steps` with variant=early_stop)
        // is dropped where it has no effect.
        let value_of = |name: &str, given: &[(String, String)]| {
            given
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| self.observable.params().iter().find(|p| p.name == name).map(|p| p.default.to_string()))
        };
        let inactive: Vec<String> = self
            .settings
            .iter()
            .filter(|(k, _)| !point.iter().any(|(pk, _)| pk == k))
            .filter_map(|(k, _)| {
                let spec = self.observable.params().iter().find(|p| p.name == k)?;
                let (other, value) = spec.used_when?;
                (value_of(other, &given).as_deref() != Some(value)).then(|| k.clone())
            })
            .collect();
        given.retain(|(k, _)| !inactive.contains(k));
        if let (Some(x), Some(s)) = (&self.extrapolate, size) {
            given.push((x.param.clone(), s.to_string()));
        }
        self.observable.resolve(&given)
    }

    /// Values of defines and numeric parameters at a point; refuses parameters that have no effect there.
    fn environment(&self, params: &ParamSet) -> Result<BTreeMap<String, f64>> {
        let mut env = params.numbers();
        for spec in self.observable.params() {
            if let Some((other, value)) = spec.used_when
                && params.text(other)? != value
            {
                env.remove(spec.name);
            }
        }
        for (name, f) in &self.defines {
            let v = f.eval(|x| env.get(x).copied())?;
            env.insert(name.clone(), v);
        }
        Ok(env)
    }

    fn claimed_at(&self, env: &BTreeMap<String, f64>, outputs: &[&str], row: &[f64]) -> Result<f64> {
        Ok(self
            .claimed
            .eval(|x| env.get(x).copied().or_else(|| outputs.iter().position(|o| *o == x).map(|j| row[j])))?)
    }

    /// Residual estimate (output minus claimed) at one size, and the claimed value when it is a constant.
    /// None when the claimed value is undefined (not finite) at this point.
    fn residual(&self, params: &ParamSet, seed: u64, ctx: &RunContext) -> Result<Option<(Estimate, Option<f64>)>> {
        let env = self.environment(params)?;
        let trials = if ctx.quick { self.quick_trials } else { self.trials };
        let sample = simulate(self.observable, params, trials, seed, ctx.progress.as_ref())?;
        let j = sample.outputs.iter().position(|o| *o == self.output).unwrap_or(0);
        // A claimed value that depends only on the point is evaluated once; one that uses outputs, per trial.
        let constant = self.claimed.variables().iter().all(|v| env.contains_key(v));
        let claimed = if constant { Some(self.claimed_at(&env, &[], &[])?) } else { None };
        let mut residuals = Vec::with_capacity(sample.rows.len());
        for row in &sample.rows {
            let c = match claimed {
                Some(c) => c,
                None => self.claimed_at(&env, &sample.outputs, row)?,
            };
            if !c.is_finite() {
                return Ok(None);
            }
            residuals.push(row[j] - c);
        }
        Ok(Some((Estimate::from_samples(&residuals), claimed)))
    }
}

impl SimulationCheck {
    /// The grid, settings and observable of a check that studies an output itself (monotone and
    /// optimum checks): compiled as a simulation check of the output against itself; `kind` names the
    /// check in errors.
    pub(super) fn output_grid(claim_id: &str, index: usize, spec: &CheckSpec, kind: &str) -> Result<SimulationCheck> {
        let output = spec.output.clone().ok_or_else(|| Error::input(format!("a {kind} check needs `output`")))?;
        let identity = Statement {
            relation: Relation::Equal,
            formula: Formula::parse(&output)?,
            bound: None,
            variable: None,
            strict: false,
            domain: BTreeMap::new(),
        };
        SimulationCheck::compile(claim_id, index, spec, &identity)
    }

    pub(super) fn observable(&self) -> &'static dyn Observable {
        self.observable
    }
    pub(super) fn output(&self) -> &'static str {
        self.output
    }
    pub(super) fn trial_count(&self, quick: bool) -> usize {
        if quick { self.quick_trials } else { self.trials }
    }
    pub(super) fn tolerance(&self) -> &ToleranceSpec {
        &self.tolerance
    }
    pub(super) fn stream(&self) -> u64 {
        self.stream
    }
}

impl Check for SimulationCheck {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn trials(&self, ctx: &RunContext) -> u64 {
        let t = if ctx.quick { self.quick_trials } else { self.trials };
        (self.points().len() * self.sizes(ctx.quick).len() * t) as u64
    }

    fn run(&self, ctx: &RunContext) -> Result<CheckReport> {
        let base = derive(ctx.seed, &[self.stream]);
        let mut reports = self
            .points()
            .iter()
            .enumerate()
            .map(|(i, p)| self.point(i as u64, p, base, ctx))
            .collect::<Result<Vec<_>>>()?;
        let undefined = reports.iter().filter(|r| r.undefined).count();
        if self.strict {
            self.decide_strict(&mut reports);
        } else {
            let p_values: Vec<f64> = reports.iter().map(|r| r.p).collect();
            for (r, reject) in reports.iter_mut().zip(holm_reject(&p_values, self.tolerance.family_alpha)) {
                r.pass = !reject;
            }
        }
        let (verdict, regime) = classify_reports(&reports);
        let worst = least_compatible(reports.iter()).cloned();
        let mut evidence = self.evidence(&reports, worst.as_ref(), &regime, ctx.quick);
        if undefined > 0 {
            evidence += &format!("; claimed value undefined (not finite) at {undefined} points");
        }
        let failures = reports.iter().map(|r| !r.pass).collect();
        Ok(CheckReport {
            method: "simulation".into(),
            describe: self.describe.clone(),
            verdict,
            evidence,
            worst,
            points: reports,
            failures,
        })
    }
}

impl SimulationCheck {
    /// Strict inequality ("pre-training helps"): a point passes only when the output clears the bound,
    /// output - bound > abs + z se for at_least (bound - output for at_most), z the one-sided Bonferroni
    /// quantile of the family alpha over the points. Failing to show the effect is a failure.
    fn decide_strict(&self, reports: &mut [PointReport]) {
        let z = normal_quantile(1.0 - self.tolerance.family_alpha / reports.len().max(1) as f64);
        for r in reports {
            let margin = if self.relation == Relation::AtMost { -r.residual } else { r.residual };
            let se = r.simulated.map_or(0.0, |s| s.se);
            r.pass = !r.undefined && margin - r.budget > z * se;
            r.p = if r.pass { 1.0 } else { 0.0 };
        }
    }

    /// Simulates one grid point (at every size when extrapolating) and compares it with the claim.
    fn point(&self, i: u64, point: &[(String, String)], base: u64, ctx: &RunContext) -> Result<PointReport> {
        let at: BTreeMap<String, serde_json::Value> = point_json(point);
        let mut sizes = Vec::new();
        let mut claimed = None;
        for (k, size) in self.sizes(ctx.quick).into_iter().enumerate() {
            let params = self.params(point, size, ctx.quick)?;
            let Some((est, c)) = self.residual(&params, derive(base, &[i, k as u64]), ctx)? else {
                return Ok(PointReport::undefined(at));
            };
            claimed = c;
            sizes.push((size.unwrap_or(0.0), est));
        }
        let residual = if sizes.len() == 1 {
            sizes[0].1
        } else {
            let xs: Vec<f64> = sizes.iter().map(|s| s.0).collect();
            let ys: Vec<Estimate> = sizes.iter().map(|s| s.1).collect();
            extrapolate_inverse_size(&xs, &ys).ok_or_else(|| Error::numerical("extrapolation in size failed"))?.0
        };
        let budget = self.tolerance.abs + self.tolerance.rel * claimed.map_or(0.0, f64::abs);
        // Deviation towards violation: |r| for equalities, r for "at most", -r for "at least".
        let (signed, two_sided) = match self.relation {
            Relation::AtMost => (residual.mean, false),
            Relation::AtLeast => (-residual.mean, false),
            _ => (residual.mean.abs(), true),
        };
        let excess = signed - budget;
        let tail = excess_p(excess, residual.se);
        let p = if two_sided { (2.0 * tail).min(1.0) } else { tail };
        let z = (residual.se > 0.0).then(|| (if two_sided { residual.mean } else { signed }) / residual.se);
        Ok(PointReport {
            at,
            claimed,
            simulated: claimed.map(|c| Estimate { mean: c + residual.mean, ..residual }),
            residual: residual.mean,
            budget,
            z,
            p,
            two_sided,
            pass: true,
            undefined: false,
            sizes: if sizes.len() > 1 { sizes } else { Vec::new() },
        })
    }

    fn evidence(&self, reports: &[PointReport], worst: Option<&PointReport>, regime: &str, quick: bool) -> String {
        let fails = reports.iter().filter(|r| !r.pass).count();
        let trials = if quick { self.quick_trials } else { self.trials };
        let mut text = format!(
            "{} vs `{}` ({}): {fails} of {} points beyond tolerance (Holm, family alpha {}, {trials} trials per point)",
            self.output,
            self.claimed,
            self.observable.name(),
            reports.len(),
            self.tolerance.family_alpha
        );
        if let Some(w) = worst {
            let sim = w.simulated.map_or_else(
                || format!("residual {}", fmt_num(w.residual)),
                |s| format!("simulated {} vs claimed {}", fmt_num(s.mean), fmt_num(w.claimed.unwrap_or(f64::NAN))),
            );
            let se = w.simulated.map_or(0.0, |s| s.se);
            text += &format!(
                "; worst at {}: {sim} (residual {}, se {}, budget {}{})",
                fmt_point(&w.at),
                fmt_num(w.residual),
                fmt_num(se),
                fmt_num(w.budget),
                w.z.map_or_else(|| ", deterministic".to_string(), |z| format!(", z {z:.2}"))
            );
        }
        if !regime.is_empty() {
            text += &format!("; {regime}");
        }
        match &self.extrapolate {
            Some(x) => {
                let sizes = if quick { x.quick_sizes.as_ref().unwrap_or(&x.sizes) } else { &x.sizes };
                text += &format!("; finite size: extrapolated as a + c/{} over {} = {sizes:?}", x.param, x.param);
            }
            None => text += &format!("; budget: {}", self.tolerance.budget_reason),
        }
        text
    }
}
