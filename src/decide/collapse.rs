//! Decisions of a collapse audit beyond the exponent intervals ([`super::interval`]).
//!
//! - Transition: the paired drop D = y(lowest Gamma) - y(highest Gamma) must be significantly
//!   positive, one-sided: D / se > t_{1-alpha} (Student, trials - 1 degrees of freedom; D > 0 when
//!   se = 0).
//! - Scale audit: under the declared symmetry the output changes by C (paired, se_C) while the printed
//!   Gamma predicts P; with se = sqrt(se_C^2 + 2 se_0^2) (se_0: the base point's standard error, for
//!   the curve's uncertainty) and z = (C - P) / se, the formula is contradicted when
//!   |z| > t_{1-alpha/2} and the symmetry (no change) describes the data better: |C| < |C - P|.
//!   The output is "invariant within CI" unless |C| / se_C > t_{1-alpha/2} (Student quantiles on
//!   the change's trials - 1 degrees of freedom).

use crate::stats::{Estimate, student_quantile};

/// Whether the drop is significantly positive at one-sided level `alpha`.
pub fn significant_drop(drop: Estimate, alpha: f64) -> bool {
    let zq = student_quantile(1.0 - alpha, drop.dof());
    drop.se > 0.0 && drop.mean / drop.se > zq || drop.se == 0.0 && drop.mean > 0.0
}

/// z of the simulated change against the predicted one (0 when se = 0).
pub fn scale_z(change: Estimate, base_se: f64, predicted: f64) -> f64 {
    let se = (change.se.powi(2) + 2.0 * base_se.powi(2)).sqrt();
    if se > 0.0 { (change.mean - predicted) / se } else { 0.0 }
}

/// Whether the scale audit contradicts the formula (a NaN prediction contradicts nothing).
pub fn scale_contradicts(change: Estimate, predicted: f64, z: f64, alpha: f64) -> bool {
    let z2 = student_quantile(1.0 - alpha / 2.0, change.dof());
    !(predicted.is_nan() || z.abs() <= z2 || change.mean.abs() >= (change.mean - predicted).abs())
}

/// Whether the simulated change is zero within its two-sided interval at level `alpha`.
pub fn invariant(change: Estimate, alpha: f64) -> bool {
    let z2 = student_quantile(1.0 - alpha / 2.0, change.dof());
    !(change.se > 0.0 && (change.mean / change.se).abs() > z2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(mean: f64, se: f64) -> Estimate {
        Estimate { mean, se, trials: 0 }
    }

    #[test]
    fn drop_and_scale_by_hand() {
        // Trials 0: normal quantiles, z_{0.99} = 2.326.
        assert!(significant_drop(est(0.3, 0.1), 0.01));
        assert!(!significant_drop(est(0.2, 0.1), 0.01));
        assert!(significant_drop(est(0.1, 0.0), 0.01) && !significant_drop(est(0.0, 0.0), 0.01));
        // se = sqrt(0.01^2 + 2 0.01^2) = 0.01 sqrt 3.
        assert!((scale_z(est(0.0, 0.01), 0.01, -0.1) - 0.1 / (0.01 * 3f64.sqrt())).abs() < 1e-12);
        // Change 0, prediction -0.1, z = 5.8: contradicts; a change of -0.08 agrees better with the prediction.
        assert!(scale_contradicts(est(0.0, 0.01), -0.1, 5.8, 0.01));
        assert!(!scale_contradicts(est(-0.08, 0.01), -0.1, 1.0, 0.01));
        assert!(!scale_contradicts(est(0.0, 0.01), f64::NAN, 5.8, 0.01));
        assert!(invariant(est(0.01, 0.01), 0.01) && !invariant(est(0.1, 0.01), 0.01));
    }
}
