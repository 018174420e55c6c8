//! Two-layer ReLU CNN with parameter transfer (Yuan, Meng et al., arXiv 2509.22056; model
//! reconstructed after Kou, Chen, Chen, Gu, ICML 2023).
//!
//! Data of task k (k = 1 upstream, k = 2 downstream): clean label y = +-1 uniform, observed label
//! flipped with probability p; two patches, the signal patch y (u + v_k) and the noise patch
//! xi ~ N(0, sigma_{p,k}^2 (I - u u^T/|u|^2 - v_k v_k^T/|v_k|^2)). Coordinates are chosen so that
//! u = |u| e_0, v1 = |v1| e_1, v2 = |v2| e_2 (mutually orthogonal; the law is rotation invariant).
//!
//! Network: f(W, x) = F_{+1}(x) - F_{-1}(x), F_j(x) = (1/m) sum_r sum_p ReLU(<w_{j,r}, x^(p)>);
//! filters are the rows of W (2m x d): rows 0..m belong to class +1, rows m..2m to class -1.
//! Training: full-batch gradient descent with step eta on (1/N) sum_i log(1 + exp(-y~_i f(x_i))).
//! The gradient of filter r is (j_r/(N m)) sum_i l'_i y~_i [1(<w_r, y_i s> > 0) y_i s + 1(<w_r, xi_i> > 0) xi_i]
//! with s = u + v_k, so each step moves w_r inside span{signal, training noise vectors}.
//!
//! [`train`] runs a stage with either method: [`Method::Direct`] updates the d-vectors (O(m N d)
//! per step), [`Method::Coefficient`] tracks w_r = s_r + a_r . e + sum_i rho_{r,i} xi_i from the
//! stage's starting filters s_r (O(m N^2) per step after an O(N^2 d + m N d) set-up).
//! [`transfer_trial`] runs upstream training, transfer of alpha m filters per class, downstream
//! training of the transferred and of a scratch model on common data, and their test errors.

mod coefficient;
mod direct;
mod mechanism;
mod test_error;

use faer::Mat;
use rand::RngExt;

use crate::rng::Rng;
use crate::sim::gaussian::normal;

pub use mechanism::u_coefficient_ratio;
pub use test_error::{test_error, test_errors};

/// Coordinates holding the signal vectors u, v1, v2.
pub const SIGNAL_COORDS: usize = 3;

/// One task's data distribution.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    /// |u|.
    pub u_norm: f64,
    /// |v_k|.
    pub v_norm: f64,
    /// Which coordinate holds v_k: 1 (upstream) or 2 (downstream).
    pub v_coord: usize,
    /// Noise standard deviation sigma_{p,k}.
    pub sigma_p: f64,
    /// Label-flip probability p.
    pub flip: f64,
}

impl Task {
    /// The signal vector s = u + v_k in signal coordinates.
    pub fn signal(&self) -> [f64; SIGNAL_COORDS] {
        let mut s = [self.u_norm, 0.0, 0.0];
        s[self.v_coord] = self.v_norm;
        s
    }

    /// Draws n training samples in dimension d.
    pub fn sample(&self, n: usize, d: usize, rng: &mut Rng) -> Data {
        let y: Vec<f64> = (0..n).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect();
        let y_obs: Vec<f64> = y.iter().map(|&yi| if rng.random::<f64>() < self.flip { -yi } else { yi }).collect();
        let noise = Mat::from_fn(n, d, |_, c| {
            let g = normal(rng);
            if c == 0 || c == self.v_coord { 0.0 } else { self.sigma_p * g }
        });
        Data { y, y_obs, signal: self.signal(), noise }
    }
}

/// A training set: labels, the signal vector, and the noise patches (rows of `noise`, N x d).
#[derive(Debug, Clone)]
pub struct Data {
    /// Clean labels (they multiply the signal patch).
    pub y: Vec<f64>,
    /// Observed labels (they enter the loss).
    pub y_obs: Vec<f64>,
    pub signal: [f64; SIGNAL_COORDS],
    pub noise: Mat<f64>,
}

