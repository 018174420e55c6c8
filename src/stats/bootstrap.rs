//! The paired percentile bootstrap, the one resampling routine of tlcheck.
//!
//! Columns `cols[k]` hold the per-trial values of point k; trials share their random numbers across
//! points (common random numbers), so a resample draws n trial indices with replacement and uses the
//! same indices in every column ("paired"). Each resample gives the column means
//! `m_k* = (1/n) sum_t cols[k][i_t]`; a statistic of the means is recomputed on every resample and its
//! percentile interval [F*^{-1}(a/2), F*^{-1}(1 - a/2)] estimates the two-sided (1 - a) interval.
//! For columns with independent trials (no common random numbers) the same resampling is still a
//! valid bootstrap of each column's mean.
//!
//! At a small level a (the engine's per-check alpha is about 1e-4) a percentile interval reads the
//! a/2 tail of B resamples, which holds about a B / 2 of them: it needs B >> 2 / a (tens of
//! thousands) to be more than an extreme order statistic. [`se_interval`] uses the resamples only for
//! the standard deviation of the statistic (relative error about 1 / sqrt(2 B) at any a) and takes the
//! tail from Student's t: estimate +- t_{1 - a/2, dof} sd*, a normal-theory interval that is well
//! conditioned at any level when the statistic is close to normal (a smooth function of means).

use rand::RngExt;

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Bootstrap replicates of `statistic` over `draws` paired resamples of the trials of `cols` (all of
/// equal length n >= 1). `statistic` maps the resampled column means to a vector; `None` drops that
/// resample (e.g. a fit that is undefined on it).
pub fn paired_bootstrap<F>(cols: &[&[f64]], draws: usize, rng: &mut Rng, mut statistic: F) -> Result<Vec<Vec<f64>>>
where
    F: FnMut(&[f64]) -> Result<Option<Vec<f64>>>,
{
    let n = cols.first().map_or(0, |c| c.len());
    if n == 0 || draws == 0 || cols.iter().any(|c| c.len() != n) {
        return Err(Error::input("bootstrap needs columns of equal, non-zero length and at least one resample"));
    }
    let mut idx = vec![0usize; n];
    let mut means = vec![0.0; cols.len()];
    let mut replicates = Vec::with_capacity(draws);
    for _ in 0..draws {
        for i in idx.iter_mut() {
            *i = rng.random_range(0..n);
        }
        for (m, c) in means.iter_mut().zip(cols) {
            *m = idx.iter().map(|&i| c[i]).sum::<f64>() / n as f64;
        }
        if let Some(s) = statistic(&means)? {
            replicates.push(s);
        }
    }
    Ok(replicates)
}

/// The p-quantile of sorted values by the inverse empirical distribution function,
/// x_(ceil(p n)) (1-based; p = 0 gives the smallest); None for no values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    let k = ((p * n as f64).ceil() as usize).clamp(1, n.max(1));
    sorted.get(k - 1).copied()
}

/// Two-sided percentile interval at level 1 - `alpha` of the `i`-th statistic of the replicates
/// (NaN replicates are dropped); None when none is left.
pub fn percentile_interval(replicates: &[Vec<f64>], i: usize, alpha: f64) -> Option<(f64, f64)> {
    let mut xs: Vec<f64> = replicates.iter().map(|r| r[i]).filter(|x| !x.is_nan()).collect();
    xs.sort_by(f64::total_cmp);
    Some((percentile(&xs, alpha / 2.0)?, percentile(&xs, 1.0 - alpha / 2.0)?))
}

/// Bootstrap standard error of the `i`-th statistic of the replicates (NaN replicates dropped) from
/// resamples of `trials` trials: the replicates' standard deviation times sqrt(T / (T - 1)), which
/// removes the plug-in bias of resampling (the resampled mean of T values has variance
/// (T - 1)/T s^2/T, not s^2/T). None for fewer than two replicates.
pub fn bootstrap_se(replicates: &[Vec<f64>], i: usize, trials: usize) -> Option<f64> {
    let xs: Vec<f64> = replicates.iter().map(|r| r[i]).filter(|x| !x.is_nan()).collect();
    if xs.len() < 2 {
        return None;
    }
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64;
    let t = trials.max(2) as f64;
    Some((var * t / (t - 1.0)).sqrt())
}

