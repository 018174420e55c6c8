//! A printed value against a bootstrap interval.
//!
//! A fitted exponent b has a percentile interval [lo, hi] at two-sided level 1 - a; with m exponents
//! in the family each interval is taken at a = alpha / m (Bonferroni), so the probability that any
//! printed exponent equal to its true value falls outside is at most alpha (up to the bootstrap's
//! coverage error). A finite-size / reading budget b >= 0 widens the interval: the printed value
//! passes when lo - b <= printed <= hi + b.

/// Two-sided level a = alpha / m of each of `m` intervals in a family at level alpha (m = 0 counts as one).
pub fn per_interval(alpha: f64, m: usize) -> f64 {
    alpha / m.max(1) as f64
}

/// Whether `printed` lies in the interval [lo, hi] widened by `budget` on both sides.
pub fn inside(printed: f64, (lo, hi): (f64, f64), budget: f64) -> bool {
    lo - budget <= printed && printed <= hi + budget
}

/// Deviation of a fitted value from the printed one beyond the budget, in bootstrap standard
/// deviations: max(|fitted - printed| - b, 0) / sd (None when sd = 0).
pub fn excess_z(fitted: f64, printed: f64, budget: f64, sd: f64) -> Option<f64> {
    (sd > 0.0).then(|| ((fitted - printed).abs() - budget).max(0.0) / sd)
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
        assert!((excess_z(1.3, 1.18, 0.05, 0.02).unwrap_or(0.0) - 3.5).abs() < 1e-9);
        assert_eq!(excess_z(1.2, 1.18, 0.05, 0.02), Some(0.0));
        assert_eq!(excess_z(1.2, 1.18, 0.05, 0.0), None);
    }
}
