//! Weighted least squares on faer, and the two fits tlcheck makes with it: extrapolation of a
//! residual in 1/size to size -> infinity, and log-log (power-law) fits.
//!
//! WLS: minimise sum_k w_k (y_k - x_k . beta)^2. With A = X^T W X the solution is
//! beta = A^{-1} X^T W y (Cholesky of A), and for weights w_k = 1/se_k^2 of independent estimates
//! Cov(beta) = A^{-1}.

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

use super::Estimate;
use crate::error::{Error, Result};

/// A weighted least-squares fit: coefficients and A^{-1} = (X^T W X)^{-1}.
#[derive(Debug, Clone)]
pub struct WlsFit {
    pub beta: Vec<f64>,
    /// (X^T W X)^{-1}: the covariance of beta when the weights are inverse variances.
    pub inverse: Vec<Vec<f64>>,
}

/// Weighted least squares of `y` on the rows `x` (each of the same length p <= rows) with weights `w`
/// (all ones when None). Errors when the design is singular or a value is not finite.
pub fn wls(x: &[Vec<f64>], y: &[f64], w: Option<&[f64]>) -> Result<WlsFit> {
    let (n, p) = (x.len(), x.first().map_or(0, Vec::len));
    if n == 0 || p == 0 || n < p || y.len() != n || x.iter().any(|r| r.len() != p) || w.is_some_and(|w| w.len() != n) {
        return Err(Error::input("least squares needs as many rows as values and at least as many rows as unknowns"));
    }
    if x.iter().flatten().chain(y).chain(w.unwrap_or(&[])).any(|v| !v.is_finite()) {
        return Err(Error::numerical("least squares on non-finite data"));
    }
    let weight = |k: usize| w.map_or(1.0, |w| w[k]);
    let a = Mat::<f64>::from_fn(p, p, |i, j| (0..n).map(|k| weight(k) * x[k][i] * x[k][j]).sum());
    let b = Mat::<f64>::from_fn(p, 1, |i, _| (0..n).map(|k| weight(k) * x[k][i] * y[k]).sum());
    let singular = || Error::numerical("least squares: singular design (each regressor needs distinct values)");
    let llt = a.llt(Side::Lower).map_err(|_| singular())?;
    let beta = llt.solve(&b);
    let inverse = llt.solve(Mat::<f64>::identity(p, p));
    // Rank deficiency can survive the factorisation as round-off: refuse a badly conditioned design.
    let scale = (0..p).map(|i| a[(i, i)]).fold(0.0_f64, f64::max);
    let conditioned = (0..p).all(|i| inverse[(i, i)].is_finite() && inverse[(i, i)] * scale < 1e12);
    if !conditioned {
        return Err(singular());
    }
    Ok(WlsFit {
        beta: (0..p).map(|i| beta[(i, 0)]).collect(),
        inverse: (0..p).map(|i| (0..p).map(|j| inverse[(i, j)]).collect()).collect(),
    })
}

/// Weighted least-squares fit y = a + b / x over sizes x, weights 1/se^2.
/// Returns the intercept a (the size -> infinity limit) with its standard error and the slope b.
/// With any se = 0 (deterministic values) the fit is unweighted and the intercept has se = 0.
/// None when fewer than two distinct sizes are given.
pub fn extrapolate_inverse_size(xs: &[f64], ys: &[Estimate]) -> Option<(Estimate, f64)> {
    if xs.len() < 2 || xs.len() != ys.len() {
        return None;
    }
    let deterministic = ys.iter().any(|e| e.se <= 0.0);
    let w: Vec<f64> = ys.iter().map(|e| if deterministic { 1.0 } else { 1.0 / (e.se * e.se) }).collect();
    let rows: Vec<Vec<f64>> = xs.iter().map(|x| vec![1.0, 1.0 / x]).collect();
    let means: Vec<f64> = ys.iter().map(|e| e.mean).collect();
    let fit = wls(&rows, &means, Some(&w)).ok()?;
    let se = if deterministic { 0.0 } else { fit.inverse[0][0].sqrt() };
    let trials = ys.iter().map(|e| e.trials).sum();
    Some((Estimate { mean: fit.beta[0], se, trials }, fit.beta[1]))
}

