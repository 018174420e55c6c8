//! Full-batch gradient descent on a depth-L linear network f(x) = x^T W_1 ... W_{L-1} w in f64.
//!
//! Small initialisation: hidden layers alpha N(0, 1/d) entries, last layer alpha N(0, I_d).
//! Losses: population source loss (1/2)|beta - beta_s|^2, or data loss (1/(2n))|X beta - y|^2
//! (+ (lambda/2)|w|^2 when only the last layer trains). With g the gradient with respect to the
//! end-to-end vector beta, the gradient of W_k is a_k b_k^T with a_1 = g, a_{k+1} = W_k^T a_k and
//! b_k = W_{k+1} ... W_{L-1} w. Both losses are quadratic in beta with gradient g = Q (lambda u - c),
//! u = Q^T beta, in the eigenbasis Q (d x r, r = min(n, d); identity for the population loss) of the
//! Gram matrix X^T X / n: g lies in span Q, so W_1 moves only there and is trained as A^T = W_1^T Q
//! (d x r, stored so that its columns are long). Every step is then O((L - 2) d^2 + r d) and allocation-free.
//! Stopping rule: the end-to-end gradient norm |g| (last layer alone: the end-to-end velocity
//! |W_1 ... W_{L-1} grad_w|, ridge included) below `tol`, or `max_steps`
//! reached (then `converged` is false and the run is reported as such).

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::normal;

/// Gradient-descent settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Initialisation scale alpha.
    pub alpha: f64,
    /// Step scale: step = eta / (curvature bound).
    pub eta: f64,
    /// Stop when the gradient norm is below this.
    pub tol: f64,
    pub max_steps: usize,
}

/// Outcome of one training run.
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    pub steps: usize,
    pub converged: bool,
}

/// What is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trainable {
    All,
    /// Last layer only, with ridge (lambda/2)|w|^2.
    Last {
        lambda: f64,
    },
}

/// The loss.
pub enum Loss<'a> {
    /// (1/2)|beta - teacher|^2.
    Population(&'a Col<f64>),
    /// (1/(2n))|X beta - y|^2.
    Data { x: &'a Mat<f64>, y: &'a Col<f64> },
}

/// A depth-L linear network: `hidden` = W_1 ... W_{L-1} (d x d), `last` = w.
#[derive(Clone)]
pub struct Net {
    pub hidden: Vec<Mat<f64>>,
    pub last: Col<f64>,
}

impl Net {
    /// Small initialisation of depth `depth` >= 2.
    pub fn init(rng: &mut Rng, d: usize, depth: usize, alpha: f64) -> Net {
        let s = alpha / (d as f64).sqrt();
        let hidden = (1..depth).map(|_| Mat::from_fn(d, d, |_, _| s * normal(rng))).collect();
        let last = Col::from_fn(d, |_| alpha * normal(rng));
        Net { hidden, last }
    }

    /// The hidden representation W_1 ... W_{L-1}.
    pub fn representation(&self) -> Mat<f64> {
        let mut m = self.hidden[0].clone();
        for w in &self.hidden[1..] {
            m = &m * w;
        }
        m
    }

    /// End-to-end vector beta = W_1 ... W_{L-1} w.
    pub fn end_to_end(&self) -> Col<f64> {
        let mut b = self.last.clone();
        for w in self.hidden.iter().rev() {
            b = w * &b;
        }
        b
    }

    /// Rank-one diagnostics of the representation M: (sigma_2/sigma_1, 1 - |M^T e|^2/sigma_1^2) for a unit e.
    pub fn rank_one(&self, e: &Col<f64>) -> Result<(f64, f64)> {
        let m = self.representation();
        let sv = m.singular_values().map_err(|err| Error::numerical(format!("singular values: {err:?}")))?;
        let mut sv: Vec<f64> = sv.to_vec();
        sv.sort_by(|a, b| b.total_cmp(a));
        let s1 = sv[0].max(1e-300);
        let along = (m.transpose() * e).squared_norm_l2();
        Ok((sv.get(1).copied().unwrap_or(0.0) / s1, (1.0 - along / (s1 * s1)).max(0.0)))
    }
}

