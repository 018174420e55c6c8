//! Downstream 0-1 test error of two networks on common test data, without drawing d-vectors:
//! for a test noise patch xi ~ N(0, sigma^2 P) (P projects out u and v_k), the projections
//! <w_r, xi> of all filters of both networks are jointly Gaussian with covariance sigma^2 W P W^T,
//! so they are drawn as L g with L L^T that covariance (O(m^2) per test point). Each noise patch is
//! scored with y = +1 and y = -1; the clean error e gives the error on flipped labels p + (1 - 2p) e.

use faer::Mat;
use faer::linalg::matmul::matmul;
use faer::{Accum, Par};

use super::{SIGNAL_COORDS, Task, class_sign};
use crate::rng::Rng;
use crate::sim::gaussian::normal;
use crate::sim::registers::clear_upper;

/// Lower-triangular L with L L^T = a for a symmetric positive semi-definite a; pivots that round
/// to zero or below (directions of zero variance) give zero columns.
fn psd_cholesky(a: &Mat<f64>) -> Mat<f64> {
    let n = a.nrows();
    let mut l = Mat::<f64>::zeros(n, n);
    let scale = (0..n).map(|i| a[(i, i)].abs()).fold(0.0, f64::max);
    for j in 0..n {
        let diag = a[(j, j)] - (0..j).map(|k| l[(j, k)] * l[(j, k)]).sum::<f64>();
        if diag <= 1e-13 * scale {
            continue;
        }
        let ljj = diag.sqrt();
        l[(j, j)] = ljj;
        for i in j + 1..n {
            let v = a[(i, j)] - (0..j).map(|k| l[(i, k)] * l[(j, k)]).sum::<f64>();
            l[(i, j)] = v / ljj;
        }
    }
    l
}

/// z = L g for lower-triangular L, column by column (contiguous); each z_i is summed over k in order.
fn lower_times(l: &Mat<f64>, g: &[f64], z: &mut [f64]) {
    z.fill(0.0);
    for (k, &gk) in g.iter().enumerate() {
        z[k..].iter_mut().zip(&l.col_as_slice(k)[k..]).for_each(|(zi, &lik)| *zi += lik * gk);
    }
}

/// 0-1 error contribution of one network for one noise draw: half the number of wrong signs
/// among y = +1, -1 (a zero output counts one half).
fn pair_error(sig: &[f64], z: &[f64], m: usize) -> f64 {
    let mut err = 0.0;
    for y in [1.0, -1.0] {
        let f: f64 = (0..2 * m).map(|r| class_sign(r, m) * ((y * sig[r]).max(0.0) + z[r].max(0.0))).sum();
        let margin = y * f;
        err += if margin > 0.0 {
            0.0
        } else if margin < 0.0 {
            1.0
        } else {
            0.5
        };
    }
    err / 2.0
}

/// Test errors of networks `a` and `b` (both 2m x d) on task `task`, from `n_test` common noise draws.
pub fn test_errors(a: &Mat<f64>, b: &Mat<f64>, task: &Task, n_test: usize, rng: &mut Rng) -> (f64, f64) {
    let e = errors_of(&[a, b], task, n_test, rng);
    (e[0], e[1])
}

/// Test error of network `w` (2m x d) on task `task`, from `n_test` noise draws.
pub fn test_error(w: &Mat<f64>, task: &Task, n_test: usize, rng: &mut Rng) -> f64 {
    errors_of(&[w], task, n_test, rng)[0]
}

/// Test errors of networks `nets` (each 2m x d) on common noise draws: the projections of a test
/// noise patch on all their filters are drawn jointly.
fn errors_of(nets: &[&Mat<f64>], task: &Task, n_test: usize, rng: &mut Rng) -> Vec<f64> {
    let (two_m, d) = (nets[0].nrows(), nets[0].ncols());
    let (m, rows) = (two_m / 2, nets.len() * two_m);
    let mut w = Mat::<f64>::zeros(rows, d);
    for c in (0..d).filter(|&c| c != 0 && c != task.v_coord) {
        for (k, net) in nets.iter().enumerate() {
            for r in 0..two_m {
                w[(k * two_m + r, c)] = net[(r, c)];
            }
        }
    }
    let mut cov = Mat::<f64>::zeros(rows, rows);
    matmul(cov.as_mut(), Accum::Replace, w.as_ref(), w.transpose(), task.sigma_p * task.sigma_p, Par::Seq);
    clear_upper();
    let l = psd_cholesky(&cov);
    let s = task.signal();
    let sig: Vec<Vec<f64>> = nets
        .iter()
        .map(|net| (0..two_m).map(|r| (0..SIGNAL_COORDS).map(|k| net[(r, k)] * s[k]).sum()).collect())
        .collect();
    let (mut g, mut z) = (vec![0.0; rows], vec![0.0; rows]);
    let mut err = vec![0.0; nets.len()];
    for _ in 0..n_test {
        for gi in g.iter_mut() {
            *gi = normal(rng);
        }
        lower_times(&l, &g, &mut z);
        for (k, e) in err.iter_mut().enumerate() {
            *e += pair_error(&sig[k], &z[k * two_m..(k + 1) * two_m], m);
        }
    }
    let p = task.flip;
    err.iter().map(|clean| p + (1.0 - 2.0 * p) * clean / n_test as f64).collect()
}
