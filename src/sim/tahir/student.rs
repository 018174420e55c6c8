//! Mean-field two-layer ReLU student f(x) = (1/N) sum_i a_i relu(v_i . x), x ~ N(0, I_d), trained
//! by full-batch gradient descent (in f64, or f32: [`train_in`]) on L = (1/2n) sum_k (f(x_k) - y_k)^2
//! with the mean-field step (learning rate times N per parameter): a_i -= lr (1/n) sum_k r_k relu(h_ki),
//! v_i -= lr a_i (1/n) sum_k r_k 1(h_ki > 0) x_k, r = f - y, h = X V. Initialisation: v_i unit
//! random, a_i standard normal. The teacher is relu::teacher's f_t(x) = (1/m) sum_j relu(w_j . x).

use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Col, Mat, Par, Side};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::{normal, normal_matrix, unit_vector};
use crate::sim::registers::clear_upper;

/// Student weights: `v` is d x N (neurons as columns), `a` the N readout weights.
pub struct Student {
    pub v: Mat<f64>,
    pub a: Col<f64>,
}

impl Student {
    /// Mean-field initialisation: unit random v_i, a_i ~ N(0, 1).
    pub fn init(rng: &mut Rng, d: usize, width: usize) -> Student {
        let mut v = Mat::zeros(d, width);
        for i in 0..width {
            v.col_mut(i).copy_from(unit_vector(rng, d));
        }
        let a = Col::from_fn(width, |_| normal(rng));
        Student { v, a }
    }

    /// Hidden features relu(X V) (n x N).
    pub fn features(&self, x: &Mat<f64>) -> Mat<f64> {
        let mut h = x * &self.v;
        clear_upper();
        h.col_iter_mut().for_each(|c| c.iter_mut().for_each(|e| *e = e.max(0.0)));
        h
    }

    /// Outputs f(x_k) = relu(X V) a / N.
    pub fn predict(&self, x: &Mat<f64>) -> Col<f64> {
        self.features(x) * &self.a * (1.0 / self.a.nrows() as f64)
    }
}

/// Teacher data: n Gaussian inputs and noiseless labels of the teacher neurons `w` (columns) whose
/// first `kept` neurons are used, with output weights 1/m (m = all teacher neurons).
pub fn teacher_data(rng: &mut Rng, w: &Mat<f64>, kept: usize, n: usize) -> (Mat<f64>, Col<f64>) {
    let (d, m) = (w.nrows(), w.ncols());
    let x = normal_matrix(rng, n, d);
    let pre = &x * w;
    let y = Col::from_fn(n, |k| (0..kept).map(|j| pre[(k, j)].max(0.0)).sum::<f64>() / m as f64);
    (x, y)
}

/// The float of the training arithmetic: f64, or f32 for twice the GEMM throughput.
pub trait Real: faer::traits::RealField + Copy {
    fn of(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// max(self, 0).
    fn relu(self) -> Self;
}

impl Real for f64 {
    fn of(x: f64) -> f64 {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn relu(self) -> f64 {
        self.max(0.0)
    }
}

impl Real for f32 {
    fn of(x: f64) -> f32 {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn relu(self) -> f32 {
        self.max(0.0)
    }
}

/// `m` in the training float.
fn cast<T: Real>(m: &Mat<f64>) -> Mat<T> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| T::of(m[(i, j)]))
}

/// Work buffers of [`train`], allocated once per run: `phi` (n x N) holds relu(X V), `r` the
/// residual f - y, `g` (n x N) the back-propagated 1(h > 0) r_k a_i, `grad_v` (d x N) and `grad_a`
/// (N) the gradients.
struct Work<T: Real> {
    phi: Mat<T>,
    g: Mat<T>,
    grad_v: Mat<T>,
    r: Col<T>,
    grad_a: Col<T>,
}

impl<T: Real> Work<T> {
    fn new(n: usize, d: usize, width: usize) -> Work<T> {
        Work {
            phi: Mat::zeros(n, width),
            g: Mat::zeros(n, width),
            grad_v: Mat::zeros(d, width),
            r: Col::zeros(n),
            grad_a: Col::zeros(width),
        }
    }

