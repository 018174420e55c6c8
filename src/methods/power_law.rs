//! `power_law`: the simulated output y grows in proportion to the printed formula
//! Gamma = C prod c_i^{e_i}.
//!
//! Over the one-at-a-time sweeps of the constituents (common random numbers, [`super::order`]) the
//! exponents are fitted by least squares of ln mean(y) = a + sum_i b_i ln(c_i / c_i0) (a free: the
//! constant is unknown; [`crate::stats::fit_log_log`]). The printed counterpart is the same fit of
//! ln Gamma at the same points (the exponents themselves for a product form). With a finite-size
//! extrapolation the fit is made at every size and each b_i extrapolated to infinite size
//! ([`super::order::Sizes`]). Each exponent gets a delta-method Student interval at level alpha / m
//! over the m exponents (Bonferroni, [`crate::decide::interval`]); the claim fails on every
//! constituent whose printed exponent lies outside.

use super::Context;
use super::order::{Sweeps, exponent_points};
use crate::decide::interval::{Linearised, linearised, per_interval};
use crate::engine::{Cell, Decision, Drawn, Method, Stage, Worst};
use crate::error::{Error, Result};
use crate::outcome::details::{Exponent, PowerLawDetails};
use crate::outcome::{Details, Rule, RuleKind, Verdict};
use crate::spec::PowerLawSpec;
use crate::stats::{Estimate, fit_log_log, student_quantile};

/// Exponents of a power-law fit: the extrapolated ones, then those at each size.
#[derive(Debug, Clone)]
pub struct PowerLawFit {
    /// m exponents at infinite size, then m per size, with delta-method standard errors.
    pub stat: Linearised,
    /// Number of exponents m.
    pub exponents: usize,
}

impl PowerLawFit {
    /// Exponent i at infinite size with its interval at two-sided level `a`.
    pub fn exponent(&self, i: usize, a: f64) -> (f64, (f64, f64)) {
        (self.stat.value[i], self.stat.interval(i, a))
    }

    /// (value, se) of exponent i at the size of index s.
    pub fn at_size(&self, i: usize, s: usize) -> (f64, f64) {
        let k = (s + 1) * self.exponents + i;
        (self.stat.value[k], self.stat.se[k])
    }
}

/// Exponents b of ln mean(y) = a + sum_i b_i x_i at each size and extrapolated with `weights`
/// (`logs[k]` = x at point k, the same at every size; `cols` = the per-trial outputs of every point,
/// size by size, the same trial seeds everywhere), with delta-method standard errors.
pub fn fit_exponents(logs: &[Vec<f64>], cols: &[&[f64]], weights: &[f64]) -> Result<PowerLawFit> {
    let points = logs.len();
    if points == 0 || cols.len() != points * weights.len() {
        return Err(Error::input("power-law fit: one column per point and size is needed"));
    }
    let m = logs[0].len();
    let stat = linearised(cols, |means| {
        let mut by_size = Vec::with_capacity(weights.len() * m);
        for s in 0..weights.len() {
            by_size.extend(fit_log_log(logs, &means[s * points..(s + 1) * points])?.slopes);
        }
        let extrapolated = (0..m).map(|i| weights.iter().enumerate().map(|(s, w)| w * by_size[s * m + i]).sum());
        Ok(extrapolated.chain(by_size.iter().copied()).collect())
    })?;
    Ok(PowerLawFit { stat, exponents: m })
}

/// A compiled power-law check.
pub struct PowerLaw {
    sweeps: Sweeps,
    reason: Option<String>,
    /// Budget on every exponent: an exponent passes when printed lies within budget of its interval.
    budget: f64,
}

impl PowerLaw {
    pub fn compile(spec: &PowerLawSpec, cx: &Context) -> Result<PowerLaw> {
        let src = spec.simulated();
        Ok(PowerLaw {
            sweeps: Sweeps::compile(&src, &spec.sweep, cx.statement)?.with_sizes(spec.finite_size.as_ref())?,
            reason: Some(spec.tolerance.budget_reason.clone()),
            budget: spec.tolerance.abs,
        })
    }

    /// The printed counterpart of the fit: least squares of ln Gamma at the same points.
    fn printed(&self, quick: bool) -> Result<Vec<f64>> {
        let base = self.sweeps.base(quick)?;
        let points = self.sweeps.points(&base)?;
        let logs = points.iter().map(|p| self.sweeps.logs(&base, p)).collect::<Result<Vec<_>>>()?;
        let ln_gamma = self.sweeps.log_gamma_ratios(&base, &points)?;
        Ok(fit_log_log(&logs, &ln_gamma.iter().map(|g| g.exp()).collect::<Vec<_>>())?.slopes)
    }

    /// The fitted exponents against the printed ones, from the drawn sweeps.
    fn details(&self, stage: &Stage, drawn: &[Drawn]) -> Result<PowerLawDetails> {
        let quick = stage.quick;
        let base = self.sweeps.base(quick)?;
        let logs = self.sweeps.points(&base)?.iter().map(|p| self.sweeps.logs(&base, p)).collect::<Result<Vec<_>>>()?;
        let cols = drawn.iter().map(|d| self.sweeps.column(d)).collect::<Result<Vec<_>>>()?;
        let means: Vec<f64> = cols.iter().map(|c| Estimate::from_samples(c).mean).collect();
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let fit = fit_exponents(&logs, &refs, &self.sweeps.extrapolation(quick))?;
        let printed = self.printed(quick)?;
        let level = per_interval(stage.alpha, self.sweeps.sweep.len());
        let sizes = self.sweeps.sizes(quick);
        let exponents = self
            .sweeps
            .sweep
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let (fitted, ci) = fit.exponent(i, level);
                let by_size =
                    sizes.iter().enumerate().map(|(s, l)| (*l, fit.at_size(i, s).0, fit.at_size(i, s).1)).collect();
                Exponent {
                    name: name.clone(),
                    printed: printed[i],
                    fitted,
                    ci,
                    se: fit.stat.se[i],
                    by_size,
                    fixed: false,
                }
            })
            .collect();
        Ok(PowerLawDetails {
            output: self.sweeps.output.to_string(),
            points: logs.len(),
            range: (
                means.iter().copied().fold(f64::INFINITY, f64::min),
                means.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            exponents,
            resamples: 0,
            level: 1.0 - level,
            size_map: self.sweeps.size_map(),
        })
    }
}

impl Method for PowerLaw {
    fn plan(&self, stage: &Stage) -> Result<Vec<Cell>> {
        self.sweeps.sized_cells(stage)
    }

    fn decide(&self, stage: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let d = self.details(stage, drawn)?;
        let trials = self.sweeps.trials(stage.quick);
        let level = per_interval(stage.alpha, self.sweeps.sweep.len());
        let tq = student_quantile(1.0 - level / 2.0, trials.saturating_sub(1) as f64);
        let (points, resolution) = exponent_points(&d.exponents, tq, self.budget);
        let verdict = if points.iter().all(|p| p.pass) { Verdict::Holds } else { Verdict::Refuted };
        let rule =
            Rule { kind: RuleKind::Interval, family_alpha: stage.alpha, family: points.len(), trials, resamples: None };
        let finite_size = self.sweeps.finite_size(stage.quick, self.reason.clone());
        Ok(Decision {
            verdict: Some((verdict, None)),
            worst: Worst::FirstFailing,
            resolution,
            ..Decision::new(rule, points, finite_size, Details::PowerLaw(d))
        })
    }
}
