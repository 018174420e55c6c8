//! What a passing point shows, and when a point is decided.
//!
//! **Resolution.** A point that is not rejected still excludes deviations: with the residual r
//! estimated as mean r with standard error se on `dof` degrees of freedom, and m points tested at
//! family level alpha, the data exclude (simultaneously over the points, Bonferroni)
//! - equality: |simulated - claimed| > |r| + t_{1 - alpha/(2m)} se;
//! - "at most": a violation simulated - claimed > r + t_{1 - alpha/m} se ("at least" likewise with -r).
//!
//! So "holds" is a quantitative statement: the deviation excluded is [`excluded`].
//!
//! **Equivalence (a declared margin M).** A claim of no effect, or of equality within a margin, must
//! show the deviation inside the margin, not merely fail to detect it: two one-sided tests (TOST) of
//! u = r - M < 0 and l = r + M > 0, each at alpha/m: the point is shown inside when
//! mean u + t se_u < 0 and mean l - t se_l > 0 ([`inside`]). It is refuted when the deviation is
//! significantly beyond the margin ([`beyond_p`], Holm over the points). Otherwise it is undecided:
//! more trials are needed, about [`trials_to_decide`].

use crate::stats::{Estimate, excess_p, student_quantile};

use super::budget::Sense;

/// The largest deviation a point's data do not exclude at family level `alpha` over `m` points (for
/// one-sided senses, the largest violation; negative when the claimed direction is shown).
pub fn excluded(residual: Estimate, sense: Sense, alpha: f64, m: usize) -> f64 {
    let m = m.max(1) as f64;
    match sense {
        Sense::Equal => residual.mean.abs() + student_quantile(1.0 - alpha / (2.0 * m), residual.dof()) * residual.se,
        Sense::AtMost => residual.mean + student_quantile(1.0 - alpha / m, residual.dof()) * residual.se,
        Sense::AtLeast => -residual.mean + student_quantile(1.0 - alpha / m, residual.dof()) * residual.se,
    }
}

/// Whether the deviation is shown inside the margin: u = r - M and l = r + M (per trial, so the
/// margin may depend on the trial's outputs) satisfy mean u + t se_u < 0 < mean l - t se_l, each one
/// sided at `alpha / m`.
pub fn inside(upper: Estimate, lower: Estimate, alpha: f64, m: usize) -> bool {
    let t = |e: &Estimate| student_quantile(1.0 - alpha / m.max(1) as f64, e.dof());
    upper.mean + t(&upper) * upper.se < 0.0 && lower.mean - t(&lower) * lower.se > 0.0
}

/// p-value of "the deviation is within the margin" against "beyond it on either side":
/// 2 min(P(T > u/se_u), P(T > -l/se_l)) (deterministic values: 0 beyond, 1 within).
pub fn beyond_p(upper: Estimate, lower: Estimate) -> f64 {
    let above = excess_p(upper.mean, upper.se, upper.dof());
    let below = excess_p(-lower.mean, lower.se, lower.dof());
    (2.0 * above.min(below)).min(1.0)
}

/// Trials that would resolve a gap `gap` > 0 between an estimate (standard error `se` from `trials`
/// trials) and a decision threshold at critical value `t`, if the estimate stayed where it is:
/// n (t se / gap)^2, rounded up (None when the gap is not positive or nothing is noisy).
pub fn trials_to_decide(trials: usize, se: f64, t: f64, gap: f64) -> Option<usize> {
    (gap > 0.0 && se > 0.0).then(|| (trials as f64 * (t * se / gap).powi(2)).ceil() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn est(mean: f64, se: f64) -> Estimate {
        Estimate { mean, se, trials: 0 }
    }

    #[test]
    fn excluded_by_hand() {
        // Normal limit: |r| + z_{0.975} se = 0.1 + 1.96 * 0.05.
        assert_relative_eq!(excluded(est(-0.1, 0.05), Sense::Equal, 0.05, 1), 0.198, epsilon = 1e-3);
        assert_relative_eq!(excluded(est(-0.1, 0.05), Sense::AtMost, 0.05, 1), -0.0178, epsilon = 1e-3);
        assert_relative_eq!(excluded(est(-0.1, 0.05), Sense::AtLeast, 0.05, 1), 0.1822, epsilon = 1e-3);
    }

    #[test]
    fn equivalence_inside_beyond_and_undecided() {
        let margin = 0.1;
        let shifted = |r: f64, se: f64| (est(r - margin, se), est(r + margin, se));
        let (u, l) = shifted(0.02, 0.01);
        assert!(inside(u, l, 0.05, 1) && beyond_p(u, l) > 0.5);
        let (u, l) = shifted(0.2, 0.01);
        assert!(!inside(u, l, 0.05, 1) && beyond_p(u, l) < 1e-6);
        let (u, l) = shifted(0.09, 0.05);
        assert!(!inside(u, l, 0.05, 1) && beyond_p(u, l) > 0.05);
    }

    #[test]
    fn trials_to_decide_scales_with_the_gap() {
        assert_eq!(trials_to_decide(100, 0.01, 2.0, 0.01), Some(400));
        assert_eq!(trials_to_decide(100, 0.01, 2.0, 0.0), None);
    }
}
