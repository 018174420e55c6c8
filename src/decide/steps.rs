//! Monotonicity from paired steps along one variable.
//!
//! A step k compares x_k < x_{k+1} on common random numbers: per trial D_t = s (out(x_{k+1}) -
//! out(x_k)) with s = +1 for a decreasing claim and -1 for an increasing one, so D > 0 goes against
//! the claim. With budget b >= 0 the step violates the claim when mean D exceeds b significantly:
//! p = P(Z > (mean D - b)/se), one-sided; Holm over all steps at the family level.
//!
//! A strict claim must also show the change: every step fails unless its one-sided upper confidence
//! bound stays below -b, mean D + z se < -b, with z = z_{1 - alpha/m} (Bonferroni over the m steps).

use crate::stats::{Estimate, bonferroni_z, excess_p, holm_reject};

/// The test of one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTest {
    /// p-value of "the change against the claim is within the budget".
    pub p: f64,
    /// mean D / se (None when se = 0).
    pub z: Option<f64>,
    pub pass: bool,
}

/// One step's one-sided test of D (signed so that > 0 goes against the claim) against budget b.
pub fn step_test(d: Estimate, budget: f64) -> (f64, Option<f64>) {
    let p = excess_p(d.mean - budget, d.se);
    (p, (d.se > 0.0).then(|| d.mean / d.se))
}

/// The decision over all steps: Holm on the one-sided p-values; for a strict claim every step must
/// also show the claimed change beyond the budget.
pub fn steps(changes: &[Estimate], budget: f64, alpha: f64, strict: bool) -> Vec<StepTest> {
    let tests: Vec<(f64, Option<f64>)> = changes.iter().map(|d| step_test(*d, budget)).collect();
    let p: Vec<f64> = tests.iter().map(|t| t.0).collect();
    let z_strict = bonferroni_z(alpha, changes.len());
    tests
        .iter()
        .zip(holm_reject(&p, alpha))
        .zip(changes)
        .map(|((&(p, z), reject), d)| {
            // Upper bound of D at or above -b: the claimed change is not shown.
            let unshown = strict && d.mean + z_strict * d.se >= -budget;
            StepTest { p, z, pass: !reject && !unshown }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(mean: f64, se: f64) -> Estimate {
        Estimate { mean, se, trials: 20 }
    }

    #[test]
    fn a_significant_step_against_the_claim_fails() {
        // (0.5 - 0.1)/0.1 = 4 se: p = 3.2e-5, rejected by Holm at 0.01 over two steps.
        let t = steps(&[est(0.5, 0.1), est(0.0, 0.1)], 0.1, 0.01, false);
        assert!(!t[0].pass && t[1].pass);
        assert!((t[0].p - 3.167124183311998e-5).abs() < 1e-12);
        assert_eq!(t[0].z, Some(5.0));
        // Within the budget: passes even when exactly measured.
        assert!(steps(&[est(0.05, 0.0)], 0.1, 0.01, false)[0].pass);
        assert_eq!(step_test(est(0.2, 0.0), 0.1), (0.0, None));
    }

    #[test]
    fn strict_steps_must_show_the_change() {
        // z_{0.995} = 2.576: -0.5 + 2.576 * 0.1 < -0.1 is shown; -0.2 + 0.2576 is not.
        let t = steps(&[est(-0.5, 0.1), est(-0.2, 0.1)], 0.1, 0.01, true);
        assert!(t[0].pass && !t[1].pass);
        assert!(steps(&[est(-0.2, 0.1)], 0.1, 0.01, false)[0].pass);
    }
}