/// Two-sided interval at level 1 - `alpha` around `estimate` with standard error `se`:
/// estimate +- t_{1 - alpha/2, dof} se (Student's t with `dof` degrees of freedom, the normal for
/// infinite `dof`).
pub fn se_interval(estimate: f64, se: f64, alpha: f64, dof: f64) -> (f64, f64) {
    let half = crate::stats::student_quantile(1.0 - alpha / 2.0, dof) * se;
    (estimate - half, estimate + half)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::sim::gaussian::normal;

    #[test]
    fn percentile_is_the_inverse_ecdf() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&xs, 0.0), Some(1.0));
        assert_eq!(percentile(&xs, 0.25), Some(1.0));
        assert_eq!(percentile(&xs, 0.26), Some(2.0));
        assert_eq!(percentile(&xs, 1.0), Some(4.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    /// The bootstrap interval of a mean covers the true mean at about its nominal rate, and its
    /// half-width matches z se.
    #[test]
    fn interval_of_a_mean_has_nominal_coverage() {
        let mut rng = Rng::seed_from_u64(5);
        let (reps, n, alpha) = (300, 50, 0.1);
        let mut covered = 0;
        for _ in 0..reps {
            let col: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
            let boot = paired_bootstrap(&[&col], 400, &mut rng, |m| Ok(Some(vec![m[0]]))).unwrap();
            let (lo, hi) = percentile_interval(&boot, 0, alpha).unwrap();
            covered += usize::from(lo <= 0.0 && 0.0 <= hi);
        }
        let rate = covered as f64 / reps as f64;
        // Nominal 0.9; binomial se 0.017 over 300 replications, and the percentile interval is a bit
        // short at n = 50.
        assert!((0.83..=0.96).contains(&rate), "coverage {rate}");
    }

    /// The standard-error interval of a mean at alpha = 1e-4 is the t interval: half-width
    /// t_{1 - 5e-5, n - 1} s / sqrt(n) up to the bootstrap's error (a few per cent from 2000 resamples).
    #[test]
    fn se_interval_is_the_t_interval_at_small_alpha() {
        let mut rng = Rng::seed_from_u64(7);
        let n = 48;
        let col: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
        let boot = paired_bootstrap(&[&col], 2000, &mut rng, |m| Ok(Some(vec![m[0]]))).unwrap();
        let mean = col.iter().sum::<f64>() / n as f64;
        let se = bootstrap_se(&boot, 0, n).unwrap();
        let (lo, hi) = se_interval(mean, se, 1e-4, (n - 1) as f64);
        let s = (col.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt();
        let t_half = crate::stats::student_quantile(1.0 - 5e-5, (n - 1) as f64) * s / (n as f64).sqrt();
        assert!((lo + hi - 2.0 * mean).abs() < 1e-12);
        assert!(((hi - lo) / 2.0 / t_half - 1.0).abs() < 0.05, "{} vs {t_half}", (hi - lo) / 2.0);
        assert_eq!(bootstrap_se(&boot[..1], 0, n), None);
    }

    #[test]
    fn paired_resampling_uses_the_same_trials_in_every_column() {
        let a = [1.0, 2.0, 3.0];
        let b = [11.0, 12.0, 13.0];
        let mut rng = Rng::seed_from_u64(1);
        let boot = paired_bootstrap(&[&a, &b], 50, &mut rng, |m| Ok(Some(vec![m[1] - m[0]]))).unwrap();
        assert!(boot.iter().all(|r| (r[0] - 10.0).abs() < 1e-12));
        assert!(paired_bootstrap(&[&a, &b[..2]], 5, &mut rng, |_| Ok(None)).is_err());
    }
}
