//! Gaussian Gram matrices in O(m) random numbers.
//!
//! For Z an m x n matrix of i.i.d. N(0, 1) entries, Golub-Kahan bidiagonalisation by Householder
//! reflections gives Z = H B G^T with H, G orthogonal and B upper bidiagonal with independent entries
//!   B_ii ~ chi_{m-i+1},  B_{i,i+1} ~ chi_{n-i}       (i = 1, 2, ..., 1-based),
//! because each reflection depends only on the row or column it zeroes, and leaves the rest i.i.d.
//! Gaussian. Hence Z Z^T = H T H^T with T = B B^T symmetric tridiagonal. Any statistic that is
//! invariant under a joint rotation of Z Z^T and independent isotropic vectors can therefore be
//! computed from T (Dumitriu-Edelman's tridiagonal model of the real Wishart/Laguerre ensemble).

use rand_distr::{ChiSquared, Distribution};

use crate::error::{Error, Result};
use crate::rng::Rng;

/// A chi variate with `k` degrees of freedom (0 for k = 0).
pub fn chi(rng: &mut Rng, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    match ChiSquared::new(k as f64) {
        Ok(dist) => dist.sample(rng).sqrt(),
        Err(_) => 0.0,
    }
}

/// Samples the tridiagonal T (diagonal `diag`, length m; off-diagonal `off`, length m - 1) with
/// T = H^T (Z Z^T) H in distribution, for Z of size m x n. Buffers are overwritten, not allocated.
pub fn sample_gram_tridiagonal(rng: &mut Rng, n: usize, diag: &mut [f64], off: &mut [f64]) {
    let m = diag.len();
    debug_assert_eq!(off.len() + 1, m.max(1));
    // b[i] = B_ii, s[i] = B_{i,i+1} (0-based): B_ii ~ chi_{m-i} if i < n, B_{i,i+1} ~ chi_{n-i-1}.
    let mut prev_s = 0.0;
    for i in 0..m {
        let b = if i < n { chi(rng, m - i) } else { 0.0 };
        let s = if i + 1 < n { chi(rng, n - i - 1) } else { 0.0 };
        diag[i] = b * b + s * s;
        if i > 0 {
            off[i - 1] = prev_s * b;
        }
        prev_s = s;
    }
}

/// LDL^T factorisation of the symmetric tridiagonal matrix `scale * T + shift * I`, in place:
/// on return `d` holds the pivots and `l` the sub-diagonal multipliers.
/// Fails if the matrix is not positive definite.
pub fn factor_tridiagonal(
    diag: &[f64],
    off: &[f64],
    scale: f64,
    shift: f64,
    d: &mut [f64],
    l: &mut [f64],
) -> Result<()> {
    let m = diag.len();
    for i in 0..m {
        let a = scale * diag[i] + shift;
        d[i] = if i == 0 {
            a
        } else {
            let e = scale * off[i - 1];
            l[i - 1] = e / d[i - 1];
            a - l[i - 1] * e
        };
        if d[i].is_nan() || d[i] <= 1e-300 {
            return Err(Error::numerical(format!("tridiagonal system is singular (pivot {i} of {m})")));
        }
    }
    Ok(())
}

/// Solves (L D L^T) x = b in place, with the factors from [`factor_tridiagonal`].
pub fn solve_tridiagonal(d: &[f64], l: &[f64], x: &mut [f64]) {
    let m = d.len();
    for i in 1..m {
        x[i] -= l[i - 1] * x[i - 1];
    }
    for i in 0..m {
        x[i] /= d[i];
    }
    for i in (0..m.saturating_sub(1)).rev() {
        x[i] -= l[i] * x[i + 1];
    }
}

/// x^T T y for the symmetric tridiagonal T.
pub fn tridiagonal_form(diag: &[f64], off: &[f64], x: &[f64], y: &[f64]) -> f64 {
    let mut acc = 0.0;
    for i in 0..diag.len() {
        acc += x[i] * diag[i] * y[i];
        if i + 1 < diag.len() {
            acc += off[i] * (x[i] * y[i + 1] + x[i + 1] * y[i]);
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::trial_rng;

    /// The tridiagonal model has the moments of a Wishart matrix: E tr T = m n, E tr T^2 = m n (m + n + 1).
    #[test]
    fn tridiagonal_model_has_wishart_moments() {
        let (m, n, trials) = (7, 11, 40_000);
        let (mut tr1, mut tr2) = (0.0, 0.0);
        let mut diag = vec![0.0; m];
        let mut off = vec![0.0; m - 1];
        for t in 0..trials {
            let mut rng = trial_rng(7, t);
            sample_gram_tridiagonal(&mut rng, n, &mut diag, &mut off);
            tr1 += diag.iter().sum::<f64>();
            tr2 += diag.iter().map(|x| x * x).sum::<f64>() + 2.0 * off.iter().map(|x| x * x).sum::<f64>();
        }
        let (mf, nf) = (m as f64, n as f64);
        let e1 = tr1 / trials as f64 / (mf * nf);
        let e2 = tr2 / trials as f64 / (mf * nf * (mf + nf + 1.0));
        assert!((e1 - 1.0).abs() < 0.01, "E tr T / (m n) = {e1}");
        assert!((e2 - 1.0).abs() < 0.02, "E tr T^2 / (m n (m+n+1)) = {e2}");
    }

    #[test]
    fn tridiagonal_solve_inverts() {
        let diag = [2.0, 3.0, 4.0, 5.0];
        let off = [0.5, -1.0, 0.25];
        let (mut d, mut l) = ([0.0; 4], [0.0; 3]);
        factor_tridiagonal(&diag, &off, 2.0, 0.1, &mut d, &mut l).unwrap();
        let b = [1.0, -2.0, 0.5, 3.0];
        let mut x = b;
        solve_tridiagonal(&d, &l, &mut x);
        // (2 T + 0.1 I) x = b
        for i in 0..4 {
            let mut r = (2.0 * diag[i] + 0.1) * x[i];
            if i > 0 {
                r += 2.0 * off[i - 1] * x[i - 1];
            }
            if i < 3 {
                r += 2.0 * off[i] * x[i + 1];
            }
            assert!((r - b[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn singular_system_is_an_error() {
        assert!(factor_tridiagonal(&[0.0, 1.0], &[0.0], 1.0, 0.0, &mut [0.0; 2], &mut [0.0; 1]).is_err());
    }
}
