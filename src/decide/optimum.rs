//! Existence and trend of a simulated interior optimum.
//!
//! At every point the loss L(g) is simulated on a sweep g_1 < ... < g_K with common random numbers
//! and its optimum located with a percentile bootstrap interval [lo, hi]. An interior optimum exists
//! when the mean curve's minimum is interior, both interval ends are finite (the resampled optimum
//! does not run off to either end of the sweep), and the loss rises significantly from the grid
//! minimum i to both ends: with paired differences R_t = L_t(g_end) - L_t(g_i),
//! min over the two ends of mean R / se(R) > z_{1 - alpha/n} (one-sided Bonferroni over n points).
//!
//! Along the claim's variable the optimum must not move the wrong way significantly: for a
//! decreasing trend a point fails when its interval lies entirely above the previous point's
//! (lo > hi_prev), for an increasing trend when it lies entirely below (hi < lo_prev). The previous
//! point must have a finite interval; a point without an optimum already fails.

use crate::stats::Estimate;

/// What the bootstrap found at one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    /// The mean curve's minimum is interior.
    pub interior: bool,
    /// Bootstrap interval ends (None at infinity).
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    /// Smallest paired rise to the ends, in standard errors ([`rise_z`]).
    pub rise_z: f64,
}

/// Smallest paired rise, in standard errors, from the minimum of `means` to the first and the last
/// column of `losses` (`losses[k][t]`: trial t at sweep value k); +inf for an exact positive rise,
/// 0 for an exact non-positive one.
pub fn rise_z(means: &[f64], losses: &[Vec<f64>]) -> f64 {
    let i = (0..means.len()).min_by(|&a, &b| means[a].total_cmp(&means[b])).unwrap_or(0);
    let z = |end: usize| {
        let e = Estimate::paired(&losses[i], &losses[end]);
        if e.se > 0.0 {
            e.mean / e.se
        } else if e.mean > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    };
    z(0).min(z(losses.len() - 1))
}

/// Whether an interior optimum is shown at one point (critical value `z_crit`).
pub fn exists(f: &Found, z_crit: f64) -> bool {
    f.interior && f.lo.is_some() && f.hi.is_some() && f.rise_z > z_crit
}

/// Whether an existing optimum moved the wrong way from the previous point: its interval entirely on
/// the wrong side of a finite previous interval (`decreasing`: the claimed trend).
pub fn wrong_way(previous: Option<&Found>, current: &Found, decreasing: bool) -> bool {
    match previous {
        Some(p) if p.lo.is_some() && p.hi.is_some() => {
            if decreasing {
                current.lo.unwrap_or(0.0) > p.hi.unwrap_or(f64::INFINITY)
            } else {
                current.hi.unwrap_or(f64::INFINITY) < p.lo.unwrap_or(0.0)
            }
        }
        _ => false,
    }
}

/// Pass flags of the points along one line of the trend variable (in its order); `trend` is the
/// claimed direction (true: decreasing), None when only existence is claimed.
pub fn along(line: &[Found], z_crit: f64, trend: Option<bool>) -> Vec<bool> {
    let mut previous: Option<&Found> = None;
    let mut pass = Vec::with_capacity(line.len());
    for f in line {
        let ok = exists(f, z_crit);
        let wrong = ok && trend.is_some_and(|decreasing| wrong_way(previous, f, decreasing));
        pass.push(ok && !wrong);
        previous = Some(f);
    }
    pass
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(lo: f64, hi: f64) -> Found {
        Found { interior: true, lo: Some(lo), hi: Some(hi), rise_z: 5.0 }
    }

    #[test]
    fn existence_needs_an_interior_finite_interval_and_a_rise() {
        assert!(exists(&found(1.0, 2.0), 2.3));
        assert!(!exists(&Found { hi: None, ..found(1.0, 2.0) }, 2.3));
        assert!(!exists(&Found { rise_z: 2.0, ..found(1.0, 2.0) }, 2.3));
        assert!(!exists(&Found { interior: false, ..found(1.0, 2.0) }, 2.3));
    }

    #[test]
    fn a_trend_fails_only_when_intervals_separate_the_wrong_way() {
        let line = [found(1.0, 2.0), found(1.5, 3.0), found(3.5, 4.0)];
        assert_eq!(along(&line, 2.3, Some(true)), vec![true, true, false]);
        assert_eq!(along(&line, 2.3, Some(false)), vec![true, true, true]);
        let down = [found(3.5, 4.0), found(1.0, 2.0)];
        assert_eq!(along(&down, 2.3, Some(false)), vec![true, false]);
        assert_eq!(along(&down, 2.3, None), vec![true, true]);
    }

    #[test]
    fn rise_is_paired() {
        // A common trial offset cancels in the paired differences.
        let losses = vec![vec![2.0, 12.0, 22.0], vec![1.0, 11.0, 21.0], vec![2.5, 12.4, 22.6]];
        let means: Vec<f64> = losses.iter().map(|l| l.iter().sum::<f64>() / 3.0).collect();
        // Rise to the first end is exactly 1 (+inf), to the last 1.5, 1.4, 1.6: mean 1.5, se 0.0577.
        let z = rise_z(&means, &losses);
        assert!((z - 1.5 / (0.01_f64 / 3.0).sqrt()).abs() < 1e-9, "{z}");
    }
}
