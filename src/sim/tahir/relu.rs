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
use crate::sim::registers::clear_upper;

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
    clear_upper();
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

/// Relative test error |f_t - F c|^2 / |f_t|^2 of linear transfer on the source neurons: least
/// squares c of f_t on the features F = relu(X W_S) from `n` noiseless samples, measured on `n_test`
/// fresh samples. By Pythagoras in L2 its expectation is |P_perp f_t|^2/|f_t|^2 + C(n) with C(n) >= 0
/// the estimation error of the projection, C(n) -> 0 as n -> infinity.
pub fn lt_error(rng: &mut Rng, w: &Mat<f64>, removed: usize, n: usize, n_test: usize) -> Result<f64> {
    let (d, m) = (w.nrows(), w.ncols());
    let kept = m - removed;
    let data = |rng: &mut Rng, rows: usize| {
        let pre = crate::sim::gaussian::normal_matrix(rng, rows, d) * w;
        clear_upper();
        let f = Col::from_fn(rows, |i| (0..m).map(|j| pre[(i, j)].max(0.0)).sum::<f64>() / m as f64);
        let feats = Mat::from_fn(rows, kept, |i, j| pre[(i, j)].max(0.0));
        (feats, f)
    };
    let (feats, f) = data(rng, n);
    if kept == 0 {
        return Ok(1.0);
    }
    let c = super::exact::min_norm(&feats, &f, None)?;
    let (ft, yt) = data(rng, n_test);
    Ok((&yt - &ft * &c).squared_norm_l2() / yt.squared_norm_l2().max(f64::MIN_POSITIVE))
}
