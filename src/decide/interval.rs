//! A printed value against an interval of a fitted one.
//!
//! A fitted exponent b has an interval [lo, hi] at two-sided level 1 - a; with m exponents in the
//! family each interval is taken at a = alpha / m (Bonferroni), so the probability that any printed
//! exponent equal to its true value falls outside is at most alpha (up to the interval's coverage
//! error). A finite-size / reading budget b >= 0 widens the interval: the printed value passes when
//! lo - b <= printed <= hi + b.
//!
//! Intervals of smooth statistics of paired column means ([`linearised`], [`t_interval`]): the
//! order-parameter methods decide at a ~ 1e-5 (the engine's per-claim rate split over checks and
//! exponents), a level that percentile bootstrap intervals with a few hundred or thousand resamples
//! cannot resolve (their end points are then the extreme resamples). Instead the statistic S(m) of
//! the column means m is linearised: with the gradient G = dS/dm (central differences) every trial
//! t has the influence I_t = sum_k G_k (y_tk - m_k), the same trial index in every column (common
//! random numbers), so the correlation between columns is kept. The delta-method standard error is
//! se = sqrt(sum_t I_t^2 / (n (n - 1))), the standard error of the mean of the I_t, and the interval
//! is S +- t_{1 - a/2, n - 1} se: exact for a linear statistic of Gaussian trials, asymptotically
//! exact otherwise, and deterministic (no resampling noise in its tail quantile).

use crate::error::{Error, Result};
use crate::stats::student_quantile;

/// Two-sided level a = alpha / m of each of `m` intervals in a family at level alpha (m = 0 counts as one).
pub fn per_interval(alpha: f64, m: usize) -> f64 {
    alpha / m.max(1) as f64
}

/// Whether `printed` lies in the interval [lo, hi] widened by `budget` on both sides.
pub fn inside(printed: f64, (lo, hi): (f64, f64), budget: f64) -> bool {
    lo - budget <= printed && printed <= hi + budget
}

/// The largest deviation from `printed` that the interval [lo, hi] does not exclude:
/// max(hi - printed, printed - lo) (the resolution of a passing exponent).
pub fn not_excluded(printed: f64, (lo, hi): (f64, f64)) -> f64 {
    (hi - printed).max(printed - lo)
}

/// Deviation of a fitted value from the printed one beyond the budget, in bootstrap standard
/// deviations: max(|fitted - printed| - b, 0) / sd (None when sd = 0).
pub fn excess_z(fitted: f64, printed: f64, budget: f64, sd: f64) -> Option<f64> {
    (sd > 0.0).then(|| ((fitted - printed).abs() - budget).max(0.0) / sd)
}

/// A statistic with its delta-method standard error over `trials` paired trials.
#[derive(Debug, Clone, PartialEq)]
pub struct Linearised {
    pub value: Vec<f64>,
    pub se: Vec<f64>,
    pub trials: usize,
}

impl Linearised {
    /// The interval of component `i` at two-sided level `a`.
    pub fn interval(&self, i: usize, a: f64) -> (f64, f64) {
        t_interval(self.value[i], self.se[i], self.trials, a)
    }
}

