//! `collapse`: is the simulated output y a function of the printed order parameter Gamma alone?
//!
//! One-at-a-time sweeps of the constituents around the base point (common random numbers,
//! [`super::order`]). (1) Exponents: every point of a constituent's sweep is located on the
//! reference sweep where the reference's output crosses the point's level, and the exponent is the
//! slope of that location (in printed ln Gamma) on ln c (`fit`); with a finite-size
//! extrapolation the slopes are measured at each size and extrapolated ([`super::order::Sizes`]).
//! Each free exponent gets a delta-method Student interval at level alpha / (n - 1) (Bonferroni
//! over the free exponents) and fails when its printed counterpart lies outside
//! ([`crate::decide::interval`]). (2) Transition: location and width of the drop of the smoothed
//! curve along the fitted Gamma; it fails when the paired drop between the lowest and highest
//! printed Gamma is not significant. (3) Scale audit: under the declared symmetry c_i -> s^{w_i} c_i
//! the formula has weight W ([`crate::formula::scaling`]); the output's change under s = 2 is
//! simulated (paired) and compared with curve(W ln 2) - curve(0), the change the printed Gamma
//! predicts ([`crate::decide::collapse`]). Transition and scale audit use the first size.

mod fit;

use super::Context;
use super::order::{Env, Sweeps, check_symmetry, exponent_points, scaled};
use crate::decide::collapse::{invariant, scale_contradicts, scale_z, significant_drop};
use crate::decide::interval::{Linearised, inside, linearised, per_interval};
use crate::engine::alpha::CLAIM_ALPHA;
use crate::engine::{Cell, Decision, Drawn, Method, Precision, Run, Stage, Worst};
use crate::error::{Error, Result};
use crate::formula::scaling::scaling_weight;
use crate::outcome::details::{CollapseDetails, Exponent, ScaleAudit, SweptPoint};
use crate::outcome::{Details, Rule, RuleKind, Verdict};
use crate::spec::{CollapseSpec, Level, Symmetry};
use crate::stats::{Estimate, student_quantile};
pub use fit::{CollapseData, Design, Reference, slope_through_origin, slopes, transition};

/// A compiled collapse audit.
pub struct Collapse {
    sweeps: Sweeps,
    /// Index of the exponent held at its printed value.
    reference: usize,
    symmetry: Option<Vec<(String, f64)>>,
    reason: Option<String>,
}

/// The design of one size: its base environment, its points and where they sit.
struct Layout {
    base: Env,
    /// The points as declared (overrides of the declared base point) and at this size.
    points: Vec<Vec<(String, f64)>>,
    sized: Vec<Vec<(String, f64)>>,
    /// Indices of every constituent's points (its sweep values; the base is implicit).
    members: Vec<Vec<usize>>,
    /// ln(c / c_base) of every swept constituent at every point.
    logs: Vec<Vec<f64>>,
    /// Printed ln(Gamma / Gamma_base) at every point.
    ln_gamma: Vec<f64>,
    design: Design,
}

/// The first size's design, columns, symmetry probe and reading data.
struct Parts<'a> {
    layout: &'a Layout,
    cols: &'a [Vec<f64>],
    probe: Option<&'a Drawn>,
    data: CollapseData,
}

/// The exponent statistic over all sizes: extrapolated slopes, then those of each size.
struct Fitted {
    stat: Linearised,
    /// Printed slopes of the free constituents (extrapolated like the fitted ones).
    printed: Vec<f64>,
    beyond: Vec<String>,
}

impl Collapse {
    pub fn compile(spec: &CollapseSpec, cx: &Context) -> Result<Collapse> {
        let src = spec.simulated();
        let sweeps = Sweeps::compile(&src, &spec.sweep, cx.statement)?.with_sizes(spec.finite_size.as_ref())?;
        Collapse::new(sweeps, &spec.reference, spec.symmetry.as_ref(), &spec.tolerance)
    }

