//! Stage 2 with gamma2 -> 0: the readout is reset and refit by kernel (ridge) regression with the
//! frozen feature kernel M on P2 fresh target samples y = X b_t + sigma eps:
//!   beta_hat_2 = M X^T (X M X^T + P2 lambda I)^-1 y,   loss = |beta_hat_2 - b_t|^2 (noise floor excluded).
//! For lambda = 0 and P2 > D the interpolant does not exist and the lambda -> 0 limit is ordinary
//! least squares, beta_hat_2 = (X^T X)^-1 X^T y (M drops out).
//!
//! Two implementations that must agree in distribution:
//! - [`loss_dense`]: forms X (P2 x D) and the P2 x P2 Gram matrix, Cholesky solve. O(P2 D^2 + P2^2 D).
//! - [`loss_fast`]: uses rotational invariance. Write M = a (I - V V^T) + V K V^T and b_t = V t with
//!   V (D x k) orthonormal. Then C = X V (P2 x k) has i.i.d. N(0, 1) entries, X (I - V V^T) X^T = Z Z^T
//!   with Z Gaussian of size P2 x (D - k), and the loss
//!   |K C^T alpha - t|^2 + a^2 alpha^T Z Z^T alpha,   alpha = (a Z Z^T + C K C^T + P2 lambda I)^-1 y,
//!   is invariant under (Z Z^T, C, eps) -> (H Z Z^T H^T, H C, H eps). So Z Z^T may be replaced by its
//!   tridiagonal model T (see [`crate::sim::wishart`]) and the system solved by Woodbury with a
//!   tridiagonal LDL^T: O(k P2) work and O(P2) random numbers per trial, no D-dimensional work.
//!   Least squares (lambda = 0, P2 >= D): loss = sigma^2 h^T (X^T X)^-1 h in distribution with h ~ N(0, I_D),
//!   again through the tridiagonal model of X^T X.

use faer::linalg::solvers::Solve;
use faer::{Col, ColRef, Mat, MatRef};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::{fill_normal, normal, normal_col, normal_matrix};
use crate::sim::wishart::{factor_tridiagonal, sample_gram_tridiagonal, solve_tridiagonal, tridiagonal_form};

/// The target regression problem of stage 2.
#[derive(Debug, Clone, Copy)]
pub struct TargetTask {
    /// Number of target samples P2.
    pub p: usize,
    /// Ridge lambda >= 0 (objective normalised by P2).
    pub lambda: f64,
    /// Target label-noise standard deviation.
    pub sigma: f64,
}

/// Kernel and target reduced to the k-dimensional subspace that carries everything non-isotropic.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduced {
    /// Ambient dimension D.
    d: usize,
    /// Isotropic level a > 0 of M outside the subspace.
    a: f64,
    /// K = V^T M V, k x k symmetric positive definite, row-major.
    k: Vec<f64>,
    /// K^-1, computed once (the Woodbury correction uses it in every trial).
    k_inv: [f64; KMAX * KMAX],
    /// Target coordinates t = V^T b_t.
    t: Vec<f64>,
}

impl Reduced {
    /// M = a (I - V V^T) + V K V^T with b_t = V t; K (k x k, row-major) symmetric positive definite,
    /// 1 <= k <= min(KMAX, D), a > 0.
    pub fn new(d: usize, a: f64, k: Vec<f64>, t: Vec<f64>) -> Result<Reduced> {
        let dim = t.len();
        if dim == 0 || dim > KMAX || k.len() != dim * dim || dim > d {
            return Err(Error::input(format!("a reduced kernel needs 1 <= k <= {KMAX}, k <= D and a k x k block")));
        }
        if a.is_nan() || a <= 0.0 || (0..dim).any(|i| (0..dim).any(|j| k[i * dim + j] != k[j * dim + i])) {
            return Err(Error::input("a reduced kernel needs a > 0 and a symmetric block"));
        }
        let k_inv = small_inverse(&k, dim)?;
        Ok(Reduced { d, a, k, k_inv, t })
    }

