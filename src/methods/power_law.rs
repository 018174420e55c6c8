//! `power_law`: the simulated output y grows in proportion to the printed formula
//! Gamma = C prod c_i^{e_i}.
//!
//! Over the one-at-a-time sweeps of the constituents (common random numbers, [`super::order`]) the
//! exponents are fitted by least squares of ln mean(y) = a + sum_i b_i ln(c_i / c_i0) (a free: the
//! constant is unknown; [`crate::stats::fit_log_log`]); each b_i gets a paired-bootstrap percentile
//! interval at level alpha / m over the m exponents (Bonferroni). The claim fails on every
//! constituent whose printed local exponent d ln Gamma / d ln c_i lies outside its interval
//! ([`crate::decide::interval`]).

use rand::SeedableRng;

use super::Context;
use super::order::Sweeps;
use crate::decide::interval::{inside, per_interval};
use crate::engine::{Cell, Decision, Drawn, Method, Stage, Worst};
use crate::error::{Error, Result};
use crate::outcome::details::{Exponent, PowerLawDetails};
use crate::outcome::{Details, FiniteSize, PointOutcome, Rule, RuleKind, Verdict};
use crate::rng::{Rng, derive};
use crate::spec::PowerLawSpec;
use crate::stats::bootstrap::percentile_interval;
use crate::stats::{Estimate, fit_log_log, normal_quantile, paired_bootstrap};

/// Default bootstrap resamples, and their cap at the quick precision.
const BOOTSTRAP: usize = 200;
const QUICK_BOOTSTRAP: usize = 200;

/// Fitted exponents with their bootstrap intervals.
#[derive(Debug, Clone)]
pub struct PowerLawFit {
    pub exponents: Vec<f64>,
    /// Percentile interval (lo, hi) of each exponent.
    pub ci: Vec<(f64, f64)>,
}

/// Exponents b of ln mean(y) = a + sum_i b_i x_i (`logs[k]` = x at point k, `cols[k]` the per-trial
/// outputs at point k, the same trial seeds at every point) and their paired-bootstrap percentile
/// intervals at two-sided level `level` from `draws` resamples.
pub fn fit_with_ci(logs: &[Vec<f64>], cols: &[&[f64]], draws: usize, level: f64, rng: &mut Rng) -> Result<PowerLawFit> {
    let values: Vec<f64> = cols.iter().map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
    let exponents = fit_log_log(logs, &values)?.slopes;
    let boots = paired_bootstrap(cols, draws, rng, |means| Ok(Some(fit_log_log(logs, means)?.slopes)))?;
    let ci = (0..exponents.len())
        .map(|i| {
            percentile_interval(&boots, i, level).ok_or_else(|| Error::numerical("power-law bootstrap: no resample"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PowerLawFit { exponents, ci })
}

/// A compiled power-law check.
pub struct PowerLaw {
    sweeps: Sweeps,
    bootstrap: usize,
    reason: Option<String>,
}

impl PowerLaw {
    pub fn compile(spec: &PowerLawSpec, cx: &Context) -> Result<PowerLaw> {
        let src = spec.simulated();
        Ok(PowerLaw {
            sweeps: Sweeps::compile(&src, &spec.sweep, cx.statement)?,
            bootstrap: spec.bootstrap.unwrap_or(BOOTSTRAP),
            reason: spec.tolerance.budget_reason.clone(),
        })
    }

    fn draws(&self, quick: bool) -> usize {
        if quick { self.bootstrap.min(QUICK_BOOTSTRAP) } else { self.bootstrap }
    }

    /// The fitted exponents against the printed ones, from the drawn sweeps.
    fn details(&self, precision: &Stage, drawn: &[Drawn]) -> Result<PowerLawDetails> {
        let base = self.sweeps.base(precision.quick)?;
        let printed = self.sweeps.printed_exponents(&base)?;
        let mut cols = Vec::new();
        let mut logs = Vec::new();
        for (p, d) in self.sweeps.points(&base)?.iter().zip(drawn) {
            logs.push(self.sweeps.logs(&base, p)?);
            cols.push(self.sweeps.column(d)?);
        }
        let means: Vec<f64> = cols.iter().map(|c| Estimate::from_samples(c).mean).collect();
        let cols: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let level = per_interval(precision.alpha, self.sweeps.sweep.len());
        let draws = self.draws(precision.quick);
        let mut rng = Rng::seed_from_u64(derive(precision.seed, &[0xB007, 0x5]));
        let fit = fit_with_ci(&logs, &cols, draws, level, &mut rng)?;
        let exponents = self
            .sweeps
            .sweep
            .iter()
            .enumerate()
            .map(|(i, (name, _))| Exponent {
                name: name.clone(),
                printed: printed[i],
                fitted: fit.exponents[i],
                ci: fit.ci[i],
                fixed: false,
            })
            .collect();
        Ok(PowerLawDetails {
            output: self.sweeps.output.to_string(),
            points: means.len(),
            range: (
                means.iter().copied().fold(f64::INFINITY, f64::min),
                means.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            exponents,
            resamples: draws,
            level: 1.0 - level,
        })
    }
}

impl Method for PowerLaw {
    fn plan(&self, precision: &Stage) -> Result<Vec<Cell>> {
        let base = self.sweeps.base(precision.quick)?;
        self.sweeps.points(&base)?.iter().map(|p| self.sweeps.cell(p, precision)).collect()
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let d = self.details(precision, drawn)?;
        let zq = normal_quantile(1.0 - per_interval(precision.alpha, self.sweeps.sweep.len()) / 2.0);
        let points: Vec<PointOutcome> = d
            .exponents
            .iter()
            .map(|e| PointOutcome::exponent(&e.name, e.printed, e.fitted, e.ci, zq, inside(e.printed, e.ci, 0.0)))
            .collect();
        let verdict = if points.iter().all(|p| p.pass) { Verdict::Holds } else { Verdict::Refuted };
        let rule = Rule {
            kind: RuleKind::BootstrapInterval,
            family_alpha: precision.alpha,
            family: points.len(),
            trials: self.sweeps.trials(precision.quick),
            resamples: Some(d.resamples),
        };
        let finite_size = FiniteSize::NotApplicable { reason: self.reason.clone() };
        Ok(Decision {
            verdict: Some((verdict, None)),
            worst: Worst::FirstFailing,
            ..Decision::new(rule, points, finite_size, Details::PowerLaw(d))
        })
    }
}
