//! Collapse fit of a product-form order parameter (the library part of the `collapse` method).
//!
//! Points k carry constituents c_k (one value per swept variable) and a simulated mean y_k. A
//! product form Gamma = Gamma_base prod_i (c_i / c_i,base)^{e_i} orders the points along
//! x_k = ln Gamma_base + sum_i e_i ln(c_{k,i} / c_{i,base}). The exponents are fitted by minimising
//! the spread S(e) = mean_k (y_k - yhat_{-k}(x_k))^2 of the points about a leave-one-out
//! Nadaraya-Watson curve yhat (Gaussian kernel, bandwidth h) with Nelder-Mead (argmin). S is
//! invariant under e -> t e together with h -> t h, so one exponent (the reference) is held at its
//! printed value and h is a fixed fraction of the reference's printed log-range.

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;

use crate::error::{Error, Result};
use crate::outcome::details::Transition;
use crate::rng::Rng;
use crate::stats::bootstrap::percentile_interval;
use crate::stats::paired_bootstrap;

/// The data of a collapse fit.
#[derive(Debug, Clone)]
pub struct CollapseData {
    /// `logs[k][i]` = ln(c_{k,i} / c_{i,base}).
    pub logs: Vec<Vec<f64>>,
    /// Simulated means y_k.
    pub values: Vec<f64>,
    /// Printed exponents e_i.
    pub printed: Vec<f64>,
    /// Index of the exponent held at its printed value.
    pub reference: usize,
    /// Kernel bandwidth h in units of x.
    pub bandwidth: f64,
}

impl CollapseData {
    /// Position x_k - ln Gamma_base of every point under exponents `e`.
    pub fn positions(&self, e: &[f64]) -> Vec<f64> {
        self.logs.iter().map(|l| l.iter().zip(e).map(|(a, b)| a * b).sum()).collect()
    }

    /// Full exponent vector from the free ones (the reference keeps its printed value).
    pub fn exponents(&self, free: &[f64]) -> Vec<f64> {
        let mut e = Vec::with_capacity(self.printed.len());
        let mut it = free.iter();
        for i in 0..self.printed.len() {
            e.push(if i == self.reference { self.printed[i] } else { it.next().copied().unwrap_or(0.0) });
        }
        e
    }

    /// Spread S(e) of `values` about the leave-one-out kernel curve.
    pub fn spread(&self, e: &[f64], values: &[f64]) -> f64 {
        let x = self.positions(e);
        let h2 = 2.0 * self.bandwidth * self.bandwidth;
        let mut total = 0.0;
        for k in 0..x.len() {
            let dmin = (0..x.len()).filter(|&j| j != k).map(|j| (x[j] - x[k]).powi(2)).fold(f64::INFINITY, f64::min);
            let (mut num, mut den) = (0.0, 0.0);
            for j in (0..x.len()).filter(|&j| j != k) {
                let w = (-((x[j] - x[k]).powi(2) - dmin) / h2).exp();
                num += w * values[j];
                den += w;
            }
            total += (values[k] - num / den).powi(2);
        }
        total / x.len() as f64
    }

    /// Smoothed curve (all points) at positions `at`.
    pub fn curve(&self, e: &[f64], at: &[f64]) -> Vec<f64> {
        let x = self.positions(e);
        let h2 = 2.0 * self.bandwidth * self.bandwidth;
        at.iter()
            .map(|&t| {
                let dmin = x.iter().map(|xj| (xj - t).powi(2)).fold(f64::INFINITY, f64::min);
                let (mut num, mut den) = (0.0, 0.0);
                for (xj, yj) in x.iter().zip(&self.values) {
                    let w = (-((xj - t).powi(2) - dmin) / h2).exp();
                    num += w * yj;
                    den += w;
                }
                num / den
            })
            .collect()
    }

    /// Fits the free exponents to `values` by Nelder-Mead from the printed exponents and from 0;
    /// returns the full exponent vector and its spread.
    pub fn fit(&self, values: &[f64]) -> Result<(Vec<f64>, f64)> {
        self.fit_from(values, None)
    }

    /// As [`CollapseData::fit`], with one more start (full exponent vector), e.g. the fit to the
    /// full data when refitting a bootstrap resample; the best of all starts is returned.
    pub fn fit_from(&self, values: &[f64], extra: Option<&[f64]>) -> Result<(Vec<f64>, f64)> {
        let n_free = self.printed.len() - 1;
        if n_free == 0 {
            let e = self.printed.clone();
            return Ok((e.clone(), self.spread(&e, values)));
        }
        let printed_free: Vec<f64> =
            self.printed.iter().enumerate().filter(|(i, _)| *i != self.reference).map(|(_, e)| *e).collect();
        let mut best: Option<(Vec<f64>, f64)> = None;
        let mut starts = vec![printed_free, vec![0.0; n_free]];
        if let Some(e) = extra {
            starts.push(e.iter().enumerate().filter(|(i, _)| *i != self.reference).map(|(_, x)| *x).collect());
        }
        for start in starts {
            let mut simplex = vec![start.clone()];
            for k in 0..n_free {
                let mut s = start.clone();
                s[k] += 0.5;
                simplex.push(s);
            }
            let solver =
                NelderMead::new(simplex).with_sd_tolerance(1e-12).map_err(|e| Error::numerical(e.to_string()))?;
            let result = Executor::new(Spread { data: self, values }, solver)
                .configure(|s| s.max_iters(400))
                .run()
                .map_err(|e| Error::numerical(format!("collapse fit (Nelder-Mead): {e}")))?;
            let free = result.state().get_best_param().cloned().unwrap_or(start);
            let e = self.exponents(&free);
            let s = self.spread(&e, values);
            if best.as_ref().is_none_or(|(_, b)| s < *b) {
                best = Some((e, s));
            }
        }
        best.ok_or_else(|| Error::numerical("collapse fit found no exponents"))
    }
}

