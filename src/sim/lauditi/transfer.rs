//! Fine-tuning variants on one draw of target data, for a pre-trained kernel and for the lazy
//! baseline on the same samples (dense, any kernel M: finite width, weight decay, ...).
//!
//! Target data: X (P2 x D) Gaussian, y = X b_t + sigma eps. With a kernel matrix Kk (D x D):
//! - `Readout` (ridgeless) and `Ridge(lambda)`: beta = Kk X^T (X Kk X^T + P2 lambda I)^-1 y; for
//!   lambda = 0 and P2 > D the lambda -> 0 limit is least squares (Kk drops out).
//! - `EarlyStop(T)`: gradient descent from zero on the readout, loss (1/(2 P2)) |y - Phi a|^2 with
//!   features Phi = X Kk^(1/2). On the training points the residual evolves as e <- (I - eta G) e with
//!   G = X Kk X^T / P2 and step eta = 1/lambda_max(G); after T steps beta = (eta/P2) Kk X^T sum_{s<T} e_s.
//! - `Ntk`: lazy training of all weights = ridgeless regression with Kk = M + E[z^2] I.
//!
//! Test loss |beta - b_t|^2 (noise floor excluded). The lazy baseline (gamma1 = 0) uses Kk = I with the
//! same variant (its NTK, 2 I, is proportional to I).

use faer::linalg::solvers::Solve;
use faer::{Col, ColRef, Mat, MatRef};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::{normal_col, normal_matrix};

/// How the readout is refit on the target task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variant {
    Readout,
    Ridge(f64),
    EarlyStop(usize),
    Ntk,
}

/// One draw of target data.
pub struct TargetData {
    pub x: Mat<f64>,
    pub y: Col<f64>,
}

impl TargetData {
    /// P2 samples y = X b_t + sigma eps.
    pub fn draw(b_t: ColRef<f64>, p: usize, sigma: f64, rng: &mut Rng) -> TargetData {
        let x = normal_matrix(rng, p, b_t.nrows());
        let y = &x * b_t + normal_col(rng, p) * sigma;
        TargetData { x, y }
    }
}

/// X Kk for the kernel a variant regresses with: Kk = `m` (or I when `m` is None), plus E[z^2] I for
/// the NTK; the identity is never formed.
fn x_times_kernel(x: &Mat<f64>, m: Option<MatRef<f64>>, variant: Variant, ez2: f64) -> Mat<f64> {
    let shift = if variant == Variant::Ntk { ez2 } else { 0.0 };
    match m {
        Some(m) if shift != 0.0 => x * m + x * shift,
        Some(m) => x * m,
        None => x * (1.0 + shift),
    }
}

/// Test loss of the fine-tuned readout with kernel `m` (`None` = the lazy kernel I; `ez2` is only used by
/// the NTK variant).
pub fn finetune_loss(
    m: Option<MatRef<f64>>,
    ez2: f64,
    data: &TargetData,
    b_t: ColRef<f64>,
    variant: Variant,
) -> Result<f64> {
    let (p, d) = (data.x.nrows(), data.x.ncols());
    let xk = || x_times_kernel(&data.x, m, variant, if m.is_some() { ez2 } else { 1.0 });
    let x = &data.x;
    let beta = match variant {
        Variant::Readout | Variant::Ntk | Variant::Ridge(_) => {
            let lambda = if let Variant::Ridge(l) = variant { l } else { 0.0 };
            if p <= d || lambda > 0.0 {
                let xk = xk();
                let gram = &xk * x.transpose() + Mat::<f64>::identity(p, p) * (p as f64 * lambda);
                let llt = gram.llt(faer::Side::Lower).map_err(|e| Error::numerical(format!("target Gram: {e:?}")))?;
                xk.transpose() * llt.solve(&data.y)
            } else {
                let llt = (x.transpose() * x)
                    .llt(faer::Side::Lower)
                    .map_err(|e| Error::numerical(format!("X^T X: {e:?}")))?;
                llt.solve(x.transpose() * &data.y)
            }
        }
        Variant::EarlyStop(steps) => {
            let xk = xk();
            let g = (&xk * x.transpose()) * (1.0 / p as f64);
            let top = g
                .self_adjoint_eigenvalues(faer::Side::Lower)
                .map_err(|e| Error::numerical(format!("eigenvalues of the target kernel matrix: {e:?}")))?
                .into_iter()
                .fold(0.0, f64::max);
            if top.is_nan() || top <= 0.0 {
                return Err(Error::numerical("target kernel matrix has no positive eigenvalue"));
            }
            let eta = 1.0 / top;
            let mut e = data.y.clone();
            let mut acc = Col::<f64>::zeros(p);
            let mut ge = Col::<f64>::zeros(p);
            for _ in 0..steps {
                acc += &e;
                faer::linalg::matmul::matmul(
                    ge.as_mat_mut(),
                    faer::Accum::Replace,
                    &g,
                    e.as_mat(),
                    1.0,
                    faer::Par::Seq,
                );
                e -= &ge * eta;
            }
            xk.transpose() * acc * (eta / p as f64)
        }
    };
    Ok((beta - b_t).squared_norm_l2())
}

/// Bytes a dense fine-tuning run needs (X, kernel, Gram and products).
pub fn memory_bytes(d: usize, p: usize) -> f64 {
    let (d, p) = (d as f64, p as f64);
    8.0 * (3.0 * p * d + 2.0 * d * d + 2.0 * p * p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> Rng {
        Rng::seed_from_u64(7)
    }

    /// Early stopping with many steps converges to the ridgeless interpolant.
    #[test]
    fn early_stop_converges_to_readout() {
        let mut r = rng();
        let d = 30;
        let b = crate::sim::gaussian::unit_vector(&mut r, d);
        let data = TargetData::draw(b.as_ref(), 10, 0.1, &mut r);
        let m = Mat::<f64>::identity(d, d) + &b * b.transpose() * 2.0;
        let exact = finetune_loss(Some(m.as_ref()), 1.0, &data, b.as_ref(), Variant::Readout).unwrap();
        let es = finetune_loss(Some(m.as_ref()), 1.0, &data, b.as_ref(), Variant::EarlyStop(200_000)).unwrap();
        assert!((exact - es).abs() < 1e-6 * (1.0 + exact), "{exact} vs {es}");
        let none = finetune_loss(Some(m.as_ref()), 1.0, &data, b.as_ref(), Variant::EarlyStop(0)).unwrap();
        assert!((none - 1.0).abs() < 1e-12, "zero steps leave beta = 0, loss |b|^2 = 1");
    }

    /// The NTK of a lazy network (M = I, E[z^2] = 1) is 2 I: same ridgeless fit as I.
    #[test]
    fn ntk_of_identity_equals_readout() {
        let mut r = rng();
        let d = 20;
        let b = crate::sim::gaussian::unit_vector(&mut r, d);
        let data = TargetData::draw(b.as_ref(), 8, 0.0, &mut r);
        let i = Mat::<f64>::identity(d, d);
        let a = finetune_loss(Some(i.as_ref()), 1.0, &data, b.as_ref(), Variant::Ntk).unwrap();
        let c = finetune_loss(None, 1.0, &data, b.as_ref(), Variant::Readout).unwrap();
        assert!((a - c).abs() < 1e-12);
    }
}
