//! Full-batch gradient descent on a depth-L linear network f(x) = x^T W_1 ... W_{L-1} w in f64.
//!
//! Small initialisation: hidden layers alpha N(0, 1/d) entries, last layer alpha N(0, I_d).
//! Losses: population source loss (1/2)|beta - beta_s|^2, or data loss (1/(2n))|X beta - y|^2
//! (+ (lambda/2)|w|^2 when only the last layer trains). With g the gradient with respect to the
//! end-to-end vector beta, the gradient of W_k is a_k b_k^T with a_1 = g, a_{k+1} = W_k^T a_k and
//! b_k = W_{k+1} ... W_{L-1} w: every step is O(L d^2 + n d) and allocation-free.
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

/// Reusable buffers of one training run.
struct Work {
    /// b_k for every hidden layer k (b_{L-1} = w).
    right: Vec<Col<f64>>,
    /// a_k for every layer (a_L = gradient of w).
    left: Vec<Col<f64>>,
    beta: Col<f64>,
    resid: Col<f64>,
    /// Two buffers for M grad_w (last layer alone).
    tmp: [Col<f64>; 2],
}

/// Trains `net` by gradient descent; the step is eta / curvature bound.
pub fn train(net: &mut Net, loss: &Loss, what: Trainable, settings: &Settings) -> Result<Fit> {
    let d = net.last.nrows();
    let depth = net.hidden.len() + 1;
    let (lam_max, n) = match loss {
        Loss::Population(_) => (1.0, 0),
        Loss::Data { x, .. } => (super::top_eigenvalue(x)?, x.nrows()),
    };
    let mut work = Work {
        right: vec![Col::zeros(d); depth - 1],
        left: vec![Col::zeros(d); depth],
        beta: Col::zeros(d),
        resid: Col::zeros(n),
        tmp: [Col::zeros(d), Col::zeros(d)],
    };
    // Curvature bound: L lambda_max s^(2(L-1)/L) with s = max(1, |beta|) over the run for all layers;
    // sigma_1(M)^2 lambda_max + lambda for the last layer alone (M frozen).
    let step = match what {
        Trainable::All => {
            let scale = match loss {
                Loss::Population(t) => t.squared_norm_l2().max(1.0),
                Loss::Data { y, .. } => (y.squared_norm_l2() / n as f64).max(1.0),
            };
            settings.eta / (depth as f64 * lam_max * scale)
        }
        Trainable::Last { lambda } => {
            let top = net.representation().singular_values().map_err(|e| Error::numerical(format!("{e:?}")))?;
            let s = top.iter().copied().fold(0.0, f64::max);
            settings.eta / (s * s * lam_max + lambda)
        }
    };
    for steps in 0..settings.max_steps {
        let gnorm = gradient(net, loss, what, &mut work);
        if !gnorm.is_finite() {
            return Err(Error::numerical(format!("gradient descent diverged at step {steps}")));
        }
        if gnorm < settings.tol {
            return Ok(Fit { steps, converged: true });
        }
        apply(net, what, &work, step);
    }
    Ok(Fit { steps: settings.max_steps, converged: false })
}

/// Fills the work buffers with the layer factors of the gradient; returns its norm (end to end for
/// all layers, of w for the last layer alone).
fn gradient(net: &Net, loss: &Loss, what: Trainable, work: &mut Work) -> f64 {
    let l1 = net.hidden.len();
    work.right[l1 - 1].copy_from(&net.last);
    for k in (0..l1 - 1).rev() {
        let (lo, hi) = work.right.split_at_mut(k + 1);
        matmul(lo[k].as_mat_mut(), Accum::Replace, &net.hidden[k + 1], hi[0].as_mat(), 1.0, Par::Seq);
    }
    matmul(work.beta.as_mat_mut(), Accum::Replace, &net.hidden[0], work.right[0].as_mat(), 1.0, Par::Seq);
    match loss {
        Loss::Population(t) => {
            work.left[0].copy_from(&work.beta);
            work.left[0] -= *t;
        }
        Loss::Data { x, y } => {
            matmul(work.resid.as_mat_mut(), Accum::Replace, *x, work.beta.as_mat(), 1.0, Par::Seq);
            work.resid -= *y;
            let scale = 1.0 / x.nrows() as f64;
            matmul(work.left[0].as_mat_mut(), Accum::Replace, x.transpose(), work.resid.as_mat(), scale, Par::Seq);
        }
    }
    for k in 0..l1 {
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

/// One step: W_k -= step a_k b_k^T (all layers), w -= step a_L.
fn apply(net: &mut Net, what: Trainable, work: &Work, step: f64) {
    let l1 = net.hidden.len();
    if what == Trainable::All {
        for k in 0..l1 {
            matmul(
                net.hidden[k].as_mut(),
                Accum::Add,
                work.left[k].as_mat(),
                work.right[k].as_mat().transpose(),
                -step,
                Par::Seq,
            );
        }
    }
    for (w, g) in net.last.iter_mut().zip(work.left[l1].iter()) {
        *w -= step * g;
    }
}
