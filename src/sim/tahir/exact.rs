//! Closed-form fast paths (validated against [`super::gd`] in `tests/tahir.rs`).
//!
//! - Scratch from a vanishing initialisation converges to the min-norm interpolator
//!   beta = X^T (X X^T)^-1 y for n < d, and to least squares (X^T X)^-1 X^T y for n >= d.
//! - Fine-tuning moves weights only inside row(X): beta_ft = beta_0 + X^T (X X^T)^-1 (y - X beta_0)
//!   = P beta_sc + (I - P) beta_0 for n < d (P the projector on row(X)); least squares for n >= d.
//! - Linear transfer on rank-one features F = X v u^T (|u| = 1) is the 1-D regression of y on
//!   z = X v: beta = v z^T y / (z^T z + n lambda).

use faer::linalg::solvers::Solve;
use faer::{Col, Mat, Side};

use crate::error::{Error, Result};

/// Interpolator closest to `prior` (None = 0) for n < d; least squares for n >= d.
pub fn min_norm(x: &Mat<f64>, y: &Col<f64>, prior: Option<&Col<f64>>) -> Result<Col<f64>> {
    let (n, d) = (x.nrows(), x.ncols());
    if n < d {
        let r = match prior {
            Some(p) => y - x * p,
            None => y.clone(),
        };
        let gram = x * x.transpose();
        let llt = gram.llt(Side::Lower).map_err(|e| Error::numerical(format!("X X^T: {e:?}")))?;
        let beta = x.transpose() * llt.solve(&r);
        Ok(match prior {
            Some(p) => beta + p,
            None => beta,
        })
    } else {
        let gram = x.transpose() * x;
        let llt = gram.llt(Side::Lower).map_err(|e| Error::numerical(format!("X^T X: {e:?}")))?;
        Ok(llt.solve(x.transpose() * y))
    }
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