    /// A collapse audit of `sweeps` with `reference` held at its printed exponent (also the context
    /// of a `directions` check).
    pub fn new(sweeps: Sweeps, reference: &str, symmetry: Option<&Symmetry>, tolerance: &Level) -> Result<Collapse> {
        let reference = sweeps
            .sweep
            .iter()
            .position(|(k, _)| k == reference)
            .ok_or_else(|| Error::input(format!("reference `{reference}` is not a swept constituent")))?;
        let collapse = Collapse {
            symmetry: symmetry.map(|s| s.weights.clone()),
            reason: tolerance.budget_reason.clone(),
            sweeps,
            reference,
        };
        for quick in [false, true] {
            if let Some(w) = &collapse.symmetry {
                check_symmetry(&collapse.sweeps.settings, w)?;
                collapse.sweeps.settings.resolve(&super::order::texts(&collapse.probe(quick, w)?), quick)?;
            }
            for size in collapse.sweeps.sizes(quick) {
                collapse.layout(quick, size, 0)?;
            }
        }
        Ok(collapse)
    }

    /// `factor` times the trials (at both precisions).
    pub fn with_precision_factor(mut self, factor: usize) -> Self {
        self.sweeps.scale_trials(factor);
        self
    }

    /// The swept constituents and the base point.
    pub fn sweeps(&self) -> &Sweeps {
        &self.sweeps
    }

    /// Mean output at the base point with `overrides` (common random numbers with the sweeps).
    pub fn mean_at(&self, run: &Run, overrides: &[(String, f64)]) -> Result<Estimate> {
        let cell = self.sweeps.cell(overrides, &run.precision())?;
        Ok(Estimate::from_samples(&run.sample(&cell)?.column(self.sweeps.output)?))
    }

    /// The collapse audit through the run's cache at the claim's rate.
    pub fn fit(&self, run: &Run) -> Result<CollapseDetails> {
        let stage = Stage::single(run.precision(), CLAIM_ALPHA);
        self.details(&stage, &run.draw(self.cells(&stage)?)?)
    }

    /// The overrides of the symmetry probe: the first size's base point under the symmetry.
    fn probe(&self, quick: bool, weights: &[(String, f64)]) -> Result<Vec<(String, f64)>> {
        let base = self.sweeps.base(quick)?;
        let mut at = self.sweeps.sized(&base, &[], self.sweeps.sizes(quick)[0])?;
        for (k, v) in scaled(&Sweeps::env(&base, &at), weights)? {
            at.retain(|(o, _)| *o != k);
            at.push((k, v));
        }
        Ok(at)
    }

    /// The swept points at every size, then the symmetry probe (if declared).
    pub fn cells(&self, precision: &Precision) -> Result<Vec<Cell>> {
        let mut cells = self.sweeps.sized_cells(precision)?;
        if let Some(w) = &self.symmetry {
            cells.push(self.sweeps.cell(&self.probe(precision.quick, w)?, precision)?);
        }
        Ok(cells)
    }

    /// The design of size `size` whose columns start at `offset`.
    fn layout(&self, quick: bool, size: f64, offset: usize) -> Result<Layout> {
        let declared = self.sweeps.base(quick)?;
        let base = Sweeps::env(&declared, &self.sweeps.sized(&declared, &[], size)?);
        let points = self.sweeps.points(&declared)?;
        let sized = points.iter().map(|p| self.sweeps.sized(&declared, p, size)).collect::<Result<Vec<_>>>()?;
        let logs = sized.iter().map(|p| self.sweeps.logs(&base, p)).collect::<Result<Vec<_>>>()?;
        let ln_gamma = self.sweeps.log_gamma_ratios(&base, &sized)?;
        let members: Vec<Vec<usize>> = self
            .sweeps
            .sweep
            .iter()
            .map(|(name, _)| (0..points.len()).filter(|&j| points[j].first().is_some_and(|(k, _)| k == name)).collect())
            .collect();
        let mut design = Design { reference: vec![(0.0, offset)], sweeps: Vec::new() };
        for (i, on) in members.iter().enumerate() {
            if i == self.reference {
                design.reference.extend(on.iter().map(|&j| (ln_gamma[j], offset + j)));
            } else {
                design.sweeps.push(on.iter().map(|&j| (logs[j][i], offset + j)).collect());
            }
        }
        Ok(Layout { base, points, sized, members, logs, ln_gamma, design })
    }

