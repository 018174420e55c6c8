//! Signal learning versus noise memorisation of trained filters (Yuan et al.'s mechanism
//! claim, `theorems/yuan2025.mechanism.toml`).
//!
//! Gradient descent keeps dw_r = w_r - w0_r in span{s, xi_1, ..., xi_N} with s = u + v_k, so
//! dw_r = t_r s + sum_i c_{r,i} xi_i exactly. In the symmetric convention of Kou et al.
//! (w = w0 + gamma u/|u|^2 + sum_i rho_i xi_i/|xi_i|^2) the signal coefficient on u is
//! gamma_r = <dw_r, u> = t_r |u|^2 (the noise patches are orthogonal to u and v_k) and the
//! memorisation coefficients are rho_{r,i} = c_{r,i} |xi_i|^2, with c_r = G^{-1} Xi dw_r,
//! G = Xi Xi^T. The ratio reported is
//! R = sum_r |gamma_r| / sum_r ((1/N) sum_i |rho_{r,i}|),
//! signal learning relative to the mean memorisation per training sample.

use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, Par, Side};

use super::Data;
use crate::sim::registers::clear_upper;

/// R over the filters `rows` of `w` (trained) against their starts `w0`, on the training set `data`
/// whose signal vector has u on coordinate 0 with norm `u_norm`. 0 when `rows` is empty; NaN when
/// the Gram matrix of the noise patches is singular (N > d - 2).
pub fn u_coefficient_ratio(w: &Mat<f64>, w0: &Mat<f64>, rows: &[usize], data: &Data, u_norm: f64) -> f64 {
    if rows.is_empty() {
        return 0.0;
    }
    let xi = data.noise.as_ref();
    let n = xi.nrows();
    let dw = Mat::from_fn(rows.len(), w.ncols(), |k, c| w[(rows[k], c)] - w0[(rows[k], c)]);
    let mut gram = Mat::<f64>::zeros(n, n);
    matmul(gram.as_mut(), Accum::Replace, xi, xi.transpose(), 1.0, Par::Seq);
    let mut rhs = Mat::<f64>::zeros(n, rows.len());
    matmul(rhs.as_mut(), Accum::Replace, xi, dw.transpose(), 1.0, Par::Seq);
    let Ok(llt) = gram.llt(Side::Lower) else {
        return f64::NAN;
    };
    let c = llt.solve(&rhs);
    clear_upper();
    let mut signal = 0.0;
    let mut memorised = 0.0;
    for k in 0..rows.len() {
        signal += (dw[(k, 0)] * u_norm).abs();
        memorised += (0..n).map(|i| (c[(i, k)] * gram[(i, i)]).abs()).sum::<f64>() / n as f64;
    }
    if memorised > 0.0 { signal / memorised } else { 0.0 }
}
