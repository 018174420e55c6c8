//! The two representations of the hidden layer, which differ only in how the pre-activations
//! h_i(x_mu) = w_i . x_mu / sqrt(D) on the training points move under a feature update.
//!
//! A feature update is dh_i(x)/dt = sum_nu G_{i nu} K^x(x_nu, x) with K^x(x, x') = x . x' / D, G an
//! M x P matrix over the P training points of the current stage (set by the Euler loop of the `dynamics`
//! module, which depends on this one, not the other way).
//!
//! - [`Network`]: the finite-width network. It stores W (N x D) and applies dW = dt G X_tr / sqrt(D),
//!   then recomputes H_tr = W X_tr^T / sqrt(D): O(N P D) per step.
//! - [`Population`]: the DMFT single-site solver. It never forms a D-dimensional weight: it stores the
//!   pre-activations H_tr (M x P) and moves them by dt G K^x_tr, O(M P^2) per step. Pre-activations on
//!   every other point are H_start + C K^x[tr, .], with C = int G dt accumulated over the stage
//!   (K^x is constant, so this is exact), evaluated only when a curve is recorded.
//!   [`Population::sample`] draws M independent neurons and subtracts their initial output (a control
//!   variate: the single-site limit has f = 0 at the start), so all M neurons are distinct features.
//! - [`Readout`]: the second layer a_i and the output's offset (the population's initial output).

use std::ops::Range;

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, MatRef, Par};

use super::activation::Phi;
use crate::rng::Rng;
use crate::sim::gaussian::{normal, normal_matrix};

/// The readout and the output's offset: f(x) = (1/N) sum_i a_i phi(h_i(x)) - offset(x), with `offset` over
/// the stacked points (zero for the network; the population's initial output, a control variate that
/// vanishes at infinite width, see [`Population::sample`]). A readout reset clears it.
#[derive(Debug, Clone)]
pub struct Readout {
    pub a: Col<f64>,
    pub offset: Col<f64>,
}

/// Pre-activations of the hidden layer under feature updates.
pub trait Features {
    /// Number of neurons (width N or population size M).
    fn neurons(&self) -> usize;
    /// Pre-activations on the current training points (neurons x P).
    fn train(&self) -> MatRef<'_, f64>;
    /// Applies h += dt * G K^x on every point (G: neurons x P over the training points).
    fn update(&mut self, g: MatRef<'_, f64>, dt: f64);
    /// Pre-activations on the points `range` of the stacked inputs, written into `out` (neurons x len).
    fn evaluate(&self, range: Range<usize>, out: &mut Mat<f64>);
    /// Makes the points `range` the training set of the next stage.
    fn set_train(&mut self, range: Range<usize>);
}

/// The finite-width network: W is N x D, inputs are the rows of `x` (all points stacked).
pub struct Network {
    x: Mat<f64>,
    w: Mat<f64>,
    train_range: Range<usize>,
    h_train: Mat<f64>,
    scale: f64,
}

impl Network {
    /// A network with first-layer weights `w` (N x D) on the stacked inputs `x` (P_all x D).
    pub fn new(x: Mat<f64>, w: Mat<f64>, train_range: Range<usize>) -> Network {
        let scale = 1.0 / (x.ncols() as f64).sqrt();
        let h_train = Mat::zeros(w.nrows(), train_range.len());
        let mut net = Network { x, w, train_range: 0..0, h_train, scale };
        net.set_train(train_range);
        net
    }

    fn refresh(&mut self) {
        let xt = self.x.subrows(self.train_range.start, self.train_range.len());
        matmul(&mut self.h_train, Accum::Replace, &self.w, xt.transpose(), self.scale, Par::Seq);
    }
}

impl Features for Network {
    fn neurons(&self) -> usize {
        self.w.nrows()
    }

    fn train(&self) -> MatRef<'_, f64> {
        self.h_train.as_ref()
    }

    fn update(&mut self, g: MatRef<'_, f64>, dt: f64) {
        let xt = self.x.subrows(self.train_range.start, self.train_range.len());
        matmul(&mut self.w, Accum::Add, g, xt, dt * self.scale, Par::Seq);
        self.refresh();
    }

    fn evaluate(&self, range: Range<usize>, out: &mut Mat<f64>) {
        let xr = self.x.subrows(range.start, range.len());
        matmul(out.as_mut(), Accum::Replace, &self.w, xr.transpose(), self.scale, Par::Seq);
    }