    /// The free constituents' indices (all but the reference), in sweep order.
    fn free(&self) -> Vec<usize> {
        (0..self.sweeps.sweep.len()).filter(|&i| i != self.reference).collect()
    }

    /// The printed slope of every constituent at one size (the reference's included).
    fn printed_slopes(&self, layout: &Layout) -> Vec<f64> {
        (layout.members.iter().enumerate())
            .map(|(i, on)| {
                let h: Vec<f64> = on.iter().map(|&j| layout.logs[j][i]).collect();
                let g: Vec<f64> = on.iter().map(|&j| layout.ln_gamma[j]).collect();
                slope_through_origin(&h, &g)
            })
            .collect()
    }

    /// The exponent statistic over every size from the swept columns (size by size).
    fn fitted(&self, quick: bool, layouts: &[Layout], cols: &[&[f64]]) -> Result<Fitted> {
        let weights = self.sweeps.extrapolation(quick);
        let k = self.free().len();
        let stat = linearised(cols, |means| {
            let mut by_size = Vec::with_capacity(layouts.len() * k);
            for l in layouts {
                by_size.extend(slopes(&l.design, means)?.0);
            }
            let inf = (0..k).map(|i| weights.iter().enumerate().map(|(s, w)| w * by_size[s * k + i]).sum());
            Ok(inf.chain(by_size.iter().copied()).collect())
        })?;
        let means: Vec<f64> = cols.iter().map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
        let mut beyond = Vec::new();
        let sizes = self.sweeps.sizes(quick);
        for (l, size) in layouts.iter().zip(&sizes) {
            let (_, out) = slopes(&l.design, &means)?;
            for (i, o) in self.free().into_iter().zip(out) {
                if o {
                    beyond.push(format!("{} at size {size}", self.sweeps.sweep[i].0));
                }
            }
        }
        let printed_by_size: Vec<Vec<f64>> = layouts.iter().map(|l| self.printed_slopes(l)).collect();
        let printed = self
            .free()
            .into_iter()
            .map(|i| weights.iter().zip(&printed_by_size).map(|(w, p)| w * p[i]).sum())
            .collect();
        Ok(Fitted { stat, printed, beyond })
    }

    /// Statistics and decisions of the audit from the drawn cells (in the order of [`Collapse::cells`]).
    pub fn details(&self, stage: &Stage, drawn: &[Drawn]) -> Result<CollapseDetails> {
        let quick = stage.quick;
        let sizes = self.sweeps.sizes(quick);
        let per_size = self.sweeps.points(&self.sweeps.base(quick)?)?.len();
        let layouts =
            sizes.iter().enumerate().map(|(s, l)| self.layout(quick, *l, s * per_size)).collect::<Result<Vec<_>>>()?;
        let swept = per_size * sizes.len();
        if drawn.len() < swept {
            return Err(Error::numerical("a collapse audit got fewer cells than it planned"));
        }
        let cols = drawn[..swept].iter().map(|d| self.sweeps.column(d)).collect::<Result<Vec<_>>>()?;
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let f = self.fitted(quick, &layouts, &refs)?;
        let (printed, fitted) = self.full(&f, &layouts[0]);
        let exponents = self.exponents(&f, &printed, &fitted, per_interval(stage.alpha, self.free().len()), &sizes);
        let parts = Parts {
            layout: &layouts[0],
            cols: &cols[..per_size],
            probe: drawn.get(swept),
            data: self.data(&layouts[0], &cols[..per_size], printed)?,
        };
        self.assemble(stage.alpha, parts, exponents, &fitted, f.beyond)
    }

