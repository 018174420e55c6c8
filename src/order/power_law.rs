//! `power_law` check: the claim says the simulated output y grows in proportion to the printed
//! formula Gamma = C prod c_i^{e_i}. Over the one-at-a-time sweeps of the constituents (common random
//! numbers), the exponents are fitted by least squares of ln mean(y) = a + sum_i b_i ln(c_i / c_i0)
//! (a free: the constant is unknown); each b_i gets a paired-bootstrap percentile interval
//! (trials resampled jointly at every point, Bonferroni over the exponents at `family_alpha`).
//! The claim fails on every constituent whose printed local exponent d ln Gamma / d ln c_i lies
//! outside its interval.

use rand::{RngExt, SeedableRng};

use super::OrderCheck;
use crate::check::{CheckReport, PointReport, RunContext, Verdict, fmt_num};
use crate::error::{Error, Result};
use crate::rng::{Rng, derive};
use crate::stats::{Estimate, normal_quantile};

/// Least-squares exponents b of ln y = a + sum_i b_i x_i over the points (`logs[k]` = x at point k,
/// `values[k]` = y > 0). Errors when a value is not positive and finite or the design is singular.
pub fn fit_exponents(logs: &[Vec<f64>], values: &[f64]) -> Result<Vec<f64>> {
    let p = logs.first().map_or(0, Vec::len) + 1;
    if let Some(v) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(Error::numerical(format!("power-law fit needs positive finite outputs, got {v}")));
    }
    // Normal equations (X^T X) beta = X^T ln y with X = [1, x].
    let mut a = vec![vec![0.0; p + 1]; p];
    for (x, y) in logs.iter().zip(values) {
        let row: Vec<f64> = std::iter::once(1.0).chain(x.iter().copied()).collect();
        for i in 0..p {
            for j in 0..p {
                a[i][j] += row[i] * row[j];
            }
            a[i][p] += row[i] * y.ln();
        }
    }
    // Gauss-Jordan elimination with partial pivoting.
    for col in 0..p {
        let piv = (col..p).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap_or(col);
        if a[piv][col].abs() < 1e-12 {
            return Err(Error::input("power-law fit: each constituent needs at least two distinct values"));
        }
        a.swap(col, piv);
        let pivot = a[col].clone();
        for (i, row) in a.iter_mut().enumerate() {
            if i != col {
                let f = row[col] / pivot[col];
                for (x, q) in row.iter_mut().zip(&pivot).skip(col) {
                    *x -= f * q;
                }
            }
        }
    }
    Ok((1..p).map(|i| a[i][p] / a[i][i]).collect())
}

/// Fitted exponents with their bootstrap intervals.
#[derive(Debug, Clone)]
pub struct PowerLawFit {
    pub exponents: Vec<f64>,
    /// Percentile interval (lo, hi) of each exponent.
    pub ci: Vec<(f64, f64)>,
}

/// Fitted exponents and their paired-bootstrap percentile intervals at two-sided `level`:
/// `cols[k]` holds the per-trial outputs at point k (the same trial seeds at every point).
pub fn fit_with_ci(
    logs: &[Vec<f64>],
    cols: &[impl AsRef<[f64]>],
    draws: usize,
    level: f64,
    rng: &mut Rng,
) -> Result<PowerLawFit> {
    let n = cols.first().map_or(0, |c| c.as_ref().len());
    if n == 0 || draws == 0 {
        return Err(Error::input("bootstrap needs trials and at least one resample"));
    }
    let mean = |idx: &mut dyn Iterator<Item = usize>, c: &[f64]| idx.map(|i| c[i]).sum::<f64>() / n as f64;
    let values: Vec<f64> = cols.iter().map(|c| mean(&mut (0..n), c.as_ref())).collect();
    let fitted = fit_exponents(logs, &values)?;
    let mut boots: Vec<Vec<f64>> = Vec::with_capacity(draws);
    let mut idx = vec![0usize; n];
    for _ in 0..draws {
        for i in idx.iter_mut() {
            *i = rng.random_range(0..n);
        }
        let v: Vec<f64> = cols.iter().map(|c| mean(&mut idx.iter().copied(), c.as_ref())).collect();
        boots.push(fit_exponents(logs, &v)?);
    }
    let ci = (0..fitted.len())
        .map(|i| {
            let mut xs: Vec<f64> = boots.iter().map(|b| b[i]).collect();
            xs.sort_by(f64::total_cmp);
            let q = |p: f64| xs[((p * (xs.len() - 1) as f64).round() as usize).min(xs.len() - 1)];
            (q(level / 2.0), q(1.0 - level / 2.0))
        })
        .collect();
    Ok(PowerLawFit { exponents: fitted, ci })
}

impl OrderCheck {
    pub(super) fn run_power_law(&self, ctx: &RunContext) -> Result<CheckReport> {
        let base = self.base(ctx.quick)?;
        let printed = self.printed_exponents(&base)?;
        let mut cols = Vec::new();
        let mut logs = Vec::new();
        let mut means = Vec::new();
        for p in &self.points(&base) {
            let col = self.column(&self.params(p, ctx.quick)?, ctx)?;
            let mut env = base.clone();
            for (k, v) in p {
                env.insert(k.clone(), *v);
            }
            logs.push(self.sweep.iter().map(|(k, _)| (env[k] / base[k]).ln()).collect::<Vec<_>>());
            means.push(Estimate::from_samples(&col));
            cols.push(col);
        }
        let cols: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
        let draws = if ctx.quick { self.bootstrap.min(200) } else { self.bootstrap };
        let level = self.family_alpha / self.sweep.len() as f64;
        let mut rng = Rng::seed_from_u64(derive(ctx.seed, &[0xB007, 0x5]));
        let PowerLawFit { exponents: fitted, ci } = fit_with_ci(&logs, &cols, draws, level, &mut rng)?;
        let zq = normal_quantile(1.0 - level / 2.0);
        let mut points = Vec::new();
        let mut texts = Vec::new();
        let mut bad = Vec::new();
        for (i, (name, _)) in self.sweep.iter().enumerate() {
            let (lo, hi) = ci[i];
            let pass = lo <= printed[i] && printed[i] <= hi;
            if !pass {
                bad.push(name.clone());
            }
            texts.push(format!(
                "{name} {} (printed {}, CI [{}, {}])",
                fmt_num(fitted[i]),
                fmt_num(printed[i]),
                fmt_num(lo),
                fmt_num(hi)
            ));
            points.push(PointReport::exponent(name, printed[i], fitted[i], (lo, hi), zq, pass));
        }
        let lo = means.iter().map(|m| m.mean).fold(f64::INFINITY, f64::min);
        let hi = means.iter().map(|m| m.mean).fold(f64::NEG_INFINITY, f64::max);
        let mut evidence = format!(
            "power-law fit of ln mean({}) over {} swept points ({} from {} to {}): fitted exponents {}; {} bootstrap resamples, intervals at {} each (Bonferroni over {} exponents)",
            self.output,
            means.len(),
            self.output,
            fmt_num(lo),
            fmt_num(hi),
            texts.join(", "),
            draws,
            fmt_num(1.0 - level),
            self.sweep.len()
        );
        if !bad.is_empty() {
            evidence += &format!("; fails on: {}", bad.join(", "));
        }
        let failures = points.iter().map(|p| !p.pass).collect();
        let worst = points.iter().find(|p| !p.pass).cloned();
        Ok(CheckReport {
            method: "power_law".into(),
            describe: self.describe.clone(),
            verdict: if bad.is_empty() { Verdict::Holds } else { Verdict::Refuted },
            evidence,
            worst,
            points,
            failures,
        })
    }
}
