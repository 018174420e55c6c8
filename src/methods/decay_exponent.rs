//! `decay_exponent`: a printed decay exponent nu of a simulated output, E out(n) ~ A n^-nu, along a
//! scanned size n.
//!
//! The exponent is minus the least-squares slope of ln(mean out) on ln n over the scan
//! ([`crate::stats::fit_log_log`]); its standard error se* is that of `bootstrap` refits on
//! paired resamples of the trials ([`crate::stats::paired_bootstrap`]; the sizes' trials are
//! independent, so resampling the same indices at every size is still a bootstrap of each mean),
//! corrected for the plug-in bias ([`crate::stats::bootstrap::bootstrap_se`]). The interval at the
//! look's level 1 - alpha is nu +- t_{1 - alpha/2, dof} se*
//! ([`crate::stats::bootstrap::se_interval`]): the exponent is a smooth function of the size means,
//! close to normal, and unlike a percentile interval this one stays well conditioned at the engine's
//! small alpha (about 1e-4) with a few thousand resamples. dof = T - 1 (T trials per size), those
//! of one size's mean: conservative, as the slope pools the independent means of several sizes (a
//! Welch-Satterthwaite pooling was liberal at 8 trials of lognormal data: 8% rejection at nominal 5%).
//! Holds when the interval widened by the budget `abs` contains the printed exponent (the check's
//! `formula`, default the claim's formula, evaluated without variables; [`crate::decide::interval`]);
//! refuted otherwise.
//!
//! The size n's cell is seeded from the claim's stream and n, and simulates only the output read: two
//! regimes of one claim (two scans over the same settings) share the trials of their common sizes.

use rand::SeedableRng;

use super::Context;
use crate::decide::interval::{excess_z, inside};
use crate::engine::plan::{Settings, output_of};
use crate::engine::{Cell, Decision, Drawn, Method, Precision, Stage, Worst};
use crate::error::{Error, Result};
use crate::formula::Formula;
use crate::outcome::details::DecayExponentDetails;
use crate::outcome::{Coord, Details, FiniteSize, PointOutcome, Rule, RuleKind, Verdict};
use crate::rng::{Rng, derive};
use crate::spec::DecayExponentSpec;
use crate::stats::bootstrap::{bootstrap_se, se_interval};
use crate::stats::{Estimate, fit_log_log, paired_bootstrap, student_sf};

/// Default bootstrap resamples.
const BOOTSTRAP: usize = 2000;

/// A compiled decay-exponent check.
pub struct DecayExponent {
    settings: Settings,
    stream: u64,
    /// The claim's stream, which seeds the cells (shared by the claim's checks).
    shared: u64,
    output: &'static str,
    printed: f64,
    spec: DecayExponentSpec,
}

/// A power law A n^-nu with the interval, bootstrap standard error (`sd`) and degrees of freedom of nu.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecayFit {
    pub prefactor: f64,
    pub exponent: f64,
    pub ci: (f64, f64),
    pub sd: f64,
    pub dof: f64,
}

/// (A, nu) of the least-squares fit ln y = ln A - nu ln n; None when some y is not positive.
pub fn fit_decay(n: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    let logs: Vec<Vec<f64>> = n.iter().map(|v| vec![v.ln()]).collect();
    let fit = fit_log_log(&logs, y).ok()?;
    Some((fit.intercept.exp(), -fit.slopes[0]))
}

/// The fit on the trial means and the interval nu +- t_{1 - alpha/2, T - 1} se* at level 1 - `alpha`,
/// se* over `draws` paired resamples (`cols[i]`: the T per-trial values at size
/// `n[i]`, all of equal length). Resamples with a non-positive mean are dropped; more than half dropped is an error.
pub fn exponent_ci(n: &[f64], cols: &[&[f64]], draws: usize, alpha: f64, rng: &mut Rng) -> Result<DecayFit> {
    let means: Vec<f64> = cols.iter().map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
    let (prefactor, exponent) =
        fit_decay(n, &means).ok_or_else(|| Error::numerical("power-law fit needs positive means at >= 2 sizes"))?;
    let boots = paired_bootstrap(cols, draws, rng, |m| Ok(fit_decay(n, m).map(|(_, nu)| vec![nu])))?;
    if boots.len() < draws / 2 || boots.len() < 2 {
        return Err(Error::numerical("power-law bootstrap: too many resamples with non-positive means"));
    }
    let trials = cols.first().map_or(0, |c| c.len());
    let dof = (trials.max(2) - 1) as f64;
    let sd = bootstrap_se(&boots, 0, trials)
        .ok_or_else(|| Error::numerical("power-law bootstrap: fewer than two resamples"))?;
    let ci = se_interval(exponent, sd, alpha, dof);
    Ok(DecayFit { prefactor, exponent, ci, sd, dof })
}

