//! Monotonicity from paired steps along one variable.
//!
//! A step k compares x_k < x_{k+1} on common random numbers: per trial D_t = s (out(x_{k+1}) -
//! out(x_k)) with s = +1 for a decreasing claim and -1 for an increasing one, so D > 0 goes against
//! the claim. With budget b >= 0 the step violates the claim when mean D exceeds b significantly:
//! p = P(Z > (mean D - b)/se), one-sided; Holm over all steps at the family level.
//!
//! A strict claim must also show the change: every step fails unless its one-sided upper confidence
//! bound stays below -b, mean D + z se < -b, with z = z_{1 - alpha/m} (Bonferroni over the m steps).
//! A strict step whose lower bound mean D - z se stays above -b falls short of the claimed change
//! (for b > 0: the change is significantly smaller than the minimum effect b) and fails. A step
//! that is neither shown nor short (its interval contains -b) is undecided: a strict claim with no
//! failing step and some undecided ones is inconclusive, not regime-limited (lack of power is not
//! evidence against the claim). With b = 0 a flat step can never be shown short, so a strict claim
//! that must be refuted somewhere by flat steps declares a minimum effect b > 0 with its reason.
//!
//! For `directions` steps the change is signed the other way (d > 0 goes the way the claim predicts)
//! and has no budget: a step fails when p = P(Z > -z), z = mean d / se, is rejected by Holm — the same
//! test as [`step_test`] of -d with b = 0.

use crate::outcome::Verdict;
use crate::outcome::details::Direction;
use crate::stats::{Estimate, bonferroni_t, excess_p, holm_reject, student_quantile, student_sf};

/// The test of one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTest {
    /// p-value of "the change against the claim is within the budget".
    pub p: f64,
    /// mean D / se (None when se = 0).
    pub z: Option<f64>,
    /// The step goes significantly against the claim (Holm).
    pub against: bool,
    /// Strict claims: the change is significantly smaller than the claimed one (lower bound of D above
    /// -b), though not against the claim beyond the budget: the step fails.
    pub short: bool,
    /// Strict claims: neither shown nor short (the interval of D contains -b): undecided.
    pub unshown: bool,
    pub pass: bool,
}

/// One step's one-sided test of D (signed so that > 0 goes against the claim) against budget b.
pub fn step_test(d: Estimate, budget: f64) -> (f64, Option<f64>) {
    let p = excess_p(d.mean - budget, d.se, d.dof());
    (p, (d.se > 0.0).then(|| d.mean / d.se))
}

/// The decision over all steps: Holm on the one-sided p-values; for a strict claim every step must
/// also show the claimed change beyond the budget.
pub fn steps(changes: &[Estimate], budget: f64, alpha: f64, strict: bool) -> Vec<StepTest> {
    let tests: Vec<(f64, Option<f64>)> = changes.iter().map(|d| step_test(*d, budget)).collect();
    let p: Vec<f64> = tests.iter().map(|t| t.0).collect();
    let m = changes.len();
    tests
        .iter()
        .zip(holm_reject(&p, alpha))
        .zip(changes)
        .map(|((&(p, z), reject), d)| {
            // Upper bound of D at or above -b: the claimed change is not shown.
            let t = bonferroni_t(alpha, m, d.dof());
            let not_shown = !reject && strict && d.mean + t * d.se >= -budget;
            // The whole interval lies above -b: the change is significantly short of the claimed one.
            let short = not_shown && d.mean - t * d.se > -budget;
            StepTest { p, z, against: reject, short, unshown: not_shown && !short, pass: !reject && !not_shown }
        })
        .collect()
}

/// The statistic z = mean / se of a paired step (+-inf by the mean's sign when se = 0).
pub fn step_z(d: Estimate) -> f64 {
    if d.se > 0.0 {
        d.mean / d.se
    } else if d.mean < 0.0 {
        -f64::INFINITY
    } else {
        f64::INFINITY
    }
}

/// p-value of "the step goes the claimed way or not at all": P(T > -z), T Student's t with the
/// step's degrees of freedom (trials - 1 of its paired differences).
pub fn against_p(z: f64, dof: f64) -> f64 {
    student_sf(-z, dof)
}

/// Which steps go significantly against the claim (Holm over the steps at level `alpha`), from
/// (z, dof) per step.
pub fn against(zs: &[(f64, f64)], alpha: f64) -> Vec<bool> {
    let p: Vec<f64> = zs.iter().map(|(z, dof)| against_p(*z, *dof)).collect();
    holm_reject(&p, alpha)
}

/// The tag of a step at one-sided level `alpha` (no multiplicity correction: for reading):
/// claimed way when z > t_{1-alpha}, against when z < -t_{1-alpha}.
pub fn direction(z: f64, alpha: f64, dof: f64) -> Direction {
    let zq = student_quantile(1.0 - alpha, dof);
    if z > zq {
        Direction::Claimed
    } else if z < -zq {
        Direction::Against
    } else {
        Direction::NotSignificant
    }
}

/// Holds when no step goes against, refuted when all do, regime-limited otherwise.
pub fn verdict(against: usize, steps: usize) -> Verdict {
    match against {
        0 => Verdict::Holds,
        f if f == steps => Verdict::Refuted,
        _ => Verdict::RegimeLimited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(mean: f64, se: f64) -> Estimate {
        Estimate { mean, se, trials: 0 }
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
        // -0.2 +- 0.2576 contains -0.1: undecided, not short.
        assert!(t[1].unshown && !t[1].short && !t[1].against);
        // 0.05 +- 0.026 lies above -0.1 (and within the budget +0.1): short of the change, a failure.
        let flat = steps(&[est(0.05, 0.01)], 0.1, 0.01, true)[0];
        assert!(flat.short && !flat.unshown && !flat.against && !flat.pass);
        assert!(steps(&[est(-0.2, 0.1)], 0.1, 0.01, false)[0].pass);
    }

    #[test]
    fn steps_by_hand() {
        assert!((step_z(est(0.3, 0.1)) - 3.0).abs() < 1e-12);
        assert_eq!(step_z(est(-0.3, 0.0)), -f64::INFINITY);
        assert_eq!(step_z(est(0.0, 0.0)), f64::INFINITY);
        // Normal (infinite dof): z = -4 against: p = P(Z > 4) = 3.2e-5 < 0.01 / 2; z = 1: p = 0.84, kept.
        let inf = f64::INFINITY;
        assert_eq!(against(&[(-4.0, inf), (1.0, inf)], 0.01), vec![true, false]);
        assert_eq!(direction(3.0, 0.01, inf), Direction::Claimed);
        assert_eq!(direction(-3.0, 0.01, inf), Direction::Against);
        assert_eq!(direction(2.0, 0.01, inf), Direction::NotSignificant);
        // Few trials: with 6 (5 dof) z = -3 is not significant at 0.01 (P(T_5 > 3) = 0.015, while
        // P(Z > 3) = 0.0013), and z = 3 is no longer a shown step (t_{0.99, 5} = 3.36).
        assert_eq!(against(&[(-3.0, 5.0)], 0.01), vec![false]);
        assert_eq!(against(&[(-3.0, inf)], 0.01), vec![true]);
        assert_eq!(direction(3.0, 0.01, 5.0), Direction::NotSignificant);
        assert_eq!(verdict(0, 3), Verdict::Holds);
        assert_eq!(verdict(1, 3), Verdict::RegimeLimited);
        assert_eq!(verdict(3, 3), Verdict::Refuted);
    }
}
