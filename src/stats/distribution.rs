//! Tail probabilities and quantiles of the standard normal and of Student's t (statrs).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

fn standard_normal() -> Normal {
    // Normal::new(0, 1) cannot fail; fall back to the standard one defensively.
    Normal::new(0.0, 1.0).unwrap_or_else(|_| Normal::standard())
}

/// Upper tail P(Z > z) of the standard normal.
pub fn normal_sf(z: f64) -> f64 {
    if z.is_infinite() {
        return if z > 0.0 { 0.0 } else { 1.0 };
    }
    standard_normal().sf(z)
}

/// Quantile of the standard normal: z with P(Z <= z) = p, for p in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    standard_normal().inverse_cdf(p)
}

/// Student's t with `dof` degrees of freedom; None for dof <= 0 or non-finite (callers use the normal).
fn student(dof: f64) -> Option<StudentsT> {
    (dof > 0.0 && dof.is_finite()).then(|| StudentsT::new(0.0, 1.0, dof).ok()).flatten()
}

/// Upper tail P(T > t) of Student's t with `dof` degrees of freedom (the normal for infinite dof).
pub fn student_sf(t: f64, dof: f64) -> f64 {
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    student(dof).map_or_else(|| normal_sf(t), |s| s.sf(t))
}

/// Quantile of Student's t with `dof` degrees of freedom, for p in (0, 1) (the normal's for infinite dof).
pub fn student_quantile(p: f64, dof: f64) -> f64 {
    student(dof).map_or_else(|| normal_quantile(p), |s| s.inverse_cdf(p))
}

/// One-sided p-value of an excess over a budget measured with standard error `se` estimated with
/// `dof` degrees of freedom: P(T_dof > excess / se) (Student's t: the standard error is itself
/// estimated; infinite dof is the normal); without noise (se = 0), 0 when the excess is positive and
/// 1 otherwise.
pub fn excess_p(excess: f64, se: f64, dof: f64) -> f64 {
    if se > 0.0 {
        student_sf(excess / se, dof)
    } else if excess > 0.0 {
        0.0
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn normal_tail_and_quantile_are_inverse() {
        assert_relative_eq!(normal_sf(normal_quantile(0.975)), 0.025, epsilon = 1e-9);
        assert_relative_eq!(normal_quantile(0.975), 1.959963984540054, epsilon = 1e-9);
        assert_eq!(normal_sf(f64::INFINITY), 0.0);
        assert_eq!(excess_p(0.1, 0.0, 5.0), 0.0);
        assert_eq!(excess_p(-0.1, 0.0, 5.0), 1.0);
        assert_relative_eq!(excess_p(0.2, 0.1, f64::INFINITY), normal_sf(2.0));
    }

    #[test]
    fn student_matches_tables() {
        // t_{0.975}(5) = 2.570582, t_{0.995}(10) = 3.169273 (standard tables).
        assert_relative_eq!(student_quantile(0.975, 5.0), 2.570581835636314, epsilon = 1e-8);
        assert_relative_eq!(student_quantile(0.995, 10.0), 3.169272672616999, epsilon = 1e-8);
        assert_relative_eq!(student_sf(2.570581835636314, 5.0), 0.025, epsilon = 1e-10);
        // Infinite dof is the normal.
        assert_relative_eq!(student_quantile(0.975, f64::INFINITY), normal_quantile(0.975));
    }
}