    /// phi = relu(X V), r = phi a / N - y; returns the loss (1/2n) |r|^2.
    fn residual(&mut self, (v, a): (&Mat<T>, &Col<T>), x: &Mat<T>, y: &Col<T>) -> f64 {
        matmul(self.phi.as_mut(), Accum::Replace, x, v, T::of(1.0), Par::Seq);
        clear_upper();
        for i in 0..self.phi.ncols() {
            self.phi.col_as_slice_mut(i).iter_mut().for_each(|e| *e = e.relu());
        }
        self.r.iter_mut().zip(y.iter()).for_each(|(r, &y)| *r = T::of(0.0) - y);
        let scale = T::of(1.0 / a.nrows() as f64);
        matmul(self.r.as_mat_mut(), Accum::Add, &self.phi, a.as_mat(), scale, Par::Seq);
        clear_upper();
        0.5 / x.nrows() as f64 * self.r.iter().map(|r| r.to_f64().powi(2)).sum::<f64>()
    }

    /// grad_a = phi^T r / n and grad_v = X^T G / n with G_ki = 1(h_ki > 0) r_k a_i (h > 0 iff phi > 0).
    fn gradients(&mut self, a: &Col<T>, x: &Mat<T>) {
        let inv_n = T::of(1.0 / x.nrows() as f64);
        matmul(self.grad_a.as_mat_mut(), Accum::Replace, self.phi.transpose(), self.r.as_mat(), inv_n, Par::Seq);
        clear_upper();
        let r = self.r.try_as_col_major().expect("owned column").as_slice();
        let zero = T::of(0.0);
        for i in 0..self.g.ncols() {
            let ai = a[i];
            let (phi, g) = (self.phi.col_as_slice(i), self.g.col_as_slice_mut(i));
            for ((g, &p), &rk) in g.iter_mut().zip(phi).zip(r) {
                // Product first, then a select: branch-free, so the loop vectorises.
                let v = rk * ai;
                *g = if p > zero { v } else { zero };
            }
        }
        matmul(self.grad_v.as_mut(), Accum::Replace, x.transpose(), &self.g, inv_n, Par::Seq);
        clear_upper();
    }

