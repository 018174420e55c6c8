//! Statistics, each routine once: Monte Carlo estimates ([`Estimate`]), normal and Student tail
//! probabilities and quantiles ([`distribution`]), family-wise corrections ([`multiple`]), the paired
//! percentile bootstrap ([`bootstrap`]), weighted least squares on faer with extrapolation in size and
//! log-log power-law fits ([`regression`]), and the two-sample Kolmogorov-Smirnov test ([`ks`]).
//!
//! Nothing here knows about claims, observables or checks: the decision rules in `crate::decide` and
//! the check methods in `crate::methods` are built from these pieces.

pub mod bootstrap;
pub mod distribution;
pub mod ks;
pub mod multiple;
pub mod regression;

use serde::Serialize;

pub use bootstrap::{paired_bootstrap, percentile};
pub use distribution::{excess_p, normal_quantile, normal_sf, student_quantile, student_sf};
pub use ks::ks_two_sample;
pub use multiple::{bonferroni_t, holm_reject};
pub use regression::{LogLogFit, SizeFit, WlsFit, extrapolate_in_size, fit_log_log, wls};

/// A simulated scalar: mean, standard error of the mean, number of independent trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
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

    /// Degrees of freedom of the standard error: trials - 1 (infinite when not estimated from
    /// trials, e.g. 0 or 1 trial, where the normal applies).
    pub fn dof(&self) -> f64 {
        if self.trials > 1 { (self.trials - 1) as f64 } else { f64::INFINITY }
    }

    /// Estimate of the paired differences `b[t] - a[t]` (trials share their random numbers).
    pub fn paired(a: &[f64], b: &[f64]) -> Self {
        Estimate::from_samples(&b.iter().zip(a).map(|(x, y)| x - y).collect::<Vec<_>>())
    }
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
        assert_eq!(Estimate::from_samples(&[2.0, 2.0]).se, 0.0);
        let d = Estimate::paired(&[1.0, 2.0, 4.0], &[2.0, 4.0, 7.0]);
        assert_relative_eq!(d.mean, 2.0);
        assert_relative_eq!(d.se, (1.0_f64 / 3.0).sqrt(), epsilon = 1e-15);
    }
}
