//! Scale audit: the weight of a formula under a declared rescaling of its variables.
//!
//! A symmetry of a problem rescales variables as x_i -> c^{w_i} x_i (undeclared variables keep
//! weight 0). A formula f is homogeneous of weight W when f(c^w x) = c^W f(x) for all c > 0 and x;
//! a quantity that the symmetry leaves invariant can only be governed by a weight-0 formula.
//! The weight is measured numerically, W(x, c) = ln|f(c^w x) / f(x)| / ln c, at every sample point
//! and c in {1/2, 2, 3}; f is homogeneous iff all estimates agree (and f keeps its sign).

use serde::Serialize;

use super::Formula;
use crate::error::{Error, Result};

/// Result of a scale audit.
#[derive(Clone, Debug, Serialize)]
pub struct ScalingReport {
    /// The declared weights, in the order given (JSON: an object `{name: weight}`).
    #[serde(serialize_with = "super::pairs_as_object")]
    pub weights: Vec<(String, f64)>,
    /// The formula's weight W, or `None` when it is not homogeneous under these weights.
    pub weight: Option<f64>,
    /// `weight == Some(0)`: the formula is invariant under the declared symmetry.
    pub invariant: bool,
    /// Largest spread of the weight estimates over points and scale factors (0 for exact homogeneity).
    pub spread: f64,
    /// Number of points where f was finite and non-zero (the estimates used).
    pub points: usize,
}

/// Parses declared weights `"u=1,sigma=1,d=0"` (names, `=`, finite numbers; comma separated).
pub fn parse_weights(text: &str) -> Result<Vec<(String, f64)>> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| Error::input(format!("scaling weight '{part}': expected name=number")))?;
        let name = name.trim();
        let w: f64 = value.trim().parse().ok().filter(|w: &f64| w.is_finite()).ok_or_else(|| {
            Error::input(format!("scaling weight of '{name}': '{}' is not a finite number", value.trim()))
        })?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(Error::input(format!("scaling weight of '{name}' given twice")));
        }
        out.push((name.to_string(), w));
    }
    if out.is_empty() {
        return Err(Error::input("no scaling weights given (expected e.g. \"u=1,sigma=1\")"));
    }
    Ok(out)
}

/// Tolerance on the spread of weight estimates for calling a formula homogeneous.
const HOMOGENEITY_TOL: f64 = 1e-6;

/// Scale audit of `f` under `weights`, at `points` (values in the order of `f.variables()`).
/// Declared names that `f` does not use are an error (a typo would silently give weight 0).
pub fn scaling_weight(f: &Formula, weights: &[(String, f64)], points: &[Vec<f64>]) -> Result<ScalingReport> {
    for (name, _) in weights {
        if !f.variables().contains(name) {
            return Err(Error::input(format!(
                "scaling weight given for '{name}', which formula {:?} does not use (its variables: {})",
                f.text(),
                f.variables().join(", ")
            )));
        }
    }
    let w: Vec<f64> =
        f.variables().iter().map(|v| weights.iter().find(|(n, _)| n == v).map_or(0.0, |(_, w)| *w)).collect();
    let mut estimates = Vec::new();
    let mut sign_flip = false;
    let mut scaled = vec![0.0; w.len()];
    for x in points {
        let f0 = f.eval_slice(x)?;
        if !f0.is_finite() || f0 == 0.0 {
            continue;
        }
        for c in [0.5_f64, 2.0, 3.0] {
            for ((s, xi), wi) in scaled.iter_mut().zip(x).zip(&w) {
                *s = xi * c.powf(*wi);
            }
            let f1 = f.eval_slice(&scaled)?;
            if !f1.is_finite() || f1 == 0.0 {
                continue;
            }
            sign_flip |= f1.signum() != f0.signum();
            estimates.push((f1 / f0).abs().ln() / c.ln());
        }
    }
    if estimates.is_empty() {
        return Err(Error::numerical(format!(
            "scale audit of {:?}: the formula is zero or undefined at every sample point",
            f.text()
        )));
    }
    let (lo, hi) = estimates.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &e| (l.min(e), h.max(e)));
    let spread = hi - lo;
    let weight = (spread <= HOMOGENEITY_TOL * (1.0 + hi.abs()) && !sign_flip).then(|| {
        let mean = estimates.iter().sum::<f64>() / estimates.len() as f64;
        if mean.abs() < HOMOGENEITY_TOL { 0.0 } else { mean }
    });
    Ok(ScalingReport {
        weights: weights.to_vec(),
        weight,
        invariant: weight == Some(0.0),
        spread,
        points: estimates.len() / 3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(n: usize, k: usize) -> Vec<Vec<f64>> {
        (0..n).map(|i| (0..k).map(|j| 0.3 + 0.17 * ((i * 7 + j * 3) % 11) as f64).collect()).collect()
    }

    #[test]
    fn yuan_gamma_has_weight_minus_two_and_a_ratio_is_invariant() {
        let f = Formula::parse("alpha^2 * N1 * u^2 / (s1^2 * s2^2 * d)").unwrap();
        let w = parse_weights("u=1, s1=1, s2=1").unwrap();
        let r = scaling_weight(&f, &w, &points(8, f.variables().len())).unwrap();
        assert!((r.weight.unwrap() + 2.0).abs() < 1e-9, "{r:?}");
        assert!(!r.invariant);
        let g = Formula::parse("alpha^2 * N1 * u^2 / (s1 * s2 * d)").unwrap();
        let r = scaling_weight(&g, &w, &points(8, g.variables().len())).unwrap();
        assert!(r.invariant, "{r:?}");
    }

    #[test]
    fn non_homogeneous_formula_has_no_weight() {
        let f = Formula::parse("u^2 + 1").unwrap();
        let r = scaling_weight(&f, &parse_weights("u=1").unwrap(), &points(5, 1)).unwrap();
        assert_eq!(r.weight, None);
        assert!(!r.invariant);
    }

    #[test]
    fn bad_declarations_are_refused() {
        let f = Formula::parse("u * v").unwrap();
        assert!(parse_weights("").is_err());
        assert!(parse_weights("u").is_err());
        assert!(parse_weights("u=NaN").is_err());
        assert!(parse_weights("u=1,u=2").is_err());
        assert!(scaling_weight(&f, &parse_weights("w=1").unwrap(), &points(3, 2)).is_err());
        let zero = Formula::parse("u - u").unwrap();
        assert!(scaling_weight(&zero, &parse_weights("u=1").unwrap(), &points(3, 1)).is_err());
    }
}