impl DecayExponent {
    pub fn compile(spec: &DecayExponentSpec, cx: &Context) -> Result<DecayExponent> {
        let settings = Settings::new(&spec.observable, &spec.settings, &spec.quick)?;
        let printed_formula = match &spec.formula {
            Some(f) => Formula::parse(f)?,
            None => cx.statement.formula.clone(),
        };
        let printed = printed_formula
            .eval(|_| None)
            .map_err(|e| Error::input(format!("the printed exponent must be a number: {e}")))?;
        let check = DecayExponent {
            output: output_of(settings.observable(), spec.output.as_deref())?,
            settings,
            stream: cx.stream(),
            shared: cx.claim_stream(),
            printed,
            spec: spec.clone(),
        };
        for quick in [false, true] {
            check.cells(&Precision { quick, seed: 0 })?;
        }
        Ok(check)
    }

    fn cells(&self, precision: &Precision) -> Result<Vec<Cell>> {
        let base = derive(precision.seed, &[self.shared]);
        let trials = self.spec.trials_at(precision.quick);
        let param = &self.spec.scan.param;
        (self.spec.scan.values.iter())
            .map(|s| {
                let point = [(param.clone(), s.to_string())];
                let cell = self.settings.cell(&point, precision.quick, trials, derive(base, &[s.to_bits()]))?;
                Ok(cell.reading(&[self.output]))
            })
            .collect()
    }

    /// The fitted law against the simulated mean at every size.
    fn size_points(&self, fit: &DecayFit, cols: &[Vec<f64>]) -> Vec<PointOutcome> {
        (self.spec.scan.values.iter().zip(cols))
            .map(|(s, v)| {
                let est = Estimate::from_samples(v);
                let law = fit.prefactor * s.powf(-fit.exponent);
                let at = [(self.spec.scan.param.clone(), Coord::Num(*s))].into_iter().collect();
                PointOutcome {
                    claimed: Some(law),
                    simulated: Some(est),
                    residual: est.mean - law,
                    z: (est.se > 0.0).then_some((est.mean - law) / est.se),
                    ..PointOutcome::at(at)
                }
            })
            .collect()
    }

    /// The fitted exponent against the printed one: inside the interval widened by the budget.
    fn exponent_point(&self, fit: &DecayFit, trials: usize) -> PointOutcome {
        let budget = self.spec.tolerance.abs;
        let z = excess_z(fit.exponent, self.printed, budget, fit.sd);
        PointOutcome {
            claimed: Some(self.printed),
            simulated: Some(Estimate { mean: fit.exponent, se: fit.sd, trials }),
            residual: fit.exponent - self.printed,
            budget,
            z,
            p: z.map_or(1.0, |z| 2.0 * student_sf(z, fit.dof)),
            pass: inside(self.printed, fit.ci, budget),
            ..PointOutcome::at([("exponent".to_string(), Coord::Word("nu".into()))].into_iter().collect())
        }
    }
}

impl Method for DecayExponent {
    fn plan(&self, precision: &Stage) -> Result<Vec<Cell>> {
        self.cells(precision)
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let cols = drawn.iter().map(|d| d.column(self.output)).collect::<Result<Vec<_>>>()?;
        let tol = &self.spec.tolerance;
        let draws = self.spec.bootstrap.unwrap_or(BOOTSTRAP);
        let mut rng = Rng::seed_from_u64(derive(derive(precision.seed, &[self.stream]), &[u64::MAX]));
        let slices: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let fit = exponent_ci(&self.spec.scan.values, &slices, draws, precision.alpha, &mut rng)?;
        let trials = self.spec.trials_at(precision.quick);
        let mut points = self.size_points(&fit, &cols);
        let exponent = self.exponent_point(&fit, trials);
        let pass = exponent.pass;
        points.push(exponent);
        let details = Details::DecayExponent(DecayExponentDetails {
            output: self.output.to_string(),
            param: self.spec.scan.param.clone(),
            sizes: self.spec.scan.values.clone(),
            prefactor: fit.prefactor,
            exponent: fit.exponent,
            ci: fit.ci,
            printed: self.printed,
            level: 1.0 - precision.alpha,
        });
        let rule =
            Rule { kind: RuleKind::Interval, family_alpha: precision.alpha, family: 1, trials, resamples: Some(draws) };
        let finite_size = FiniteSize::Budget { abs: tol.abs, rel: 0.0, reason: tol.budget_reason.clone() };
        let worst = if pass { None } else { Some(points.len() - 1) };
        Ok(Decision {
            verdict: Some((if pass { Verdict::Holds } else { Verdict::Refuted }, None)),
            worst: Worst::At(worst),
            ..Decision::new(rule, points, finite_size, details)
        })
    }
}