/// A log-log fit ln y = intercept + sum_i slopes_i x_i.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLogFit {
    pub intercept: f64,
    pub slopes: Vec<f64>,
}

/// Least-squares fit of ln y on the log-coordinates `log_x[k]` (e.g. ln n, or ln(c_i / c_i0) per
/// constituent): the power law y = e^intercept prod_i exp(x_i)^slopes_i. Errors when some y is not
/// positive and finite or the design is singular.
pub fn fit_log_log(log_x: &[Vec<f64>], y: &[f64]) -> Result<LogLogFit> {
    if let Some(v) = y.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(Error::numerical(format!("power-law fit needs positive finite values, got {v}")));
    }
    let rows: Vec<Vec<f64>> = log_x.iter().map(|x| std::iter::once(1.0).chain(x.iter().copied()).collect()).collect();
    let ln_y: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let fit = wls(&rows, &ln_y, None)?;
    Ok(LogLogFit { intercept: fit.beta[0], slopes: fit.beta[1..].to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn extrapolation_recovers_exact_line() {
        let xs = [100.0, 400.0, 1600.0];
        let ys: Vec<Estimate> = xs.iter().map(|x| Estimate { mean: 0.3 + 2.0 / x, se: 0.01, trials: 10 }).collect();
        let (a, b) = extrapolate_inverse_size(&xs, &ys).unwrap();
        assert_relative_eq!(a.mean, 0.3, epsilon = 1e-12);
        assert_relative_eq!(b, 2.0, epsilon = 1e-9);
        // Two sizes: se(a) = sqrt(x2^2 se2^2 + x1^2 se1^2)/(x2 - x1) for x = 1/size.
        let (a2, _) = extrapolate_inverse_size(&xs[..2], &ys[..2]).unwrap();
        assert_relative_eq!(a2.se, 0.01 * (16.0_f64 + 1.0).sqrt() / 3.0, epsilon = 1e-12);
        assert!(extrapolate_inverse_size(&[100.0, 100.0], &ys[..2]).is_none());
    }

    #[test]
    fn wls_matches_the_closed_form_of_a_weighted_line() {
        // y = 1 + 2x with weights: the fit is exact; A^{-1} of the design [1 x] by hand.
        let x = [0.0, 1.0, 2.0];
        let rows: Vec<Vec<f64>> = x.iter().map(|v| vec![1.0, *v]).collect();
        let y: Vec<f64> = x.iter().map(|v| 1.0 + 2.0 * v).collect();
        let w = [1.0, 2.0, 1.0];
        let fit = wls(&rows, &y, Some(&w)).unwrap();
        assert_relative_eq!(fit.beta[0], 1.0, epsilon = 1e-12);
        assert_relative_eq!(fit.beta[1], 2.0, epsilon = 1e-12);
        // A = [[4, 4], [4, 6]], det 8, A^{-1} = [[6, -4], [-4, 4]] / 8.
        assert_relative_eq!(fit.inverse[0][0], 0.75, epsilon = 1e-12);
        assert_relative_eq!(fit.inverse[0][1], -0.5, epsilon = 1e-12);
        assert!(wls(&[vec![1.0, 1.0], vec![1.0, 1.0]], &[1.0, 2.0], None).is_err(), "singular");
    }

    #[test]
    fn log_log_fit_recovers_exponents() {
        let n = [10.0_f64, 20.0, 40.0, 80.0];
        let logs: Vec<Vec<f64>> = n.iter().map(|v| vec![v.ln()]).collect();
        let y: Vec<f64> = n.iter().map(|v| 3.0 * v.powf(-0.75)).collect();
        let fit = fit_log_log(&logs, &y).unwrap();
        assert_relative_eq!(fit.slopes[0], -0.75, epsilon = 1e-10);
        assert_relative_eq!(fit.intercept.exp(), 3.0, epsilon = 1e-10);
        assert!(fit_log_log(&logs, &[1.0, 0.0, 1.0, 1.0]).is_err());
    }
}
