//! Statistics: Monte Carlo estimates, normal tail probabilities, Holm's family-wise correction,
//! weighted extrapolation in 1/size, and the two-sample Kolmogorov-Smirnov test.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// A simulated scalar: mean, standard error of the mean, number of independent trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub se: f64,
    pub trials: usize,
}

impl Estimate {
    /// Mean and standard error (sample std / sqrt(n)) of i.i.d. samples; se = 0 for one sample
    /// or identical samples.
    pub fn from_samples(xs: &[f64]) -> Self {
        let n = xs.len();
        if n == 0 {
            return Estimate { mean: f64::NAN, se: f64::NAN, trials: 0 };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        // Identical samples (e.g. a deterministic quantity) have se = 0 exactly, not round-off.
        let constant = xs.iter().all(|x| *x == xs[0]);
        let se = if n > 1 && !constant {
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            (var / n as f64).sqrt()
        } else {
            0.0
        };
        Estimate { mean, se, trials: n }
    }
}

fn standard_normal() -> Normal {
    // Normal::new(0, 1) cannot fail; fall back to the standard one defensively.
    Normal::new(0.0, 1.0).unwrap_or_else(|_| Normal::standard())
}

/// Upper tail P(Z > z) of the standard normal.
pub fn normal_sf(z: f64) -> f64 {
    if z.is_infinite() {
        return if z > 0.0 { 0.0 } else { 1.0 };
    }
    standard_normal().sf(z)
}

/// One-sided p-value of an excess over a budget measured with standard error `se`:
/// P(Z > excess / se); without noise (se = 0), 0 when the excess is positive and 1 otherwise.
pub fn excess_p(excess: f64, se: f64) -> f64 {
    if se > 0.0 {
        normal_sf(excess / se)
    } else if excess > 0.0 {
        0.0
    } else {
        1.0
    }
}

/// Quantile of the standard normal: z with P(Z <= z) = p, for p in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    standard_normal().inverse_cdf(p)
}

/// Holm's step-down procedure: which hypotheses are rejected at family-wise level `alpha`.
/// Controls the probability of any false rejection over the whole family (no independence needed).
pub fn holm_reject(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut reject = vec![false; m];
    for (rank, &i) in order.iter().enumerate() {
        if p_values[i] <= alpha / (m - rank) as f64 {
            reject[i] = true;
        } else {
            break;
        }
    }
    reject
}

/// Weighted least-squares fit y = a + b / x over sizes x, weights 1/se^2.
/// Returns the intercept a (the size -> infinity limit) with its standard error and the slope b.
/// With any se = 0 (deterministic values) the fit is unweighted and the intercept has se = 0
/// when it interpolates exactly.
pub fn extrapolate_inverse_size(xs: &[f64], ys: &[Estimate]) -> Option<(Estimate, f64)> {
    if xs.len() < 2 || xs.len() != ys.len() {
        return None;
    }
    let deterministic = ys.iter().any(|e| e.se <= 0.0);
    let w: Vec<f64> = ys.iter().map(|e| if deterministic { 1.0 } else { 1.0 / (e.se * e.se) }).collect();
    let u: Vec<f64> = xs.iter().map(|x| 1.0 / x).collect();
    // Normal equations for [a, b]: sum w [1 u; u u^2] [a; b] = sum w [y; u y].
    let (mut s0, mut s1, mut s2, mut t0, mut t1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..xs.len() {
        s0 += w[i];
        s1 += w[i] * u[i];
        s2 += w[i] * u[i] * u[i];
        t0 += w[i] * ys[i].mean;
        t1 += w[i] * u[i] * ys[i].mean;
    }
    let det = s0 * s2 - s1 * s1;
    if det.abs() <= f64::EPSILON * s0 * s2 {
        return None;
    }
    let a = (s2 * t0 - s1 * t1) / det;
    let b = (s0 * t1 - s1 * t0) / det;
    let se = if deterministic { 0.0 } else { (s2 / det).sqrt() };
    let trials = ys.iter().map(|e| e.trials).sum();
    Some((Estimate { mean: a, se, trials }, b))
}

/// Two-sample Kolmogorov-Smirnov test: the statistic D and its asymptotic p-value.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (n, m) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0_f64);
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] <= v {
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let en = (n * m / (n + m)).sqrt();
    let lambda = (en + 0.12 + 0.11 / en) * d;
    // Kolmogorov survival function Q(lambda) = 2 sum (-1)^(k-1) exp(-2 k^2 lambda^2).
    let p = if lambda < 1e-3 {
        1.0
    } else {
        (1..=100)
            .map(|k| {
                let k = k as f64;
                2.0 * (-1.0_f64).powf(k - 1.0) * (-2.0 * k * k * lambda * lambda).exp()
            })
            .sum::<f64>()
            .clamp(0.0, 1.0)
    };
    (d, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn estimate_of_known_samples() {
        let e = Estimate::from_samples(&[1.0, 2.0, 3.0, 4.0]);
        assert_relative_eq!(e.mean, 2.5);
        assert_relative_eq!(e.se, (5.0_f64 / 3.0 / 4.0).sqrt(), epsilon = 1e-15);
    }

    #[test]
    fn holm_matches_hand_computation() {
        // m = 4, alpha = 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05.
        let r = holm_reject(&[0.01, 0.04, 0.016, 0.5], 0.05);
        assert_eq!(r, vec![true, false, true, false]);
        assert_eq!(holm_reject(&[0.02, 0.01], 0.05), vec![true, true]);
    }

    #[test]
    fn extrapolation_recovers_exact_line() {
        let xs = [100.0, 400.0, 1600.0];
        let ys: Vec<Estimate> = xs.iter().map(|x| Estimate { mean: 0.3 + 2.0 / x, se: 0.01, trials: 10 }).collect();
        let (a, b) = extrapolate_inverse_size(&xs, &ys).unwrap();
        assert_relative_eq!(a.mean, 0.3, epsilon = 1e-12);
        assert_relative_eq!(b, 2.0, epsilon = 1e-9);
        // Two sizes: se(a) = sqrt(x2^2 se2^2 + x1^2 se1^2)/(x2 - x1) for x = 1/size.
        let (a2, _) = extrapolate_inverse_size(&xs[..2], &ys[..2]).unwrap();
        assert_relative_eq!(a2.se, 0.01 * (16.0_f64 + 1.0).sqrt() / 3.0, epsilon = 1e-12);
    }

    #[test]
    fn normal_tail_and_quantile_are_inverse() {
        assert_relative_eq!(normal_sf(normal_quantile(0.975)), 0.025, epsilon = 1e-9);
        assert_eq!(normal_sf(f64::INFINITY), 0.0);
    }

    #[test]
    fn ks_separates_shifted_samples() {
        let a: Vec<f64> = (0..500).map(|i| i as f64 / 500.0).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 0.2).collect();
        let c: Vec<f64> = a.iter().map(|x| x + 0.001).collect();
        assert!(ks_two_sample(&a, &b).1 < 1e-6);
        assert!(ks_two_sample(&a, &c).1 > 0.5);
    }
}