/// The loss in eigen-coordinates: with the Gram matrix G = Q diag(lambda) Q^T (Q orthonormal, d x r;
/// the identity for the population loss), the gradient in beta is g = Q h with h = lambda u - c,
/// u = Q^T beta, c = Q^T X^T y / n (the teacher for the population loss), and |g| = |h|.
struct Quadratic {
    /// Q, or None for the identity (population loss).
    basis: Option<Mat<f64>>,
    lambda: Col<f64>,
    c: Col<f64>,
}

impl Quadratic {
    /// Eigendecomposition of the smaller Gram matrix: X^T X / n = V diag(lambda) V^T (Q = V) when n >= d,
    /// else X X^T / n = V diag(lambda) V^T and Q = X^T V diag(n lambda)^(-1/2) spans row(X).
    fn new(loss: &Loss) -> Result<Quadratic> {
        let (x, y) = match loss {
            Loss::Population(t) => {
                return Ok(Quadratic { basis: None, lambda: Col::from_fn(t.nrows(), |_| 1.0), c: (*t).clone() });
            }
            Loss::Data { x, y } => (*x, *y),
        };
        let n = x.nrows() as f64;
        let wide = x.nrows() < x.ncols();
        let gram = (if wide { x * x.transpose() } else { x.transpose() * x }) * (1.0 / n);
        let evd = gram
            .self_adjoint_eigen(faer::Side::Lower)
            .map_err(|e| Error::numerical(format!("eigendecomposition of the Gram matrix: {e:?}")))?;
        let lambda = evd.S().column_vector().to_owned();
        let basis = if wide {
            if lambda.iter().any(|&l| l <= 0.0 || !l.is_finite()) {
                return Err(Error::numerical("the target inputs are rank-deficient"));
            }
            let mut q = x.transpose() * evd.U();
            for (col, l) in q.col_iter_mut().zip(lambda.iter()) {
                let s = 1.0 / (n * l).sqrt();
                col.iter_mut().for_each(|v| *v *= s);
            }
            q
        } else {
            evd.U().to_owned()
        };
        let c = basis.transpose() * (x.transpose() * y) * (1.0 / n);
        Ok(Quadratic { basis: Some(basis), lambda, c })
    }

    /// Largest eigenvalue of the Gram matrix (1 for the population loss).
    fn top(&self) -> f64 {
        self.lambda.iter().copied().fold(0.0, f64::max)
    }

    /// A^T = W^T Q (d x r).
    fn project(&self, w: &Mat<f64>) -> Mat<f64> {
        match &self.basis {
            Some(q) => w.transpose() * q,
            None => w.transpose().to_owned(),
        }
    }

    /// W + Q (A - A_0) from A^T and A_0^T: every update of W_1 lies in the span of Q, so this is W_1
    /// after training.
    fn restore(&self, w: &mut Mat<f64>, at: &Mat<f64>, at0: &Mat<f64>) {
        match &self.basis {
            Some(q) => matmul(w.as_mut(), Accum::Add, q, (at - at0).transpose(), 1.0, Par::Seq),
            None => w.copy_from(at.transpose()),
        }
    }
}

/// Reusable buffers of one training run.
struct Work {
    /// b_k for every hidden layer k (b_{L-1} = w).
    right: Vec<Col<f64>>,
    /// h (r entries), then a_k for the layers above W_1 (a_L = gradient of w).
    left: Vec<Col<f64>>,
    /// u = Q^T beta.
    u: Col<f64>,
    /// Two buffers for M grad_w (last layer alone).
    tmp: [Col<f64>; 2],
}

/// Trains `net` by gradient descent; the step is eta / curvature bound.
pub fn train(net: &mut Net, loss: &Loss, what: Trainable, settings: &Settings) -> Result<Fit> {
    let d = net.last.nrows();
    let depth = net.hidden.len() + 1;
    let quad = Quadratic::new(loss)?;
    let r = quad.lambda.nrows();
    let mut work = Work {
        right: vec![Col::zeros(d); depth - 1],
        left: [vec![Col::zeros(r)], vec![Col::zeros(d); depth - 1]].concat(),
        u: Col::zeros(r),
        tmp: [Col::zeros(d), Col::zeros(d)],
    };
    let step = step_size(net, loss, &quad, what, settings)?;
    let at0 = quad.project(&net.hidden[0]);
    let mut at = at0.clone();
    let mut fit = Fit { steps: settings.max_steps, converged: false };
    for steps in 0..settings.max_steps {
        let gnorm = gradient(net, &at, &quad, what, &mut work);
        if !gnorm.is_finite() {
            return Err(Error::numerical(format!("gradient descent diverged at step {steps}")));
        }
        if gnorm < settings.tol {
            fit = Fit { steps, converged: true };
            break;
        }
        apply(net, &mut at, what, &work, step);
    }
    if what == Trainable::All {
        quad.restore(&mut net.hidden[0], &at, &at0);
    }
    Ok(fit)
}

