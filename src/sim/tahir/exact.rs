//! Closed-form fast paths (validated against [`super::gd`] in `tests/tahir.rs`).
//!
//! - Scratch from a vanishing initialisation converges to the min-norm interpolator
//!   beta = X^T (X X^T)^-1 y for n < d, and to least squares (X^T X)^-1 X^T y for n >= d.
//! - Fine-tuning moves weights only inside row(X): beta_ft = beta_0 + X^T (X X^T)^-1 (y - X beta_0)
//!   = P beta_sc + (I - P) beta_0 for n < d (P the projector on row(X)); least squares for n >= d.
//! - Fine-tuning a balanced rank-one depth-L network by gradient flow ([`balanced_finetune`]) moves the
//!   null-space part of the prior by a scalar kappa fixed by the conserved layer norms.
//! - Linear transfer on rank-one features F = X v u^T (|u| = 1) is the 1-D regression of y on
//!   z = X v: beta = v z^T y / (z^T z + n lambda).

use faer::linalg::solvers::{Llt, Solve};
use faer::{Col, Mat, Side};

use crate::error::{Error, Result};

/// Cholesky factor of the smaller Gram matrix of X (X X^T for n < d, else X^T X), shared by the
/// min-norm / least-squares solves on the same inputs.
pub struct RowSpace<'a> {
    x: &'a Mat<f64>,
    llt: Llt<f64>,
}

impl<'a> RowSpace<'a> {
    /// Factors the Gram matrix of `x`.
    pub fn new(x: &'a Mat<f64>) -> Result<RowSpace<'a>> {
        let (gram, what) =
            if x.nrows() < x.ncols() { (x * x.transpose(), "X X^T") } else { (x.transpose() * x, "X^T X") };
        let llt = gram.llt(Side::Lower).map_err(|e| Error::numerical(format!("{what}: {e:?}")))?;
        Ok(RowSpace { x, llt })
    }

    /// Whether n < d (interpolation; else least squares).
    pub fn interpolates(&self) -> bool {
        self.x.nrows() < self.x.ncols()
    }

    /// Interpolator closest to `prior` (None = 0) for n < d; least squares for n >= d.
    pub fn min_norm(&self, y: &Col<f64>, prior: Option<&Col<f64>>) -> Col<f64> {
        let x = self.x;
        if !self.interpolates() {
            return self.llt.solve(x.transpose() * y);
        }
        match prior {
            Some(p) => x.transpose() * self.llt.solve(y - x * p) + p,
            None => x.transpose() * self.llt.solve(y),
        }
    }
}

/// Interpolator closest to `prior` (None = 0) for n < d; least squares for n >= d.
pub fn min_norm(x: &Mat<f64>, y: &Col<f64>, prior: Option<&Col<f64>>) -> Result<Col<f64>> {
    Ok(RowSpace::new(x)?.min_norm(y, prior))
}

/// Linear transfer along the feature direction `v`: beta = b v with b = z^T y/(z^T z + n lambda), z = X v.
pub fn linear_transfer(x: &Mat<f64>, y: &Col<f64>, v: &Col<f64>, lambda: f64) -> Col<f64> {
    let z = x * v;
    let b = (z.transpose() * y) / (z.squared_norm_l2() + x.nrows() as f64 * lambda);
    v * b
}

/// Feature vector v = W_1 ... W_{L-1} u of the balanced depth-L factorisation of `beta_pre`
/// (every layer has singular value |beta_pre|^(1/L)): v = beta_pre |beta_pre|^(-1/L).
pub fn feature(beta_pre: &Col<f64>, depth: usize) -> Col<f64> {
    let r = beta_pre.norm_l2();
    beta_pre * r.powf(-1.0 / depth as f64)
}

/// Fine-tuning by gradient flow of the balanced rank-one depth-L network whose end-to-end vector is
/// `prior` (least squares for n >= d).
///
/// The network is W_1 = u r_1^T, W_k = c r_{k-1} r_k^T (1 < k < L), last layer c r_{L-1}, with |u| = c
/// (balanced: gradient flow from a vanishing initialisation, then conserved: W_k^T W_k - W_{k+1} W_{k+1}^T
/// is invariant under gradient flow). The loss gradient with respect to beta lies in row(X), so u moves
/// only inside row(X) while every layer keeps its rank-one shape and the common scale c: beta = c^(L-1) u,
/// (I - P) u = (I - P) u_0. At convergence X beta = y, so P beta = beta_sc (the min-norm interpolator) and
/// |u|^2 = c^2 reads |beta_sc|^2 / q^(L-1) + A = q with q = c^2, A = |(I - P) u_0|^2. With s = |prior|^(1/L)
/// (u_0 = prior s^(1-L), c_0 = s): beta = beta_sc + (q/s^2)^((L-1)/2) (I - P) prior.
pub fn balanced_finetune(x: &Mat<f64>, y: &Col<f64>, prior: &Col<f64>, depth: usize) -> Result<Col<f64>> {
    let rows = RowSpace::new(x)?;
    Ok(balanced(&rows, &rows.min_norm(y, None), &rows.min_norm(y, Some(prior)), prior, depth))
}

/// [`balanced_finetune`] from the min-norm interpolator `scratch` and the interpolator `closest` to
/// `prior` on the same data (`rows`): (I - P) prior = closest - scratch.
pub fn balanced(rows: &RowSpace, scratch: &Col<f64>, closest: &Col<f64>, prior: &Col<f64>, depth: usize) -> Col<f64> {
    let m = prior.norm_l2();
    if !rows.interpolates() || m == 0.0 {
        return scratch.clone();
    }
    let null = closest - scratch;
    let l = depth as f64;
    let s2 = m.powf(2.0 / l);
    let a = null.squared_norm_l2() * s2 / (m * m);
    let q = balanced_scale(a, scratch.squared_norm_l2(), depth);
    scratch + null * (q / s2).powf((l - 1.0) / 2.0)
}

/// The root q >= a of q^(L-1) (q - a) = b (a, b >= 0), by bisection: the left side increases from 0 at
/// q = a, and reaches at least b at q = a + b^(1/L).
pub fn balanced_scale(a: f64, b: f64, depth: usize) -> f64 {
    let f = |q: f64| q.powi(depth as i32 - 1) * (q - a) - b;
    let (mut lo, mut hi) = (a, a + b.powf(1.0 / depth as f64));
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) < 0.0 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}