    /// Printed and fitted exponents of every constituent (the reference's printed in both).
    fn full(&self, f: &Fitted, first: &Layout) -> (Vec<f64>, Vec<f64>) {
        let mut printed = self.printed_slopes(first);
        let mut fitted = printed.clone();
        for (slot, i) in self.free().into_iter().enumerate() {
            printed[i] = f.printed[slot];
            fitted[i] = f.stat.value[slot];
        }
        (printed, fitted)
    }

    /// The exponents of the details: the reference held fixed, the others with their intervals at
    /// two-sided level `level` and their values at each size.
    fn exponents(&self, f: &Fitted, printed: &[f64], fitted: &[f64], level: f64, sizes: &[f64]) -> Vec<Exponent> {
        let free = self.free();
        let k = free.len();
        (self.sweeps.sweep.iter().enumerate())
            .map(|(i, (name, _))| {
                let (ci, se, by_size) = match free.iter().position(|&j| j == i) {
                    Some(s) => {
                        let at = |z: usize| (sizes[z], f.stat.value[(z + 1) * k + s], f.stat.se[(z + 1) * k + s]);
                        (f.stat.interval(s, level), f.stat.se[s], (0..sizes.len()).map(at).collect())
                    }
                    None => ((printed[i], printed[i]), 0.0, Vec::new()),
                };
                let fixed = i == self.reference;
                Exponent { name: name.clone(), printed: printed[i], fitted: fitted[i], ci, se, by_size, fixed }
            })
            .collect()
    }

    /// The reading data of the first size: kernel bandwidth h = |e_ref| (range of ln c_ref) /
    /// (2 (values - 1)), at least 1e-6.
    fn data(&self, l: &Layout, cols: &[Vec<f64>], printed: Vec<f64>) -> Result<CollapseData> {
        let (name, values) = &self.sweeps.sweep[self.reference];
        let ref_logs: Vec<f64> =
            values.iter().copied().chain([Sweeps::at_base(&l.base, name)?]).map(|v: f64| v.ln()).collect();
        let range = ref_logs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - ref_logs.iter().copied().fold(f64::INFINITY, f64::min);
        let bandwidth = (printed[self.reference].abs() * range / (2.0 * (ref_logs.len() - 1).max(1) as f64)).max(1e-6);
        let values = cols.iter().map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
        Ok(CollapseData { logs: l.logs.clone(), values, printed, bandwidth })
    }