    /// The ideal adapted kernel M = I + chi b_s b_s^T with b_t = alpha_s b_s + sqrt(1 - alpha_s^2) b_perp.
    pub fn ideal(d: usize, chi: f64, alpha_s: f64) -> Result<Reduced> {
        Reduced::new(d, 1.0, vec![1.0 + chi, 0.0, 0.0, 1.0], vec![alpha_s, (1.0 - alpha_s * alpha_s).max(0.0).sqrt()])
    }

    /// M = I + spike r r^T (r unit) with target b_t, reduced to span{r, b_t}.
    pub fn spiked(spike: f64, r: ColRef<f64>, b_t: ColRef<f64>) -> Result<Reduced> {
        let d = r.nrows();
        let rho = r.transpose() * b_t;
        let perp = (b_t.squared_norm_l2() - rho * rho).max(0.0).sqrt();
        // Basis e1 = r, e2 = (b_t - rho r)/perp (dropped when b_t is parallel to r).
        if perp <= 1e-12 {
            Reduced::new(d, 1.0, vec![1.0 + spike], vec![rho])
        } else {
            Reduced::new(d, 1.0, vec![1.0 + spike, 0.0, 0.0, 1.0], vec![rho, perp])
        }
    }

    /// The lazy kernel I in the same basis, with the same target (for paired comparisons).
    pub fn lazy(&self) -> Result<Reduced> {
        let k = self.dim();
        Reduced::new(
            self.d,
            1.0,
            (0..k * k).map(|i| if i % (k + 1) == 0 { 1.0 } else { 0.0 }).collect(),
            self.t.clone(),
        )
    }

    /// Dimension k of the signal subspace.
    pub fn dim(&self) -> usize {
        self.t.len()
    }

    /// The dense kernel and target in a random orthonormal basis (for [`loss_dense`] and tests).
    pub fn embed(&self, rng: &mut Rng) -> (Mat<f64>, Col<f64>) {
        let (d, k) = (self.d, self.dim());
        let q = normal_matrix(rng, d, k).qr().compute_thin_Q();
        let kk = Mat::from_fn(k, k, |i, j| self.k[i * k + j]);
        let m = Mat::<f64>::identity(d, d) * self.a + &q * (kk - Mat::<f64>::identity(k, k) * self.a) * q.transpose();
        let t = Col::from_fn(k, |i| self.t[i]);
        (m, &q * t)
    }
}

/// Whether [`loss_fast`] can handle a task in dimension `d` with a `k`-dimensional signal subspace
/// (else use [`loss_dense`]): ridge, or ridgeless with P2 <= D - k (dual) or P2 >= D (least squares).
pub fn fast_supports(d: usize, k: usize, task: &TargetTask) -> Result<()> {
    if task.lambda > 0.0 || task.p + k <= d || task.p >= d {
        Ok(())
    } else {
        Err(Error::input(format!(
            "method=fast needs lambda > 0, P2 <= D - {k} or P2 >= D (got P2 = {}, D = {d}); use method=dense",
            task.p
        )))
    }
}

/// Reference implementation: samples X, forms the Gram matrix and solves with Cholesky.
pub fn loss_dense(m: MatRef<f64>, b_t: ColRef<f64>, task: &TargetTask, rng: &mut Rng) -> Result<f64> {
    let (d, p) = (m.nrows(), task.p);
    let x = normal_matrix(rng, p, d);
    let y = &x * b_t + normal_col(rng, p) * task.sigma;
    let beta = if p <= d || task.lambda > 0.0 {
        let xm = &x * m;
        let gram = &xm * x.transpose() + Mat::<f64>::identity(p, p) * (p as f64 * task.lambda);
        let llt = gram.llt(faer::Side::Lower).map_err(|e| Error::numerical(format!("target Gram matrix: {e:?}")))?;
        let alpha = llt.solve(&y);
        xm.transpose() * alpha
    } else {
        let gram = x.transpose() * &x;
        let llt = gram.llt(faer::Side::Lower).map_err(|e| Error::numerical(format!("X^T X: {e:?}")))?;
        llt.solve(x.transpose() * &y)
    };
    Ok((beta - b_t).squared_norm_l2())
}