/// How a training stage is computed; both give the same filters up to rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Filters as d-vectors: O(m N d) per step.
    Direct,
    /// Filters as coefficients in span{start, signal, noise}: O(m N^2) per step.
    Coefficient,
}

/// Gradient-descent settings of one stage.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    pub eta: f64,
    pub steps: usize,
}

/// Sign j_r of filter r's class in a network with 2m filters.
fn class_sign(r: usize, m: usize) -> f64 {
    if r < m { 1.0 } else { -1.0 }
}

/// Loss-gradient weights g_i = l'(y~_i f_i) y~_i = -y~_i / (1 + exp(y~_i f_i)) from the activations:
/// `sig[r]` = <w_r, s>, `z[(r, i)]` = <w_r, xi_i>.
fn loss_weights(sig: &[f64], z: &Mat<f64>, data: &Data, m: usize, g: &mut [f64]) {
    let inv_m = 1.0 / m as f64;
    for (i, gi) in g.iter_mut().enumerate() {
        let yi = data.y[i];
        let mut f = 0.0;
        for (r, (&sr, &zr)) in sig.iter().zip(z.col_as_slice(i)).enumerate() {
            f += class_sign(r, m) * ((yi * sr).max(0.0) + zr.max(0.0));
        }
        let yo = data.y_obs[i];
        *gi = -yo / (1.0 + (yo * f * inv_m).exp());
    }
}

/// Per-filter signal step c_r = -eta j_r/(N m) sum_i g_i 1(y_i <w_r, s> > 0) y_i and noise steps
/// D_{r,i} = -eta j_r/(N m) g_i 1(<w_r, xi_i> > 0): w_r += c_r s + sum_i D_{r,i} xi_i.
///
/// Column by column of `z` and `dmat` (contiguous), each c_r summed over i in order.
fn step_coefficients(sig: &[f64], z: &Mat<f64>, g: &[f64], data: &Data, eta: f64, c: &mut [f64], dmat: &mut Mat<f64>) {
    let m = sig.len() / 2;
    let n = g.len();
    let scale = -eta / (n as f64 * m as f64);
    c.fill(0.0);
    for (i, &gi) in g.iter().enumerate() {
        let yi = data.y[i];
        let (zc, dc) = (z.col_as_slice(i), dmat.col_as_slice_mut(i));
        for (r, ((acc, &sr), (d, &zr))) in c.iter_mut().zip(sig).zip(dc.iter_mut().zip(zc)).enumerate() {
            // Values first, then selects: branch-free.
            let (a, v) = (*acc + gi * yi, scale * class_sign(r, m) * gi);
            *acc = if yi * sr > 0.0 { a } else { *acc };
            *d = if zr > 0.0 { v } else { 0.0 };
        }
    }
    for (r, cr) in c.iter_mut().enumerate() {
        *cr *= scale * class_sign(r, m);
    }
}

/// Trains the filters `w` (2m x d, rows = filters) in place for one stage.
pub fn train(w: &mut Mat<f64>, data: &Data, training: &Training, method: Method) {
    match method {
        Method::Direct => direct::train(w, data, training),
        Method::Coefficient => coefficient::train(w, data, training),
    }
}

/// Sizes and settings of a parameter-transfer experiment.
#[derive(Debug, Clone, Copy)]
pub struct Experiment {
    pub d: usize,
    /// Filters per class.
    pub m: usize,
    pub n1: usize,
    pub n2: usize,
    pub upstream: Task,
    pub downstream: Task,
    /// Inherited filters per class (alpha m).
    pub inherited: usize,
    pub stage1: Training,
    pub stage2: Training,
    /// Initialisation standard deviation sigma_0.
    pub sigma0: f64,
    /// Test pairs (x, y = +1) and (x, y = -1) sharing one noise patch.
    pub n_test: usize,
}

