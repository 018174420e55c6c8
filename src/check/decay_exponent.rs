//! Power-law check: a printed decay exponent nu of a simulated output, E out(n) ~ A n^-nu, along a
//! scanned size n. The exponent is the least-squares slope of log(mean out) on log n over the scan;
//! its confidence interval at level 1 - family_alpha is the percentile interval of `bootstrap`
//! refits on trials resampled with replacement (independently at each n, whose trials are
//! independent). Holds when the interval widened by the budget `abs` contains the printed exponent
//! (the check's `formula`, default the claim's formula, evaluated without variables); refuted otherwise.

use rand::RngExt;
use rand::SeedableRng;

use super::boundary::{assignments, output_of};
use super::{Check, CheckReport, PointReport, RunContext, Verdict, fmt_num};
use crate::error::{Error, Result};
use crate::observable::{Observable, find, simulate};
use crate::rng::{Rng, derive, derive_label};
use crate::stats::{Estimate, normal_sf};
use crate::theorem::{CheckSpec, Statement, ToleranceSpec};

/// A compiled power-law check.
pub struct DecayExponentCheck {
    spec: CheckSpec,
    stream: u64,
    observable: &'static dyn Observable,
    output: &'static str,
    param: String,
    sizes: Vec<f64>,
    printed: f64,
    tolerance: ToleranceSpec,
}

/// Least-squares fit log y = log A - nu log n; returns (A, nu), or None if some y <= 0.
pub fn fit_power_law(n: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    if y.iter().any(|v| *v <= 0.0 || !v.is_finite()) || n.len() < 2 {
        return None;
    }
    let k = n.len() as f64;
    let lx: Vec<f64> = n.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let (mx, my) = (lx.iter().sum::<f64>() / k, ly.iter().sum::<f64>() / k);
    let sxx: f64 = lx.iter().map(|x| (x - mx) * (x - mx)).sum();
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    Some(((my - slope * mx).exp(), -slope))
}

/// Fitted exponent on the trial means and its bootstrap percentile interval at level 1 - alpha:
/// `samples[i]` are the per-trial values at size `n[i]`. Returns (A, nu, lo, hi, bootstrap sd).
pub fn exponent_ci(
    n: &[f64],
    samples: &[Vec<f64>],
    draws: usize,
    alpha: f64,
    rng: &mut Rng,
) -> Result<(f64, f64, f64, f64, f64)> {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let means: Vec<f64> = samples.iter().map(|s| mean(s)).collect();
    let (a, nu) =
        fit_power_law(n, &means).ok_or_else(|| Error::numerical("power-law fit needs positive means at >= 2 sizes"))?;
    let mut nus = Vec::with_capacity(draws);
    let mut resampled = vec![0.0; n.len()];
    for _ in 0..draws {
        for (r, s) in resampled.iter_mut().zip(samples) {
            *r = (0..s.len()).map(|_| s[rng.random_range(0..s.len())]).sum::<f64>() / s.len() as f64;
        }
        if let Some((_, b)) = fit_power_law(n, &resampled) {
            nus.push(b);
        }
    }
    if nus.len() < draws / 2 || nus.is_empty() {
        return Err(Error::numerical("power-law bootstrap: too many resamples with non-positive means"));
    }
    nus.sort_by(f64::total_cmp);
    let q = |p: f64| nus[((p * (nus.len() - 1) as f64).round() as usize).min(nus.len() - 1)];
    let m = mean(&nus);
    let sd = (nus.iter().map(|b| (b - m) * (b - m)).sum::<f64>() / (nus.len() - 1).max(1) as f64).sqrt();
    Ok((a, nu, q(alpha / 2.0), q(1.0 - alpha / 2.0), sd))
}

impl DecayExponentCheck {
    pub fn compile(claim_id: &str, index: usize, spec: &CheckSpec, st: &Statement) -> Result<DecayExponentCheck> {
        let name =
            spec.observable.as_deref().ok_or_else(|| Error::input("a decay_exponent check needs `observable`"))?;
        let observable = find(name)?;
        let scan =
            spec.scan.as_ref().ok_or_else(|| Error::input("a decay_exponent check needs `scan` (the size n)"))?;
        if scan.values.len() < 3 || scan.values.iter().any(|v| !(*v > 0.0 && v.is_finite())) {
            return Err(Error::input("a decay_exponent scan needs at least 3 positive sizes"));
        }
        spec.trials.filter(|t| *t >= 2).ok_or_else(|| Error::input("a decay_exponent check needs `trials` >= 2"))?;
        let printed_formula = match &spec.formula {
            Some(f) => crate::formula::Formula::parse(f)?,
            None => st.formula.clone(),
        };
        let printed = printed_formula
            .eval(|_| None)
            .map_err(|e| Error::input(format!("the printed exponent must be a number: {e}")))?;
        let tolerance =
            spec.tolerance.clone().ok_or_else(|| Error::input("a decay_exponent check needs [check.tolerance]"))?;
        let check = DecayExponentCheck {
            spec: spec.clone(),
            stream: derive_label(index as u64, claim_id),
            observable,
            output: output_of(observable, spec)?,
            param: scan.param.clone(),
            sizes: scan.values.clone(),
            printed,
            tolerance,
        };
        for quick in [false, true] {
            for s in &check.sizes {
                observable.resolve(&check.point(*s, quick)?)?;
            }
        }
        Ok(check)
    }