/// Curvature bound: L lambda_max s^(2(L-1)/L) with s = max(1, |beta|) over the run for all layers;
/// sigma_1(M)^2 lambda_max + lambda for the last layer alone (M frozen). The step is eta over it.
fn step_size(net: &Net, loss: &Loss, quad: &Quadratic, what: Trainable, settings: &Settings) -> Result<f64> {
    let lam_max = quad.top();
    Ok(match what {
        Trainable::All => {
            let scale = match loss {
                Loss::Population(t) => t.squared_norm_l2().max(1.0),
                Loss::Data { y, .. } => (y.squared_norm_l2() / y.nrows() as f64).max(1.0),
            };
            settings.eta / ((net.hidden.len() + 1) as f64 * lam_max * scale)
        }
        Trainable::Last { lambda } => {
            let top = net.representation().singular_values().map_err(|e| Error::numerical(format!("{e:?}")))?;
            let s = top.iter().copied().fold(0.0, f64::max);
            settings.eta / (s * s * lam_max + lambda)
        }
    })
}

/// Fills the work buffers with the layer factors of the gradient (W_1 as `at` = W_1^T Q); returns its
/// norm (end to end for all layers, of w for the last layer alone).
fn gradient(net: &Net, at: &Mat<f64>, quad: &Quadratic, what: Trainable, work: &mut Work) -> f64 {
    let l1 = net.hidden.len();
    work.right[l1 - 1].copy_from(&net.last);
    for k in (0..l1 - 1).rev() {
        let (lo, hi) = work.right.split_at_mut(k + 1);
        matmul(lo[k].as_mat_mut(), Accum::Replace, &net.hidden[k + 1], hi[0].as_mat(), 1.0, Par::Seq);
    }
    matmul(work.u.as_mat_mut(), Accum::Replace, at.transpose(), work.right[0].as_mat(), 1.0, Par::Seq);
    let h = &mut work.left[0];
    for (((h, u), l), c) in h.iter_mut().zip(work.u.iter()).zip(quad.lambda.iter()).zip(quad.c.iter()) {
        *h = l * u - c;
    }
    let (lo, hi) = work.left.split_at_mut(1);
    matmul(hi[0].as_mat_mut(), Accum::Replace, at, lo[0].as_mat(), 1.0, Par::Seq);
    for k in 1..l1 {
        let (lo, hi) = work.left.split_at_mut(k + 1);
        matmul(hi[0].as_mat_mut(), Accum::Replace, net.hidden[k].transpose(), lo[k].as_mat(), 1.0, Par::Seq);
    }
    match what {
        Trainable::All => work.left[0].norm_l2(),
        Trainable::Last { lambda } => {
            // The end-to-end velocity M grad_w: directions M barely spans move too slowly to matter.
            let g = &mut work.left[l1];
            *g += &net.last * lambda;
            work.tmp[0].copy_from(&*g);
            for k in (0..l1).rev() {
                let [a, b] = &mut work.tmp;
                matmul(b.as_mat_mut(), Accum::Replace, &net.hidden[k], a.as_mat(), 1.0, Par::Seq);
                std::mem::swap(a, b);
            }
            work.tmp[0].norm_l2()
        }
    }
}

/// One step: A^T -= step b_1 h^T, W_k -= step a_k b_k^T (all layers), w -= step a_L.
fn apply(net: &mut Net, at: &mut Mat<f64>, what: Trainable, work: &Work, step: f64) {
    let l1 = net.hidden.len();
    if what == Trainable::All {
        let rank_one = |w: &mut Mat<f64>, left: &Col<f64>, right: &Col<f64>| {
            matmul(w.as_mut(), Accum::Add, left.as_mat(), right.as_mat().transpose(), -step, Par::Seq);
        };
        rank_one(at, &work.right[0], &work.left[0]);
        for k in 1..l1 {
            rank_one(&mut net.hidden[k], &work.left[k], &work.right[k]);
        }
    }
    for (w, g) in net.last.iter_mut().zip(work.left[l1].iter()) {
        *w -= step * g;
    }
}
