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
    let (two_m, d) = (a.nrows(), a.ncols());
    let m = two_m / 2;
    let mut w = Mat::<f64>::zeros(2 * two_m, d);
    for c in 0..d {
        let keep = c != 0 && c != task.v_coord;
        for r in 0..two_m {
            w[(r, c)] = if keep { a[(r, c)] } else { 0.0 };
            w[(two_m + r, c)] = if keep { b[(r, c)] } else { 0.0 };
        }
    }
    let mut cov = Mat::<f64>::zeros(2 * two_m, 2 * two_m);
    matmul(cov.as_mut(), Accum::Replace, w.as_ref(), w.transpose(), task.sigma_p * task.sigma_p, Par::Seq);
    let l = psd_cholesky(&cov);
    let s = task.signal();
    let sig = |net: &Mat<f64>| -> Vec<f64> {
        (0..two_m).map(|r| (0..SIGNAL_COORDS).map(|k| net[(r, k)] * s[k]).sum()).collect()
    };
    let (sig_a, sig_b) = (sig(a), sig(b));
    let (mut g, mut z) = (vec![0.0; 2 * two_m], vec![0.0; 2 * two_m]);
    let (mut err_a, mut err_b) = (0.0, 0.0);
    for _ in 0..n_test {
        for gi in g.iter_mut() {
            *gi = normal(rng);
        }
        for (i, zi) in z.iter_mut().enumerate() {
            *zi = (0..=i).map(|k| l[(i, k)] * g[k]).sum();
        }
        err_a += pair_error(&sig_a, &z[..two_m], m);
        err_b += pair_error(&sig_b, &z[two_m..], m);
    }
    let p = task.flip;
    let noisy = |clean: f64| p + (1.0 - 2.0 * p) * clean / n_test as f64;
    (noisy(err_a), noisy(err_b))
}
