//! Family-wise error control over the points of a check: Holm's step-down procedure and the
//! Bonferroni critical value.

use super::distribution::student_quantile;

/// Holm's step-down procedure: which hypotheses are rejected at family-wise level `alpha`.
/// Controls the probability of any false rejection over the whole family (no independence needed):
/// sort p ascending, reject p_(k) while p_(k) <= alpha / (m - k + 1).
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

/// One-sided Bonferroni critical value t_{1 - alpha/m} of Student's t with `dof` degrees of freedom
/// (infinite: the normal) for a family of `m` tests at family-wise level `alpha` (m = 0 counts as one).
pub fn bonferroni_t(alpha: f64, m: usize, dof: f64) -> f64 {
    student_quantile(1.0 - alpha / m.max(1) as f64, dof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn holm_matches_hand_computation() {
        // m = 4, alpha = 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05.
        let r = holm_reject(&[0.01, 0.04, 0.016, 0.5], 0.05);
        assert_eq!(r, vec![true, false, true, false]);
        assert_eq!(holm_reject(&[0.02, 0.01], 0.05), vec![true, true]);
        assert!(holm_reject(&[], 0.05).is_empty());
    }

    #[test]
    fn bonferroni_is_the_t_quantile_at_alpha_over_m() {
        let inf = f64::INFINITY;
        assert_relative_eq!(bonferroni_t(0.05, 1, inf), 1.6448536269514722, epsilon = 1e-9);
        assert_relative_eq!(bonferroni_t(0.05, 5, 10.0), student_quantile(0.99, 10.0), epsilon = 1e-12);
        assert_relative_eq!(bonferroni_t(0.05, 0, inf), bonferroni_t(0.05, 1, inf));
    }
}