/// S(m) of the column means of `cols` (columns of equal length n >= 2, trial t the same in every
/// column) with delta-method standard errors; `stat` must be smooth near m.
pub fn linearised<F>(cols: &[&[f64]], stat: F) -> Result<Linearised>
where
    F: Fn(&[f64]) -> Result<Vec<f64>>,
{
    let n = cols.first().map_or(0, |c| c.len());
    if n < 2 || cols.iter().any(|c| c.len() != n) {
        return Err(Error::input("a delta-method interval needs columns of equal length, at least 2 trials"));
    }
    let means: Vec<f64> = cols.iter().map(|c| c.iter().sum::<f64>() / n as f64).collect();
    let value = stat(&means)?;
    let mut influence = vec![vec![0.0; n]; value.len()];
    let mut shifted = means.clone();
    for (k, col) in cols.iter().enumerate() {
        let sd = (col.iter().map(|y| (y - means[k]).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        if sd == 0.0 {
            continue;
        }
        // A step of a thousandth of the mean's standard error: far inside the statistic's smooth range.
        let h = 1e-3 * sd / (n as f64).sqrt();
        shifted[k] = means[k] + h;
        let up = stat(&shifted)?;
        shifted[k] = means[k] - h;
        let down = stat(&shifted)?;
        shifted[k] = means[k];
        for (i, infl) in influence.iter_mut().enumerate() {
            let g = (up[i] - down[i]) / (2.0 * h);
            for (t, y) in col.iter().enumerate() {
                infl[t] += g * (y - means[k]);
            }
        }
    }
    let se = influence.iter().map(|infl| (infl.iter().map(|x| x * x).sum::<f64>() / (n * (n - 1)) as f64).sqrt());
    let se: Vec<f64> = se.collect();
    if value.iter().chain(&se).any(|x| !x.is_finite()) {
        return Err(Error::numerical("the statistic or its delta-method standard error is not finite"));
    }
    Ok(Linearised { value, se, trials: n })
}

/// value +- t_{1 - a/2, n - 1} se: the two-sided Student interval at level 1 - a.
pub fn t_interval(value: f64, se: f64, trials: usize, a: f64) -> (f64, f64) {
    let half = student_quantile(1.0 - a / 2.0, trials.saturating_sub(1) as f64) * se;
    (value - half, value + half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_widens_by_the_budget() {
        assert!(inside(1.0, (0.9, 1.1), 0.0));
        assert!(!inside(1.2, (0.9, 1.1), 0.0));
        assert!(inside(1.15, (0.9, 1.1), 0.05));
        assert!(!inside(0.84, (0.9, 1.1), 0.05));
        assert_eq!(per_interval(0.01, 4), 0.0025);
        assert_eq!(per_interval(0.01, 0), 0.01);
        assert!((not_excluded(1.0, (0.9, 1.3)) - 0.3).abs() < 1e-12);
        assert!((excess_z(1.3, 1.18, 0.05, 0.02).unwrap_or(0.0) - 3.5).abs() < 1e-9);
        assert_eq!(excess_z(1.2, 1.18, 0.05, 0.02), Some(0.0));
        assert_eq!(excess_z(1.2, 1.18, 0.05, 0.0), None);
    }

    /// For a linear statistic the delta-method se is the paired standard error, by hand.
    #[test]
    fn linearised_se_of_a_paired_difference_by_hand() {
        let a = [1.0, 2.0, 4.0, 5.0];
        let b = [2.0, 2.5, 5.0, 7.5];
        let s = linearised(&[&a, &b], |m| Ok(vec![m[1] - m[0], 2.0 * m[0]])).unwrap();
        // Differences 1, 0.5, 1, 2.5: mean 1.25, sd^2 = 0.75, se = sqrt(0.75 / 4).
        assert!((s.value[0] - 1.25).abs() < 1e-12);
        assert!((s.se[0] - (0.75f64 / 4.0).sqrt()).abs() < 1e-9, "{:?}", s.se);
        // 2 a: sd^2 of a = 10/3, se of 2 mean(a) = 2 sqrt(10/12).
        assert!((s.se[1] - 2.0 * (10.0f64 / 12.0).sqrt()).abs() < 1e-9, "{:?}", s.se);
        // t_{0.975, 3} = 3.182.
        let (lo, hi) = s.interval(0, 0.05);
        assert!((hi - lo - 2.0 * 3.182446 * s.se[0]).abs() < 1e-5);
        assert!(linearised(&[&a[..1]], |m| Ok(m.to_vec())).is_err());
        assert!(linearised(&[&a, &b], |_| Ok(vec![f64::NAN])).is_err());
    }
}