    /// a -= lr grad_a, v -= lr grad_v, in place.
    fn step(&self, (v, a): (&mut Mat<T>, &mut Col<T>), lr: T) {
        a.iter_mut().zip(self.grad_a.iter()).for_each(|(a, &g)| *a -= lr * g);
        for i in 0..v.ncols() {
            let v = v.col_as_slice_mut(i);
            v.iter_mut().zip(self.grad_v.col_as_slice(i)).for_each(|(v, &g)| *v -= lr * g);
        }
    }
}

/// Full-batch gradient descent in f64 for `steps` steps on (x, y); returns the training loss
/// (1/2n) |f - y|^2 after the last step.
pub fn train(student: &mut Student, x: &Mat<f64>, y: &Col<f64>, lr: f64, steps: usize) -> f64 {
    train_in::<f64>(student, x, y, lr, steps)
}

/// [`train`] with the arithmetic in `T`: the weights and data are rounded to `T` once, trained, and
/// the weights returned in f64. Work buffers are allocated once, outside the loop.
pub fn train_in<T: Real>(student: &mut Student, x: &Mat<f64>, y: &Col<f64>, lr: f64, steps: usize) -> f64 {
    let (x, y) = (cast::<T>(x), Col::from_fn(y.nrows(), |k| T::of(y[k])));
    let (mut v, mut a) = (cast::<T>(&student.v), Col::from_fn(student.a.nrows(), |i| T::of(student.a[i])));
    let mut work = Work::new(x.nrows(), x.ncols(), a.nrows());
    for _ in 0..steps {
        work.residual((&v, &a), &x, &y);
        work.gradients(&a, &x);
        work.step((&mut v, &mut a), T::of(lr));
    }
    let loss = work.residual((&v, &a), &x, &y);
    student.v = Mat::from_fn(v.nrows(), v.ncols(), |i, j| v[(i, j)].to_f64());
    student.a = Col::from_fn(a.nrows(), |i| a[i].to_f64());
    loss
}

/// Eigenvalues of the feature Gram matrix below this fraction of the largest are treated as zero
/// (features that are linear combinations of others add nothing to their span).
const RANK_CUTOFF: f64 = 1e-10;

/// |P_perp f_t|^2 / |f_t|^2 relative to the span of the student's features relu(v_i . x) in
/// L2(N(0, I_d)), f_t = (1/m) sum_j relu(w_j . x) with the unit teacher neurons `w` (columns). By
/// homogeneity E[relu(v . x) relu(v' . x)] = |v| |v'| k(cos(v, v')) with the arc-cosine kernel k, so
/// with G the N x N feature Gram matrix and c_i = <relu(v_i . x), f_t>, the explained part is
/// c^T G^+ c (pseudo-inverse over the eigenvalues above `RANK_CUTOFF` of the largest). This is the
/// n -> infinity limit of least squares on the student's frozen features (linear transfer).
pub fn span_fraction(student: &Student, w: &Mat<f64>) -> Result<f64> {
    let (width, m) = (student.v.ncols(), w.ncols());
    let norms: Vec<f64> = (0..width).map(|i| student.v.col(i).norm_l2()).collect();
    let unit = |i: usize| if norms[i] > 0.0 { 1.0 / norms[i] } else { 0.0 };
    let vv = student.v.transpose() * &student.v;
    let vw = student.v.transpose() * w;
    let ww = w.transpose() * w;
    clear_upper();
    let kernel = |cos: f64| super::relu::arc_cosine(cos);
    // Lower triangle only: the eigendecomposition below reads nothing else.
    let gram = Mat::from_fn(width, width, |i, j| {
        if i >= j { norms[i] * norms[j] * kernel(vv[(i, j)] * unit(i) * unit(j)) } else { 0.0 }
    });
    let c = Col::from_fn(width, |i| (0..m).map(|j| norms[i] * kernel(vw[(i, j)] * unit(i))).sum::<f64>() / m as f64);
    let total =
        (0..m).flat_map(|i| (0..m).map(move |j| (i, j))).map(|(i, j)| kernel(ww[(i, j)])).sum::<f64>() / (m * m) as f64;
    let evd =
        gram.self_adjoint_eigen(Side::Lower).map_err(|e| Error::numerical(format!("feature Gram matrix: {e:?}")))?;
    let s = evd.S().column_vector();
    let top = s.iter().fold(0.0f64, |a, &b| a.max(b));
    let proj = evd.U().transpose() * &c;
    clear_upper();
    let explained: f64 =
        s.iter().zip(proj.iter()).filter(|(l, _)| **l > RANK_CUTOFF * top).map(|(l, p)| p * p / l).sum();
    Ok((1.0 - explained / total).max(0.0))
}

/// Relative test error |f_t - f|^2 / |f_t|^2 on held-out teacher data.
pub fn relative_error(pred: &Col<f64>, y: &Col<f64>) -> f64 {
    (pred - y).squared_norm_l2() / y.squared_norm_l2().max(f64::MIN_POSITIVE)
}

/// Linear transfer: readout c fitted on the frozen features Phi = relu(X V) of the pre-trained
/// student by ridge regression, c = (Phi^T Phi / n + ridge I)^-1 Phi^T y / n (ridge = 0: least
/// squares, min-norm when n < N); relative test error of Phi_test c on (x_test, y_test).
pub fn linear_transfer_error(
    student: &Student,
    x: &Mat<f64>,
    y: &Col<f64>,
    ridge: f64,
    x_test: &Mat<f64>,
    y_test: &Col<f64>,
) -> Result<f64> {
    let phi = student.features(x);
    let c = if ridge > 0.0 {
        let n = x.nrows() as f64;
        let width = phi.ncols();
        let gram =
            Mat::from_fn(width, width, |i, j| if i == j { ridge } else { 0.0 }) + phi.transpose() * &phi * (1.0 / n);
        let llt = gram.llt(Side::Lower).map_err(|e| Error::numerical(format!("ridge readout: {e:?}")))?;
        llt.solve(phi.transpose() * y * (1.0 / n))
    } else {
        super::exact::min_norm(&phi, y, None)?
    };
    Ok(relative_error(&(student.features(x_test) * &c), y_test))
}