/// Result of one trial.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// Downstream 0-1 test error of the transferred model.
    pub transfer: f64,
    /// Downstream 0-1 test error of the model trained from scratch on the same data.
    pub scratch: f64,
    /// Downstream 0-1 test error of the transferred model at inheritance, before downstream
    /// training (the scratch initialisation's error when nothing is inherited).
    pub inherited: f64,
    /// Upstream signal-to-memorisation ratio: sum_r |<w_r - w0_r, u>|/|u| over sum_r of the norm of
    /// the part of w_r - w0_r outside the signal coordinates.
    pub upstream_snr: f64,
    /// Inherited filters' signal coefficient on u relative to their noise memorisation after upstream
    /// training ([`u_coefficient_ratio`]; 0 if nothing is inherited).
    pub u_ratio: f64,
}

/// Bytes one trial holds (noise matrices and filters).
pub fn memory_bytes(e: &Experiment) -> f64 {
    8.0 * e.d as f64 * (e.n1.max(e.n2) as f64 + 8.0 * e.m as f64) + 8.0 * (e.n1.max(e.n2) as f64).powi(2)
}

/// Uniformly random subset of `k` of `0..m` (partial Fisher-Yates).
fn random_subset(m: usize, k: usize, rng: &mut Rng) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..m).collect();
    for i in 0..k {
        let j = rng.random_range(i..m);
        idx.swap(i, j);
    }
    idx.truncate(k);
    idx
}

/// One parameter-transfer trial: upstream training (skipped when nothing is inherited), transfer of
/// `inherited` random filters per class into a fresh downstream initialisation, downstream training
/// of the transferred and of the scratch model (the same fresh initialisation and data), test errors
/// on common test noise; then the error of the transferred model at inheritance on test noise of its
/// own (drawn last, so the other outputs do not depend on it).
pub fn transfer_trial(e: &Experiment, method: Method, rng: &mut Rng) -> Outcome {
    let two_m = 2 * e.m;
    let init = |rng: &mut Rng| Mat::from_fn(two_m, e.d, |_, _| e.sigma0 * normal(rng));
    let w0_up = init(rng);
    let data1 = e.upstream.sample(e.n1, e.d, rng);
    let mut w_up = w0_up.clone();
    let mut upstream_snr = 0.0;
    if e.inherited > 0 {
        train(&mut w_up, &data1, &e.stage1, method);
        let (mut sig, mut mem) = (0.0, 0.0);
        for r in 0..two_m {
            sig += (w_up[(r, 0)] - w0_up[(r, 0)]).abs();
            mem += (SIGNAL_COORDS..e.d).map(|c| (w_up[(r, c)] - w0_up[(r, c)]).powi(2)).sum::<f64>().sqrt();
        }
        upstream_snr = if mem > 0.0 { sig / mem } else { 0.0 };
    }
    let w0_down = init(rng);
    let mut w_transfer = w0_down.clone();
    let mut inherited = Vec::with_capacity(2 * e.inherited);
    for class in 0..2 {
        for r in random_subset(e.m, e.inherited, rng) {
            let row = class * e.m + r;
            inherited.push(row);
            for c in 0..e.d {
                w_transfer[(row, c)] = w_up[(row, c)];
            }
        }
    }
    let u_ratio = u_coefficient_ratio(&w_up, &w0_up, &inherited, &data1, e.upstream.u_norm);
    let at_inheritance = w_transfer.clone();
    let mut w_scratch = w0_down;
    let data2 = e.downstream.sample(e.n2, e.d, rng);
    if e.inherited > 0 {
        train(&mut w_transfer, &data2, &e.stage2, method);
    }
    train(&mut w_scratch, &data2, &e.stage2, method);
    // Nothing inherited: the transferred model is the scratch model, scored once.
    let (transfer, scratch) = if e.inherited == 0 {
        let err = test_error(&w_scratch, &e.downstream, e.n_test, rng);
        (err, err)
    } else {
        test_errors(&w_transfer, &w_scratch, &e.downstream, e.n_test, rng)
    };
    let at_inheritance = test_error(&at_inheritance, &e.downstream, e.n_test, rng);
    Outcome { transfer, scratch, inherited: at_inheritance, upstream_snr, u_ratio }
}
