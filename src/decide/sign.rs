//! A printed sign region against the simulated sign of an output.
//!
//! At a scan point the printed region says negative or non-negative; the simulated mean m (standard
//! error se) contradicts it when it lies on the other side of zero beyond the budget b:
//! signed deviation s = m where the printed side is negative, s = -m where it is non-negative, and
//! p = P(Z > (s - b)/se), one-sided; Holm over all scan points at the family level.
//!
//! The simulated boundary is reported as the sign changes of the scanned means, located by Brent's
//! method on their linear interpolant.

use argmin::core::{CostFunction, Executor};
use argmin::solver::brent::BrentRoot;

use crate::stats::{Estimate, excess_p, holm_reject};

/// Whether x lies inside one of the printed negative intervals (lo, hi) (empty where lo >= hi).
pub fn printed_negative(x: f64, intervals: &[(f64, f64)]) -> bool {
    intervals.iter().any(|(lo, hi)| lo < hi && x > *lo && x < *hi)
}

/// The test of one scan point: p-value of "on the printed side within the budget" and z = s/se
/// (None when se = 0), s the deviation towards the wrong side.
pub fn sign_test(est: Estimate, negative: bool, budget: f64) -> (f64, Option<f64>) {
    let signed = if negative { est.mean } else { -est.mean };
    (excess_p(signed - budget, est.se, est.dof()), (est.se > 0.0).then(|| signed / est.se))
}

/// Pass flags of the scan points from their p-values (Holm at level `alpha`).
pub fn decide(p_values: &[f64], alpha: f64) -> Vec<bool> {
    holm_reject(p_values, alpha).into_iter().map(|reject| !reject).collect()
}

/// Linear interpolant of (x, y) samples, for Brent's root finder.
struct Interpolant<'a> {
    xs: &'a [f64],
    ys: &'a [f64],
}

impl CostFunction for Interpolant<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> std::result::Result<f64, argmin::core::Error> {
        let i = self.xs.windows(2).position(|w| *x <= w[1]).unwrap_or(self.xs.len() - 2);
        let t = (x - self.xs[i]) / (self.xs[i + 1] - self.xs[i]);
        Ok(self.ys[i] + t * (self.ys[i + 1] - self.ys[i]))
    }
}

/// Sign changes of y along increasing x (at least two samples): a sample equal to zero, or Brent's
/// root of the linear interpolant between two samples of opposite sign.
pub fn crossings(xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let mut roots = Vec::new();
    for i in 0..xs.len().saturating_sub(1) {
        if ys[i] == 0.0 {
            roots.push(xs[i]);
        } else if ys[i] * ys[i + 1] < 0.0 {
            let solver = BrentRoot::new(xs[i], xs[i + 1], 1e-12);
            let run = Executor::new(Interpolant { xs, ys }, solver).configure(|s| s.param(xs[i]).max_iters(100)).run();
            if let Ok(res) = run
                && let Some(r) = res.state.best_param
            {
                roots.push(r);
            }
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_side_beyond_the_budget_fails() {
        let e = Estimate { mean: 0.3, se: 0.05, trials: 0 };
        // Printed negative, simulated +0.3: (0.3 - 0.04)/0.05 = 5.2 se.
        let (p, z) = sign_test(e, true, 0.04);
        assert!(p < 1e-6 && (z.unwrap_or(0.0) - 6.0).abs() < 1e-12);
        assert!(sign_test(e, false, 0.04).0 > 0.999);
        assert_eq!(decide(&[p, 0.5], 0.01), vec![false, true]);
        assert!(printed_negative(0.5, &[(0.2, 0.8)]) && !printed_negative(0.5, &[(0.8, 0.2)]));
        assert!(printed_negative(3.0, &[(2.0, f64::INFINITY)]));
    }

    #[test]
    fn crossings_of_the_interpolant() {
        let xs = [0.0, 1.0, 2.0, 3.0];
        let ys = [-1.0, 1.0, 0.0, 2.0];
        let r = crossings(&xs, &ys);
        assert_eq!(r.len(), 2);
        assert!((r[0] - 0.5).abs() < 1e-10 && r[1] == 2.0);
    }
}