/// argmin problem: the spread as a function of the free exponents.
struct Spread<'a> {
    data: &'a CollapseData,
    values: &'a [f64],
}

impl CostFunction for Spread<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, free: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        let s = self.data.spread(&self.data.exponents(free), self.values);
        Ok(if s.is_finite() { s } else { f64::MAX })
    }
}

/// Locates the drop of the smoothed curve over the range of the points (None if it never drops).
pub fn transition(data: &CollapseData, e: &[f64]) -> Option<Transition> {
    let x = data.positions(e);
    let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let grid: Vec<f64> = (0..=400).map(|i| lo + (hi - lo) * i as f64 / 400.0).collect();
    let y = data.curve(e, &grid);
    let (high, low) =
        (y.iter().copied().fold(f64::NEG_INFINITY, f64::max), y.iter().copied().fold(f64::INFINITY, f64::min));
    if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let crossing = |level: f64| -> Option<f64> {
        let target = high - level * (high - low);
        grid.windows(2).zip(y.windows(2)).find_map(|(g, v)| {
            ((v[0] - target) * (v[1] - target) <= 0.0 && v[0] != v[1])
                .then(|| g[0] + (g[1] - g[0]) * (v[0] - target) / (v[0] - v[1]))
        })
    };
    let (a, mid, b) = (crossing(0.25)?, crossing(0.5)?, crossing(0.75)?);
    Some(Transition { high, low, location: mid, width: (b - a).abs() })
}

/// Paired-bootstrap intervals of the fitted exponents `fitted` (the fit to the full data):
/// `draws` resamples of the trials (the same trial indices at every point, which share seeds,
/// through [`paired_bootstrap`]), each refitted with `fitted` as an extra start; percentile interval
/// at two-sided level `level` ([e, e] for the reference). `cols[k]` are the per-trial values of point k.
pub fn bootstrap_ci(
    data: &CollapseData,
    fitted: &[f64],
    cols: &[&[f64]],
    draws: usize,
    level: f64,
    rng: &mut Rng,
) -> Result<Vec<(f64, f64)>> {
    let boots = paired_bootstrap(cols, draws, rng, |means| Ok(Some(data.fit_from(means, Some(fitted))?.0)))?;
    (0..data.printed.len())
        .map(|i| {
            if i == data.reference {
                return Ok((data.printed[i], data.printed[i]));
            }
            percentile_interval(&boots, i, level).ok_or_else(|| Error::numerical("collapse bootstrap: no resample"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::sim::gaussian::normal;

    /// Synthetic error curve y = 0.4 / (1 + Gamma^2) with Gamma = N^1 u^2 s^-2, plus trial noise;
    /// one-at-a-time sweeps of N, u, s.
    fn synthetic(trials: usize, printed: Vec<f64>) -> (CollapseData, Vec<Vec<f64>>) {
        let truth: [f64; 3] = [1.0, 2.0, -2.0];
        let sweeps: Vec<Vec<f64>> = vec![vec![0.0; 3]]
            .into_iter()
            .chain([0.25_f64, 0.5, 2.0, 4.0].iter().flat_map(|f| {
                (0..3).map(move |i| {
                    let mut l = vec![0.0; 3];
                    l[i] = f.ln() / truth[i].abs().sqrt();
                    l
                })
            }))
            .collect();
        let mut rng = Rng::seed_from_u64(7);
        let mut cols = Vec::new();
        for l in &sweeps {
            let g: f64 = l.iter().zip(&truth).map(|(a, b)| a * b).sum::<f64>().exp();
            cols.push((0..trials).map(|_| 0.4 / (1.0 + g * g) + 0.01 * normal(&mut rng)).collect::<Vec<_>>());
        }
        let values = cols.iter().map(|c| c.iter().sum::<f64>() / trials as f64).collect();
        (CollapseData { logs: sweeps, values, printed, reference: 0, bandwidth: 2f64.ln() / 2.0 }, cols)
    }

    #[test]
    fn fit_recovers_true_exponents_and_rejects_wrong_variants() {
        let (data, cols) = synthetic(20, vec![1.0, 2.0, -2.0]);
        let (e, _) = data.fit(&data.values).unwrap();
        assert!((e[1] - 2.0).abs() < 0.2 && (e[2] + 2.0).abs() < 0.2, "{e:?}");
        let cols: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let ci = bootstrap_ci(&data, &e, &cols, 100, 0.01, &mut Rng::seed_from_u64(3)).unwrap();
        assert!(ci[1].0 <= 2.0 && 2.0 <= ci[1].1 && ci[2].0 <= -2.0 && -2.0 <= ci[2].1, "{ci:?}");
        // Wrong variants: changed exponent, sign flip, swapped u and s.
        for (i, wrong) in [(1, 3.0), (1, 1.0), (2, -3.0), (1, -2.0), (2, 2.0)] {
            assert!(wrong < ci[i].0 || wrong > ci[i].1, "variant {wrong} of exponent {i} not rejected: {ci:?}");
        }
        let t = transition(&data, &e).unwrap();
        assert!(t.location.abs() < 0.3 && t.high > 0.3 && t.low < 0.05, "{t:?}");
    }
}