/// Structured implementation (see the module doc). `scratch` is reused across trials.
pub fn loss_fast(red: &Reduced, task: &TargetTask, rng: &mut Rng, scratch: &mut Vec<f64>) -> Result<f64> {
    let (d, p, k) = (red.d, task.p, red.dim());
    fast_supports(d, k, task)?;
    if p == 0 {
        return Err(Error::input("fast fine-tuning needs P2 >= 1"));
    }
    if task.lambda == 0.0 && p >= d {
        return least_squares_fast(d, p, task.sigma, rng, scratch);
    }
    // Scratch layout: diag, off, pivots, multipliers, y, A^-1 y, C (k columns), A^-1 C (k columns).
    scratch.clear();
    scratch.resize(6 * p + 2 * k * p, 0.0);
    let (diag, rest) = scratch.split_at_mut(p);
    let (off, rest) = rest.split_at_mut(p);
    let (piv, rest) = rest.split_at_mut(p);
    let (mult, rest) = rest.split_at_mut(p);
    let (y, rest) = rest.split_at_mut(p);
    let (ay, rest) = rest.split_at_mut(p);
    let (c, ac) = rest.split_at_mut(k * p);

    sample_gram_tridiagonal(rng, d - k, diag, &mut off[..p - 1]);
    fill_normal(rng, c);
    for (i, yi) in y.iter_mut().enumerate() {
        *yi = (0..k).map(|j| c[j * p + i] * red.t[j]).sum::<f64>() + task.sigma * normal(rng);
    }
    factor_tridiagonal(diag, &off[..p - 1], red.a, p as f64 * task.lambda, piv, &mut mult[..p - 1])?;
    ay.copy_from_slice(y);
    solve_tridiagonal(piv, &mult[..p - 1], ay);
    ac.copy_from_slice(c);
    for j in 0..k {
        solve_tridiagonal(piv, &mult[..p - 1], &mut ac[j * p..(j + 1) * p]);
    }
    // Woodbury: alpha = A^-1 y - A^-1 C (K^-1 + C^T A^-1 C)^-1 C^T A^-1 y.
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
    let mut inner = red.k_inv;
    let mut rhs = [0.0; KMAX];
    for i in 0..k {
        let ci = &c[i * p..(i + 1) * p];
        for j in 0..k {
            inner[i * k + j] += dot(ci, &ac[j * p..(j + 1) * p]);
        }
        rhs[i] = dot(ci, ay);
    }
    let w = small_solve(&inner[..k * k], k, &rhs[..k])?;
    // alpha overwrites A^-1 y.
    for j in 0..k {
        for i in 0..p {
            ay[i] -= ac[j * p + i] * w[j];
        }
    }
    let alpha = &*ay;
    let mut ct_alpha = [0.0; KMAX];
    for j in 0..k {
        ct_alpha[j] = dot(&c[j * p..(j + 1) * p], alpha);
    }
    let inside: f64 = (0..k)
        .map(|i| {
            let bi = (0..k).map(|j| red.k[i * k + j] * ct_alpha[j]).sum::<f64>();
            (bi - red.t[i]).powi(2)
        })
        .sum();
    let outside = red.a * red.a * tridiagonal_form(diag, &off[..p - 1], alpha, alpha);
    Ok(inside + outside)
}

/// Least squares with P2 >= D: loss = sigma^2 h^T (X^T X)^-1 h, X^T X through its tridiagonal model.
fn least_squares_fast(d: usize, p: usize, sigma: f64, rng: &mut Rng, scratch: &mut Vec<f64>) -> Result<f64> {
    if sigma == 0.0 {
        return Ok(0.0);
    }
    scratch.clear();
    scratch.resize(6 * d, 0.0);
    let (diag, rest) = scratch.split_at_mut(d);
    let (off, rest) = rest.split_at_mut(d);
    let (piv, rest) = rest.split_at_mut(d);
    let (mult, rest) = rest.split_at_mut(d);
    let (h, x) = rest.split_at_mut(d);
    sample_gram_tridiagonal(rng, p, diag, &mut off[..d - 1]);
    fill_normal(rng, h);
    factor_tridiagonal(diag, &off[..d - 1], 1.0, 0.0, piv, &mut mult[..d - 1])?;
    x.copy_from_slice(h);
    solve_tridiagonal(piv, &mult[..d - 1], x);
    Ok(sigma * sigma * h.iter().zip(x.iter()).map(|(a, b)| a * b).sum::<f64>())
}

