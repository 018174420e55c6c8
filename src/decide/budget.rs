//! Comparisons within a budget.
//!
//! A point's residual r = simulated - claimed is estimated as mean r with standard error se. With a
//! budget b >= 0 (finite-size / numerical allowance) the deviation towards violation is
//! - equality: |r|, two-sided: p = min(1, 2 P(Z > (|r| - b)/se));
//! - "at most" (simulated <= claimed): r, one-sided: p = P(Z > (r - b)/se);
//! - "at least": -r likewise.
//!
//! Holm's procedure over the points at the family level rejects (fails) points; the family-wise
//! probability of failing a point whose true deviation is within b is at most alpha.
//!
//! A strict inequality must be shown, not merely not contradicted: a point passes only when the
//! margin m (r for "at least", -r for "at most") clears the budget with confidence,
//! m - b > z_{1 - alpha/n} se (one-sided Bonferroni over the n points).

use crate::outcome::PointOutcome;
use crate::stats::{Estimate, bonferroni_t, excess_p, holm_reject};

/// Which way a comparison can be violated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    /// simulated = claimed (two-sided).
    Equal,
    /// simulated <= claimed.
    AtMost,
    /// simulated >= claimed.
    AtLeast,
}

/// The test of one point: p-value of "the deviation is within the budget", and the statistic z
/// (r / se for equalities, the deviation towards violation / se for inequalities; None when se = 0).
pub fn budget_test(residual: Estimate, budget: f64, sense: Sense) -> (f64, Option<f64>) {
    let r = residual.mean;
    let signed = match sense {
        Sense::Equal => r.abs(),
        Sense::AtMost => r,
        Sense::AtLeast => -r,
    };
    let tail = excess_p(signed - budget, residual.se, residual.dof());
    let two_sided = sense == Sense::Equal;
    let p = if two_sided { (2.0 * tail).min(1.0) } else { tail };
    let z = (residual.se > 0.0).then(|| (if two_sided { r } else { signed }) / residual.se);
    (p, z)
}

/// Holm's procedure over the points' p-values: rejected points fail.
pub fn holm(points: &mut [PointOutcome], alpha: f64) {
    let p: Vec<f64> = points.iter().map(|r| r.p).collect();
    for (r, reject) in points.iter_mut().zip(holm_reject(&p, alpha)) {
        r.pass = !reject;
    }
}

/// Whether a margin m (the claimed effect, > 0 in its direction) is shown beyond the budget:
/// m - b > z se.
pub fn shown(margin: f64, budget: f64, se: f64, z: f64) -> bool {
    margin - budget > z * se
}

/// Strict inequality: every point must show its margin beyond the budget (one-sided Bonferroni over
/// the points); sets pass and p (1 shown, 0 not). Undefined points fail.
pub fn strict(points: &mut [PointOutcome], alpha: f64, sense: Sense) {
    let m = points.len();
    for r in points {
        let margin = if sense == Sense::AtMost { -r.residual } else { r.residual };
        let (se, dof) = r.simulated.map_or((0.0, f64::INFINITY), |s| (s.se, s.dof()));
        r.pass = !r.undefined && shown(margin, r.budget, se, bonferroni_t(alpha, m, dof));
        r.p = if r.pass { 1.0 } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn est(mean: f64, se: f64) -> Estimate {
        Estimate { mean, se, trials: 0 }
    }

    #[test]
    fn budget_test_by_hand() {
        // |r| - b = 0.2 - 0.1 = 0.1 = 1 se: two-sided p = 2 P(Z > 1) = 0.3173.
        let (p, z) = budget_test(est(-0.2, 0.1), 0.1, Sense::Equal);
        assert_relative_eq!(p, 0.31731050786291415, epsilon = 1e-9);
        assert_relative_eq!(z.unwrap(), -2.0);
        // At most: r = -0.2 is on the right side: p = P(Z > -3) and z = -2.
        let (p, z) = budget_test(est(-0.2, 0.1), 0.1, Sense::AtMost);
        assert_relative_eq!(p, 0.9986501019683699, epsilon = 1e-9);
        assert_relative_eq!(z.unwrap(), -2.0);
        // Deterministic: fails exactly when beyond the budget.
        assert_eq!(budget_test(est(0.3, 0.0), 0.1, Sense::Equal), (0.0, None));
        assert_eq!(budget_test(est(0.05, 0.0), 0.1, Sense::AtLeast).0, 1.0);
        // Few trials: Student's t with trials - 1 = 9 dof, P(T_9 > 1) = 0.171718 (tables), two-sided.
        let (p, _) = budget_test(Estimate { mean: -0.2, se: 0.1, trials: 10 }, 0.1, Sense::Equal);
        assert_relative_eq!(p, 2.0 * 0.171718, epsilon = 1e-5);
    }

    #[test]
    fn strict_needs_the_margin_beyond_the_budget() {
        let mut pts: Vec<PointOutcome> = [0.5, 0.04]
            .iter()
            .map(|m| PointOutcome {
                residual: *m,
                simulated: Some(est(*m, 0.01)),
                budget: 0.02,
                ..PointOutcome::at(Default::default())
            })
            .collect();
        strict(&mut pts, 0.01, Sense::AtLeast);
        assert!(pts[0].pass && !pts[1].pass, "0.04 - 0.02 < z(0.995) 0.01 must fail");
        strict(&mut pts, 0.01, Sense::AtMost);
        assert!(!pts[0].pass && !pts[1].pass);
    }
}