    fn point(&self, size: f64, quick: bool) -> Result<Vec<(String, String)>> {
        assignments(&self.spec, &[(self.param.clone(), format!("{size}"))], quick)
    }

    fn trials_per_point(&self, quick: bool) -> usize {
        let t = self.spec.trials.unwrap_or(2);
        if quick { self.spec.quick.trials.unwrap_or(t) } else { t }
    }
}

impl Check for DecayExponentCheck {
    fn describe(&self) -> String {
        self.spec.describe.clone()
    }

    fn trials(&self, ctx: &RunContext) -> u64 {
        (self.sizes.len() * self.trials_per_point(ctx.quick)) as u64
    }

    fn run(&self, ctx: &RunContext) -> Result<CheckReport> {
        let base = derive(ctx.seed, &[self.stream]);
        let trials = self.trials_per_point(ctx.quick);
        let mut samples = Vec::new();
        for (i, s) in self.sizes.iter().enumerate() {
            let params = self.observable.resolve(&self.point(*s, ctx.quick)?)?;
            let sample = simulate(self.observable, &params, trials, derive(base, &[i as u64]), ctx.progress.as_ref())?;
            samples.push(sample.column(self.output)?);
        }
        let alpha = self.tolerance.family_alpha;
        let draws = self.spec.bootstrap.unwrap_or(2000);
        let mut rng = Rng::seed_from_u64(derive(base, &[u64::MAX]));
        let (a, nu, lo, hi, sd) = exponent_ci(&self.sizes, &samples, draws, alpha, &mut rng)?;
        let mut points: Vec<PointReport> = self
            .sizes
            .iter()
            .zip(&samples)
            .map(|(s, v)| {
                let est = Estimate::from_samples(v);
                let fit = a * s.powf(-nu);
                PointReport {
                    at: [(self.param.clone(), serde_json::json!(s))].into_iter().collect(),
                    claimed: Some(fit),
                    simulated: Some(est),
                    residual: est.mean - fit,
                    budget: 0.0,
                    z: (est.se > 0.0).then_some((est.mean - fit) / est.se),
                    two_sided: true,
                    p: 1.0,
                    pass: true,
                    undefined: false,
                    sizes: Vec::new(),
                }
            })
            .collect();
        let budget = self.tolerance.abs;
        let pass = lo - budget <= self.printed && self.printed <= hi + budget;
        let z = (sd > 0.0).then_some(((nu - self.printed).abs() - budget).max(0.0) / sd);
        let exponent = PointReport {
            at: [("exponent".to_string(), serde_json::json!("nu"))].into_iter().collect(),
            claimed: Some(self.printed),
            simulated: Some(Estimate { mean: nu, se: sd, trials }),
            residual: nu - self.printed,
            budget,
            z,
            two_sided: true,
            p: z.map_or(1.0, |z| 2.0 * normal_sf(z)),
            pass,
            undefined: false,
            sizes: Vec::new(),
        };
        points.push(exponent.clone());
        let level = 100.0 * (1.0 - alpha);
        let evidence = format!(
            "{} ~ A {}^-nu fitted over {} = {:?} ({trials} trials each): A = {}, nu = {} with {level}% bootstrap CI [{}, {}] ({draws} resamples); printed nu = {} (budget {}): {}",
            self.output,
            self.param,
            self.param,
            self.sizes,
            fmt_num(a),
            fmt_num(nu),
            fmt_num(lo),
            fmt_num(hi),
            fmt_num(self.printed),
            fmt_num(budget),
            if pass { "inside" } else { "outside the interval" }
        );
        let failures = points.iter().map(|r| !r.pass).collect();
        Ok(CheckReport {
            method: "decay_exponent".into(),
            describe: self.spec.describe.clone(),
            verdict: if pass { Verdict::Holds } else { Verdict::Refuted },
            evidence,
            worst: (!pass).then_some(exponent),
            points,
            failures,
        })
    }
}
