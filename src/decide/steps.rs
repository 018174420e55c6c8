//! Paired steps against a claimed direction.
//!
//! Along a swept constituent, consecutive values a -> b share their trials' random numbers, so the
//! change of the output is estimated from the paired differences d_t = s (y_t(b) - y_t(a)), signed by
//! s = -sign(Gamma(b) - Gamma(a)) so that d > 0 goes the way the claim predicts (the output falls
//! where Gamma rises). With z = mean d / se, a step goes significantly against the claim when
//! p = P(Z > -z) is rejected by Holm's procedure over all steps at the family level: the
//! probability of failing any step whose true change is zero or in the claimed direction is at most
//! alpha. A step with se = 0 has z = +inf (or -inf when its mean is negative).

use crate::outcome::Verdict;
use crate::outcome::details::Direction;
use crate::stats::{Estimate, holm_reject, normal_quantile, normal_sf};

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

/// p-value of "the step goes the claimed way or not at all": P(Z > -z).
pub fn against_p(z: f64) -> f64 {
    normal_sf(-z)
}

/// Which steps go significantly against the claim (Holm over the steps at level `alpha`).
pub fn against(zs: &[f64], alpha: f64) -> Vec<bool> {
    let p: Vec<f64> = zs.iter().map(|z| against_p(*z)).collect();
    holm_reject(&p, alpha)
}

/// The tag of a step at one-sided level `alpha` (no multiplicity correction: for reading):
/// claimed way when z > z_{1-alpha}, against when z < -z_{1-alpha}.
pub fn direction(z: f64, alpha: f64) -> Direction {
    let zq = normal_quantile(1.0 - alpha);
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
        Estimate { mean, se, trials: 10 }
    }

    #[test]
    fn steps_by_hand() {
        assert!((step_z(est(0.3, 0.1)) - 3.0).abs() < 1e-12);
        assert_eq!(step_z(est(-0.3, 0.0)), -f64::INFINITY);
        assert_eq!(step_z(est(0.0, 0.0)), f64::INFINITY);
        // z = -4 against: p = P(Z > 4) = 3.2e-5 < 0.01 / 2; z = 1: p = 0.84, kept.
        assert_eq!(against(&[-4.0, 1.0], 0.01), vec![true, false]);
        assert_eq!(direction(3.0, 0.01), Direction::Claimed);
        assert_eq!(direction(-3.0, 0.01), Direction::Against);
        assert_eq!(direction(2.0, 0.01), Direction::NotSignificant);
        assert_eq!(verdict(0, 3), Verdict::Holds);
        assert_eq!(verdict(1, 3), Verdict::RegimeLimited);
        assert_eq!(verdict(3, 3), Verdict::Refuted);
    }
}