    fn set_train(&mut self, range: Range<usize>) {
        self.h_train.resize_with(self.w.nrows(), range.len(), |_, _| 0.0);
        self.train_range = range;
        self.refresh();
    }
}

/// The DMFT single-site population: M neurons, each its pre-activations on every input.
pub struct Population {
    /// Input kernel K^x = X X^T / D over all stacked points.
    kx: Mat<f64>,
    /// Pre-activations on all points at the start of the current stage (M x P_all).
    start: Mat<f64>,
    /// C = int G dt over the current stage (M x P).
    accumulated: Mat<f64>,
    h_train: Mat<f64>,
    train_range: Range<usize>,
}

impl Population {
    /// A population with initial pre-activations `h0` (M x P_all, rows ~ N(0, K^x)) and input
    /// kernel `kx` (P_all x P_all).
    pub fn new(kx: Mat<f64>, h0: Mat<f64>, train_range: Range<usize>) -> Population {
        let m = h0.nrows();
        let mut pop =
            Population { kx, start: h0, accumulated: Mat::zeros(m, 0), h_train: Mat::zeros(m, 0), train_range: 0..0 };
        pop.begin(train_range);
        pop
    }

    /// Draws M neurons of the single-site process on the stacked inputs `x` (rows): pre-activations
    /// h ~ N(0, K^x) through the factor X / sqrt(D) of K^x (h = X z / sqrt(D), z ~ N(0, I_D) drawn and
    /// discarded), readouts a ~ N(0, readout_scale^2), and the offset f0(x) = (1/M) sum_i a_i phi(h_i(x))
    /// that makes the initial output exactly 0, as at infinite width.
    pub fn sample(
        x: &Mat<f64>,
        phi: Phi,
        readout_scale: f64,
        m: usize,
        train_range: Range<usize>,
        rng: &mut Rng,
    ) -> (Population, Readout) {
        let (p_all, d) = (x.nrows(), x.ncols());
        let z = normal_matrix(rng, m, d);
        let mut h0 = Mat::zeros(m, p_all);
        matmul(&mut h0, Accum::Replace, &z, x.transpose(), 1.0 / (d as f64).sqrt(), Par::Seq);
        let a = Col::from_fn(m, |_| readout_scale * normal(rng));
        let act = Mat::from_fn(m, p_all, |i, j| phi.value(h0[(i, j)]));
        let offset = act.transpose() * &a * (1.0 / m as f64);
        let mut kx = Mat::zeros(p_all, p_all);
        matmul(&mut kx, Accum::Replace, x, x.transpose(), 1.0 / d as f64, Par::Seq);
        (Population::new(kx, h0, train_range), Readout { a, offset })
    }

    fn begin(&mut self, range: Range<usize>) {
        let m = self.start.nrows();
        self.accumulated = Mat::zeros(m, range.len());
        self.h_train = self.start.subcols(range.start, range.len()).to_owned();
        self.train_range = range;
    }
}

impl Features for Population {
    fn neurons(&self) -> usize {
        self.start.nrows()
    }

    fn train(&self) -> MatRef<'_, f64> {
        self.h_train.as_ref()
    }

    fn update(&mut self, g: MatRef<'_, f64>, dt: f64) {
        let tr = self.train_range.clone();
        let k = self.kx.submatrix(tr.start, tr.start, tr.len(), tr.len());
        matmul(&mut self.h_train, Accum::Add, g, k, dt, Par::Seq);
        add_scaled(&mut self.accumulated, g, dt);
    }

    fn evaluate(&self, range: Range<usize>, out: &mut Mat<f64>) {
        let tr = self.train_range.clone();
        out.copy_from(self.start.subcols(range.start, range.len()));
        let k = self.kx.submatrix(tr.start, range.start, tr.len(), range.len());
        matmul(out.as_mut(), Accum::Add, &self.accumulated, k, 1.0, Par::Seq);
    }

    fn set_train(&mut self, range: Range<usize>) {
        let all = self.start.ncols();
        let mut now = Mat::zeros(self.start.nrows(), all);
        self.evaluate(0..all, &mut now);
        self.start = now;
        self.begin(range);
    }
}

/// dst += alpha * src, elementwise.
fn add_scaled(dst: &mut Mat<f64>, src: MatRef<'_, f64>, alpha: f64) {
    for j in 0..dst.ncols() {
        for i in 0..dst.nrows() {
            dst[(i, j)] += alpha * src[(i, j)];
        }
    }
}