    /// The details from the first size's data: drop, transition, scale audit, failing parts.
    fn assemble(
        &self,
        alpha: f64,
        parts: Parts,
        exponents: Vec<Exponent>,
        fitted: &[f64],
        beyond: Vec<String>,
    ) -> Result<CollapseDetails> {
        let Parts { layout: l, cols, probe, data } = parts;
        let x = data.positions(&data.printed);
        let (lo, hi) =
            (0..x.len()).fold((0, 0), |(a, b), k| (if x[k] < x[a] { k } else { a }, if x[k] > x[b] { k } else { b }));
        let drop = Estimate::paired(&cols[hi], &cols[lo]);
        let scale = match (&self.symmetry, probe) {
            (Some(w), Some(d)) => Some(self.scale(w, l, cols, &self.sweeps.column(d)?, &data, alpha)?),
            _ => None,
        };
        let points = (l.points.iter().zip(&l.sized))
            .zip(cols)
            .map(|((p, sized), c)| {
                let gamma = self.sweeps.gamma(&Sweeps::env(&l.base, sized))?;
                Ok(SweptPoint { at: p.iter().cloned().collect(), gamma, mean: Estimate::from_samples(c) })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut d = CollapseDetails {
            exponents,
            spread_fitted: data.spread(fitted, &data.values),
            spread_printed: data.spread(&data.printed, &data.values),
            gamma_base: self.sweeps.gamma(&l.base)?,
            transition: transition(&data, fitted),
            printed_location: transition(&data, &data.printed).map(|t| t.location),
            drop,
            drop_significant: significant_drop(drop, alpha),
            scale,
            points,
            beyond_reference: beyond,
            size_map: self.sweeps.size_map(),
            fails_on: Vec::new(),
        };
        d.fails_on = fails_on(&d);
        Ok(d)
    }

    /// The scale audit: weight W of the formula under the symmetry, the simulated paired change of
    /// the output at the base point and the change curve(W ln 2) - curve(0) the printed Gamma predicts.
    fn scale(
        &self,
        weights: &[(String, f64)],
        l: &Layout,
        cols: &[Vec<f64>],
        col: &[f64],
        data: &CollapseData,
        alpha: f64,
    ) -> Result<ScaleAudit> {
        let formula = &self.sweeps.formula;
        let in_formula: Vec<(String, f64)> =
            weights.iter().filter(|(k, _)| formula.variables().contains(k)).cloned().collect();
        let at = formula.variables().iter().map(|v| Sweeps::at_base(&l.base, v)).collect::<Result<Vec<f64>>>()?;
        let weight =
            if in_formula.is_empty() { Some(0.0) } else { scaling_weight(formula, &in_formula, &[at])?.weight };
        let base_col = &cols[0];
        let change = Estimate::paired(base_col, col);
        let predicted = match weight {
            Some(w) if w != 0.0 => {
                let c = data.curve(&data.printed, &[0.0, w * super::order::SYMMETRY_FACTOR.ln()]);
                c[1] - c[0]
            }
            Some(_) => 0.0,
            None => f64::NAN,
        };
        let z = scale_z(change, Estimate::from_samples(base_col).se, predicted);
        Ok(ScaleAudit {
            symmetry: weights.to_vec(),
            weight,
            change,
            predicted,
            z,
            invariant: invariant(change, alpha),
            contradicts: scale_contradicts(change, predicted, z, alpha),
        })
    }

    /// The decision of an audit: refuted when any part fails.
    pub fn decision(&self, stage: &Stage, d: CollapseDetails) -> Decision {
        let verdict = if d.fails_on.is_empty() { Verdict::Holds } else { Verdict::Refuted };
        let trials = self.sweeps.trials(stage.quick);
        let level = per_interval(stage.alpha, self.free().len());
        let tq = student_quantile(1.0 - level / 2.0, trials.saturating_sub(1) as f64);
        let (points, resolution) = exponent_points(&d.exponents, tq, 0.0);
        let rule = Rule {
            kind: RuleKind::Interval,
            family_alpha: stage.alpha,
            family: self.free().len(),
            trials,
            resamples: None,
        };
        let finite_size = self.sweeps.finite_size(stage.quick, self.reason.clone());
        Decision {
            verdict: Some((verdict, None)),
            worst: Worst::FirstFailing,
            resolution,
            ..Decision::new(rule, points, finite_size, Details::Collapse(d))
        }
    }
}

/// Whether an exponent passes: held fixed, or printed inside its interval.
fn passes(e: &Exponent) -> bool {
    e.fixed || inside(e.printed, e.ci, 0.0)
}

/// The failing parts: exponents outside their intervals, "transition", "scale".
fn fails_on(d: &CollapseDetails) -> Vec<String> {
    let mut bad: Vec<String> = d.exponents.iter().filter(|e| !passes(e)).map(|e| e.name.clone()).collect();
    if !d.drop_significant {
        bad.push("transition".into());
    }
    if d.scale.as_ref().is_some_and(|s| s.contradicts) {
        bad.push("scale".into());
    }
    bad
}

impl Method for Collapse {
    fn plan(&self, stage: &Stage) -> Result<Vec<Cell>> {
        self.cells(stage)
    }

    fn decide(&self, stage: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        Ok(self.decision(stage, self.details(stage, drawn)?))
    }
}
