//! Nonlinear extension: a ReLU teacher f_t(x) = (1/m) sum_j relu(w_j . x) with m unit neurons in
//! dimension d; the source teacher keeps the first m - r neurons (a fraction mu = r/m removed).
//! The pre-trained features span the source neurons; the part of f_t outside their span in
//! L2(N(0, I_d)) is P_perp f_t. For unit weights at cosine u, E[relu(w.x) relu(w'.x)] is the
//! arc-cosine kernel k(u) = (sqrt(1 - u^2) + u (pi - arccos u)) / (2 pi), so with K the m x m kernel
//! matrix, a = 1/m, S the kept neurons and c = K[S, :] a:
//! |P_perp f_t|^2 / |f_t|^2 = 1 - c^T K[S, S]^-1 c / (a^T K a).

use faer::linalg::solvers::Solve;
use faer::{Col, Mat, Side};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::unit_vector;

/// Arc-cosine kernel of unit weights at cosine u.
pub fn arc_cosine(u: f64) -> f64 {
    let u = u.clamp(-1.0, 1.0);
    ((1.0 - u * u).sqrt() + u * (std::f64::consts::PI - u.acos())) / (2.0 * std::f64::consts::PI)
}

/// m random unit teacher neurons in dimension d, as the columns of a d x m matrix.
pub fn teacher(rng: &mut Rng, d: usize, m: usize) -> Mat<f64> {
    let mut w = Mat::zeros(d, m);
    for j in 0..m {
        w.col_mut(j).copy_from(unit_vector(rng, d));
    }
    w
}

/// |P_perp f_t|^2 / |f_t|^2 for teacher neurons `w` (columns) of which the last `removed` are not in the source.
pub fn projection_fraction(w: &Mat<f64>, removed: usize) -> Result<f64> {
    let m = w.ncols();
    let kept = m - removed;
    let cos = w.transpose() * w;
    let k = Mat::from_fn(m, m, |i, j| arc_cosine(cos[(i, j)]));
    let a = Col::from_fn(m, |_| 1.0 / m as f64);
    let total = a.transpose() * (&k * &a);
    if kept == 0 {
        return Ok(1.0);
    }
    let c = Col::from_fn(kept, |i| (0..m).map(|j| k[(i, j)] * a[j]).sum::<f64>());
    let kss = Mat::from_fn(kept, kept, |i, j| k[(i, j)]);
    let llt = kss.llt(Side::Lower).map_err(|e| Error::numerical(format!("source kernel matrix: {e:?}")))?;
    let explained = c.transpose() * llt.solve(&c);
    Ok((1.0 - explained / total).max(0.0))
}
