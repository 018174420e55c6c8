//! Existence of an exceedance: the output exceeds a constant bound somewhere on a grid.
//!
//! At each point the mean output m (standard error se from T trials) gives z = (m - bound) / se
//! (+-inf by the sign of m - bound when se = 0) and the one-sided p = P(T_{T-1} > z) of "m <= bound"
//! (Student's t: the standard error is itself estimated). Holm's procedure at the
//! family level marks the significant points; the claim holds when at least one is significant. If
//! the output is at most the bound everywhere, the probability of holding is at most alpha.
//!
//! The claim is refuted only when every point is significantly at most the bound: P(T < z) <= alpha
//! at each point (an intersection-union test: if the claim holds at some point, that point passes
//! this test with probability at most alpha, so a true claim is refuted with probability at most
//! alpha without a multiplicity correction). Otherwise the check is inconclusive: a gain that is not
//! detected is not shown absent.

use crate::outcome::Verdict;
use crate::stats::{Estimate, holm_reject, student_sf};

/// The statistic z = (mean - bound) / se.
pub fn exceedance_z(e: Estimate, bound: f64) -> f64 {
    if e.se > 0.0 {
        (e.mean - bound) / e.se
    } else if e.mean > bound {
        f64::INFINITY
    } else {
        -f64::INFINITY
    }
}

/// One-sided p-value of "mean <= bound" from z and the degrees of freedom of its standard error.
pub fn exceedance_p(z: f64, dof: f64) -> f64 {
    student_sf(z, dof)
}

/// Which points exceed the bound significantly (Holm at `alpha`), from (z, dof) per point.
pub fn significant(zs: &[(f64, f64)], alpha: f64) -> Vec<bool> {
    let p: Vec<f64> = zs.iter().map(|(z, dof)| exceedance_p(*z, *dof)).collect();
    holm_reject(&p, alpha)
}

/// Holds when at least one point is significant; refuted when every point of (z, dof) is
/// significantly at most the bound at level `alpha`; inconclusive otherwise.
pub fn verdict(significant: &[bool], zs: &[(f64, f64)], alpha: f64) -> Verdict {
    if significant.iter().any(|s| *s) {
        Verdict::Holds
    } else if zs.iter().all(|(z, dof)| student_sf(-z, *dof) <= alpha) {
        Verdict::Refuted
    } else {
        Verdict::Inconclusive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceedance_by_hand() {
        let e = |mean, se| Estimate { mean, se, trials: 10 };
        assert!((exceedance_z(e(0.3, 0.1), 0.0) - 3.0).abs() < 1e-12);
        assert_eq!(exceedance_z(e(0.3, 0.0), 0.0), f64::INFINITY);
        assert_eq!(exceedance_z(e(0.0, 0.0), 0.0), -f64::INFINITY);
        // Normal (infinite dof): p = P(Z > 4) = 3.2e-5 <= 0.01 / 2; P(Z > 2) = 0.023 > 0.01.
        let inf = f64::INFINITY;
        let s = significant(&[(4.0, inf), (2.0, inf)], 0.01);
        assert_eq!(s, vec![true, false]);
        assert_eq!(verdict(&s, &[(4.0, inf), (2.0, inf)], 0.01), Verdict::Holds);
        // Both significantly below the bound (P(Z < -3) = 0.0013 <= 0.01): refuted; one only: not.
        assert_eq!(verdict(&[false, false], &[(-3.0, inf), (-4.0, inf)], 0.01), Verdict::Refuted);
        assert_eq!(verdict(&[false, false], &[(-3.0, inf), (1.0, inf)], 0.01), Verdict::Inconclusive);
        // With 4 trials (3 dof) z = 4 is not significant at 0.005: P(T_3 > 4) = 0.014.
        assert_eq!(significant(&[(4.0, 3.0)], 0.01), vec![false]);
    }
}