/// Dimension of the signal subspace span{b_s, b_t} of the ideal and of a pre-trained (rank-one) kernel.
pub const SIGNAL_DIM: usize = 2;

/// Largest subspace dimension k handled by [`loss_fast`].
pub const KMAX: usize = 4;

/// Inverse of a small symmetric positive definite matrix (row-major, k <= KMAX), by Cholesky.
fn small_inverse(a: &[f64], k: usize) -> Result<[f64; KMAX * KMAX]> {
    let mut inv = [0.0; KMAX * KMAX];
    for j in 0..k {
        let mut e = [0.0; KMAX];
        e[j] = 1.0;
        let col = small_solve(a, k, &e[..k])?;
        for i in 0..k {
            inv[i * k + j] = col[i];
        }
    }
    Ok(inv)
}

/// Solves A x = b for a small symmetric positive definite A (row-major, k <= KMAX) by Cholesky.
fn small_solve(a: &[f64], k: usize, b: &[f64]) -> Result<[f64; KMAX]> {
    let mut l = [0.0; KMAX * KMAX];
    for i in 0..k {
        for j in 0..=i {
            let s = a[i * k + j] - (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    return Err(Error::numerical("kernel restricted to the signal subspace is not positive definite"));
                }
                l[i * k + i] = s.sqrt();
            } else {
                l[i * k + j] = s / l[j * k + j];
            }
        }
    }
    let mut x = [0.0; KMAX];
    x[..k].copy_from_slice(b);
    for i in 0..k {
        x[i] = (x[i] - (0..i).map(|m| l[i * k + m] * x[m]).sum::<f64>()) / l[i * k + i];
    }
    for i in (0..k).rev() {
        x[i] = (x[i] - (i + 1..k).map(|m| l[m * k + i] * x[m]).sum::<f64>()) / l[i * k + i];
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::trial_rng;

    #[test]
    fn small_solve_inverts() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let x = small_solve(&a, 3, &[1.0, 2.0, 3.0]).unwrap();
        let inv = small_inverse(&a, 3).unwrap();
        assert!((inv[0] * a[0] + inv[1] * a[3] + inv[2] * a[6] - 1.0).abs() < 1e-12);
        for i in 0..3 {
            let r: f64 = (0..3).map(|j| a[i * 3 + j] * x[j]).sum();
            assert!((r - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
    }

    /// Noiseless least squares recovers the teacher exactly: loss 0 on both paths.
    #[test]
    fn least_squares_noiseless_is_exact() {
        let red = Reduced::ideal(20, 1.0, 0.6).unwrap();
        let task = TargetTask { p: 30, lambda: 0.0, sigma: 0.0 };
        let mut rng = trial_rng(1, 0);
        let (m, b) = red.embed(&mut rng);
        assert!(loss_dense(m.as_ref(), b.as_ref(), &task, &mut rng).unwrap() < 1e-20);
        assert_eq!(loss_fast(&red, &task, &mut rng, &mut Vec::new()).unwrap(), 0.0);
    }

    /// P2 = 1 is solvable by hand: with one sample x, beta = M x (x^T M x)^-1 x^T b_t.
    #[test]
    fn one_sample_matches_hand_formula() {
        let red = Reduced::ideal(5, 2.0, 0.3).unwrap();
        let task = TargetTask { p: 1, lambda: 0.0, sigma: 0.0 };
        let mut rng = trial_rng(3, 0);
        let (m, b) = red.embed(&mut rng);
        let mut rng2 = rng.clone();
        let got = loss_dense(m.as_ref(), b.as_ref(), &task, &mut rng).unwrap();
        let x = normal_matrix(&mut rng2, 1, 5);
        let xt = x.transpose().to_owned();
        let mx = &m * &xt;
        let denom = (x.as_ref() * &mx)[(0, 0)];
        let num = (x.as_ref() * &b)[0];
        let beta = mx.col(0).to_owned() * (num / denom);
        assert!((got - (beta - &b).squared_norm_l2()).abs() < 1e-12);
    }
}
