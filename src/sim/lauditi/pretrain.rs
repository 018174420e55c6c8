//! Stage 1: the linear two-layer muP network f(x) = (1/(gamma N)) sum_i z_i (w_i . x), x ~ N(0, I_D),
//! z_i ~ N(0, 1), w_i ~ N(0, I_D), trained by gradient flow on a source task with unit teacher b_s.
//!
//! Gradient flow per neuron: dz_i/dt = gamma (w_i . v), dw_i/dt = gamma z_i v, with
//! v = c - A beta_hat and beta_hat = (1/(gamma N)) sum_i z_i w_i; A = I, c = b_s for the population
//! loss, A = X^T X / P, c = X^T y / P for P = nu1 D samples. Over a step of length dt with v frozen the
//! flow is the boost E = I + U C U^T on (z, w), U = [e0, (0, v/|v|)], theta = gamma dt |v|,
//! C = [[cosh theta - 1, sinh theta], [sinh theta, cosh theta - 1]] (integrator `Flow`);
//! plain gradient descent is C = [[0, theta], [theta, 0]] (integrator `Gd`).
//!
//! Every neuron sees the same E, so the second-moment matrix S = (1/N) sum (z, w)(z, w)^T evolves as
//! S <- E S E^T. At infinite width S starts at I and this is the exact (DMFT-equivalent) dynamics,
//! O(D^2) per step; beta_hat = S[1:, 0] / gamma and the feature kernel is M = S[1:, 1:].
//! The step is adaptive, dt = eta0 / (2 E[z^2] lambda_max(A)), which keeps it stable as the spike grows,
//! capped so that the boost angle gamma dt |v| stays below 2 (large angles cancel catastrophically).
//!
//! Optional weight decay lambda_wd adds -lambda_wd (z_i, w_i) to the flow. It is a multiple of the identity,
//! so it commutes with every boost: a step is E followed by the factor e^{-lambda_wd dt} on (z, w), i.e.
//! S <- e^{-2 lambda_wd dt} E S E^T, still exact. Hence S/c obeys the Lorentz identity for the scalar c
//! accumulated so far, and M = c (I + chi r r^T): isotropic part decaying, direction r unchanged in form.
//!
//! Stopping rule: without weight decay, |v| < tol (zero training gradient). With weight decay the
//! equilibrium has |v| > 0, so the rule is stationarity of the regularised flow: the relative speed
//! sqrt(E|d(z, w)/dt|^2 / E|(z, w)|^2) < tol, where with v = g u, E[z w] = gamma beta_hat:
//!   E|d(z, w)/dt|^2 = gamma^2 g^2 (u^T M u + E[z^2]) - 4 gamma^2 lambda_wd g (beta_hat . u)
//!                     + lambda_wd^2 (E[z^2] + tr M).
//! (Its floating-point floor is about 1e-8 lambda_wd: use tol >= 1e-7 with weight decay.)

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::{normal, normal_col, normal_matrix, unit_vector};
use crate::sim::sample_count;

/// How the flow is discretised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrator {
    /// Exact flow over each step with v frozen (preserves the Lorentz structure exactly).
    Flow,
    /// Plain gradient descent (Euler): discretisation error O(eta0).
    Gd,
}

/// The source task: dimension, data ratio nu1 = P1/D (None = population loss), label noise.
#[derive(Debug, Clone, Copy)]
pub struct SourceTask {
    pub d: usize,
    pub nu1: Option<f64>,
    pub sigma_s: f64,
}

/// Training settings of stage 1.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    /// Feature-learning richness gamma1 > 0.
    pub gamma: f64,
    /// Step-size scale (dimensionless; dt = eta0 / (2 E[z^2] lambda_max(A))).
    pub eta0: f64,
    /// Stop when the gradient |v| falls below this.
    pub tol: f64,
    /// Give up (error) after this many steps.
    pub max_steps: usize,
    pub integrator: Integrator,
    /// Weight decay lambda_wd >= 0 on all weights (0 = plain gradient flow).
    pub weight_decay: f64,
}

/// Result of stage 1.
#[derive(Debug, Clone)]
pub struct Pretrained {
    /// Unit source teacher b_s.
    pub b_s: Col<f64>,
    /// Learned end-to-end predictor beta_hat.
    pub beta_hat: Col<f64>,
    /// Feature kernel M = (1/N) sum_i w_i w_i^T (D x D).
    pub m: Mat<f64>,
    /// E[z^2] = (1/N) sum_i z_i^2.
    pub ez2: f64,
    /// Number of steps taken.
    pub steps: usize,
}

/// The kernel seen along the learned direction r = beta_hat / |beta_hat|.
#[derive(Debug, Clone)]
pub struct Spike {
    /// Unit direction r.
    pub r: Col<f64>,
    /// r^T (M - I) r.
    pub value: f64,
    /// Frobenius norm of M - I - value r r^T (zero iff M = I + value r r^T).
    pub off: f64,
    /// |beta_hat|^2.
    pub q: f64,
}

/// The kernel in the plane of the source teacher b_s and g_hat, the unit vector along the part of
/// beta_hat orthogonal to b_s (claim 3's notation):
/// M - I = c2 b_s b_s^T + c1 (g_hat b_s^T + b_s g_hat^T) + c3 g_hat g_hat^T + (off-plane part).
#[derive(Debug, Clone)]
pub struct SourcePlane {
    pub g_hat: Col<f64>,
    pub c1: f64,
    pub c2: f64,
    pub c3: f64,
    /// Frobenius norm of the off-plane part, |(M - I) - P (M - I) P|_F with P the plane's projector.
    pub off: f64,
    /// Mean diagonal of M outside the plane, (tr M - b_s^T M b_s - g_hat^T M g_hat) / (D - 2) (D >= 3).
    pub iso: f64,
}

/// The kernel as an isotropic part plus a spike along r = beta_hat/|beta_hat|: M = iso I + spike r r^T + rest.
#[derive(Debug, Clone)]
pub struct IsoSpike {
    pub r: Col<f64>,
    /// iso = (tr M - r^T M r) / (D - 1).
    pub iso: f64,
    /// spike = r^T M r - iso.
    pub spike: f64,
    /// Frobenius norm of the rest (0 iff M is exactly iso I + spike r r^T).
    pub off: f64,
}

impl Pretrained {
    /// M = iso I + spike r r^T + rest (exact without rest at infinite width, with or without weight decay).
    pub fn iso_spike(&self) -> IsoSpike {
        let d = self.m.nrows();
        let q = self.beta_hat.squared_norm_l2();
        let r = if q > 0.0 { &self.beta_hat * (1.0 / q.sqrt()) } else { self.b_s.clone() };
        let rmr = r.transpose() * &self.m * &r;
        let trace: f64 = (0..d).map(|i| self.m[(i, i)]).sum();
        let iso = (trace - rmr) / (d.max(2) - 1) as f64;
        let spike = rmr - iso;
        let mut off2 = 0.0;
        for j in 0..d {
            for i in 0..d {
                let e = self.m[(i, j)] - if i == j { iso } else { 0.0 } - spike * r[i] * r[j];
                off2 += e * e;
            }
        }
        IsoSpike { r, iso, spike, off: off2.sqrt() }
    }

    /// Coefficients of M - I in the (b_s, g_hat) plane. When beta_hat has no part orthogonal to b_s
    /// (population source), g_hat is a random unit vector orthogonal to b_s drawn from `rng`.
    pub fn source_plane(&self, rng: &mut Rng) -> SourcePlane {
        let d = self.b_s.nrows();
        let along = self.b_s.transpose() * &self.beta_hat;
        let perp = &self.beta_hat - &self.b_s * along;
        let norm = perp.norm_l2();
        let g_hat = if norm > 1e-12 * (1.0 + along.abs()) {
            perp * (1.0 / norm)
        } else {
            crate::sim::gaussian::unit_vector_orthogonal_to(rng, &self.b_s)
        };
        let (mb, mg) = (&self.m * &self.b_s, &self.m * &g_hat);
        let bmb = self.b_s.transpose() * &mb;
        let gmg = g_hat.transpose() * &mg;
        let (c2, c1, c3) = (bmb - 1.0, self.b_s.transpose() * &mg, gmg - 1.0);
        let mut total = 0.0;
        let mut trace = 0.0;
        for j in 0..d {
            trace += self.m[(j, j)];
            for i in 0..d {
                let e = self.m[(i, j)] - if i == j { 1.0 } else { 0.0 };
                total += e * e;
            }
        }
        let off = (total - (c2 * c2 + 2.0 * c1 * c1 + c3 * c3)).max(0.0).sqrt();
        let iso = (trace - bmb - gmg) / d.saturating_sub(2).max(1) as f64;
        SourcePlane { g_hat, c1, c2, c3, off, iso }
    }

    /// Spike of M - I along the learned direction and the size of everything else.
    pub fn spike(&self) -> Spike {
        let q = self.beta_hat.squared_norm_l2();
        let r = if q > 0.0 { &self.beta_hat * (1.0 / q.sqrt()) } else { self.b_s.clone() };
        let mr = &self.m * &r;
        let value = (r.transpose() * &mr) - 1.0;
        let d = r.nrows();
        let mut off2 = 0.0;
        for j in 0..d {
            for i in 0..d {
                let e = self.m[(i, j)] - if i == j { 1.0 } else { 0.0 } - value * r[i] * r[j];
                off2 += e * e;
            }
        }
        Spike { r, value, off: off2.sqrt(), q }
    }
}

/// The source sample (X, y = X b_s + sigma_s eps) with P1 = nu1 D rows; None for the population loss.
fn source_data(task: &SourceTask, b_s: &Col<f64>, rng: &mut Rng) -> Result<Option<(Mat<f64>, Col<f64>)>> {
    let Some(nu1) = task.nu1 else { return Ok(None) };
    let p = sample_count("nu1", nu1, task.d)?;
    let x = normal_matrix(rng, p, task.d);
    let noise = normal_col(rng, p);
    let y = &x * b_s + noise * task.sigma_s;
    Ok(Some((x, y)))
}

/// The source gradient v(beta) = c - A beta.
struct SourceGradient {
    a: Option<Mat<f64>>,
    c: Col<f64>,
    a_max: f64,
}

impl SourceGradient {
    fn new(task: &SourceTask, b_s: &Col<f64>, rng: &mut Rng) -> Result<Self> {
        match source_data(task, b_s, rng)? {
            None => Ok(SourceGradient { a: None, c: b_s.clone(), a_max: 1.0 }),
            Some((x, y)) => SourceGradient::from_data(&x, &y),
        }
    }

    /// A = X^T X / P, c = X^T y / P.
    fn from_data(x: &Mat<f64>, y: &Col<f64>) -> Result<Self> {
        let scale = 1.0 / x.nrows() as f64;
        let a = (x.transpose() * x) * scale;
        let c = (x.transpose() * y) * scale;
        let eig = a
            .self_adjoint_eigenvalues(faer::Side::Lower)
            .map_err(|e| Error::numerical(format!("eigenvalues of the source covariance: {e:?}")))?;
        let a_max = eig.iter().cloned().fold(0.0, f64::max);
        Ok(SourceGradient { a: Some(a), c, a_max })
    }

    /// v = c - A beta, written into `v` (no allocation).
    fn eval_into(&self, beta: &Col<f64>, v: &mut Col<f64>) {
        v.copy_from(&self.c);
        match &self.a {
            None => *v -= beta,
            Some(a) => matmul(v.as_mat_mut(), Accum::Add, a, beta.as_mat(), -1.0, Par::Seq),
        }
    }
}

/// The 2x2 matrix C of the step E = I + U C U^T for rotation parameter theta.
fn step_matrix(integrator: Integrator, theta: f64) -> [[f64; 2]; 2] {
    match integrator {
        Integrator::Flow => {
            let (ch, sh) = (theta.cosh() - 1.0, theta.sinh());
            [[ch, sh], [sh, ch]]
        }
        Integrator::Gd => [[0.0, theta], [theta, 0.0]],
    }
}

/// Largest boost angle gamma dt |v| of one step.
const THETA_MAX: f64 = 2.0;

/// Second moments of the current network that the stopping rule needs under weight decay.
struct NetMoments {
    /// E[z^2].
    ez2: f64,
    /// u^T M u for the current unit gradient direction u.
    utmu: f64,
    /// tr M.
    trm: f64,
}

/// Controls one training run: gradient, step size, stopping, step counting.
struct Stepper<'a> {
    training: &'a Training,
    grad: &'a SourceGradient,
    steps: usize,
    /// The unit gradient direction u of the current step (reused buffer).
    u: Col<f64>,
    /// |v| of the current step.
    g: f64,
}

impl<'a> Stepper<'a> {
    fn new(training: &'a Training, grad: &'a SourceGradient) -> Self {
        Stepper { training, grad, steps: 0, u: Col::zeros(grad.c.nrows()), g: 0.0 }
    }

    /// Evaluates the gradient v at `beta`, sets `self.u = v/|v|` and `self.g = |v|`.
    fn gradient(&mut self, beta: &Col<f64>) -> Result<()> {
        self.grad.eval_into(beta, &mut self.u);
        let g = self.u.norm_l2();
        if !g.is_finite() {
            return Err(Error::numerical(format!("training diverged at step {} (|v| = {g})", self.steps)));
        }
        self.g = g;
        if g > 0.0 {
            self.u /= g;
        }
        Ok(())
    }

    /// Whether the stopping rule of the module doc holds.
    fn converged(&self, beta: &Col<f64>, m: &NetMoments) -> (bool, f64) {
        let t = self.training;
        let wd = t.weight_decay;
        if wd == 0.0 {
            return (self.g < t.tol, self.g);
        }
        let (gamma, g) = (t.gamma, self.g);
        let bu = (0..beta.nrows()).map(|i| beta[i] * self.u[i]).sum::<f64>();
        let speed2 =
            gamma * gamma * g * g * (m.utmu + m.ez2) - 4.0 * gamma * gamma * wd * g * bu + wd * wd * (m.ez2 + m.trm);
        let speed = (speed2.max(0.0) / (m.ez2 + m.trm)).sqrt();
        (speed < t.tol, speed)
    }

    /// After [`Stepper::gradient`], returns the 2x2 matrix C of the next step E = I + U C U^T and the
    /// weight-decay factor e^{-lambda_wd dt} on (z, w), or None when converged.
    fn next(&mut self, beta: &Col<f64>, m: &NetMoments) -> Result<Option<([[f64; 2]; 2], f64)>> {
        let (done, residual) = self.converged(beta, m);
        if done {
            return Ok(None);
        }
        if self.steps >= self.training.max_steps {
            return Err(Error::numerical(format!(
                "stage-1 training did not converge in {} steps (stationarity residual {residual:.3e} > tol {:.1e})",
                self.steps, self.training.tol
            )));
        }
        self.steps += 1;
        // The boost angle gamma dt |v| is capped at THETA_MAX: cosh of a large angle cancels
        // catastrophically in S <- E S E^T (the Lorentz identity then fails numerically).
        let dt = (self.training.eta0 / (2.0 * m.ez2 * self.grad.a_max)).min(THETA_MAX / (self.training.gamma * self.g));
        let c = step_matrix(self.training.integrator, self.training.gamma * dt * self.g);
        Ok(Some((c, (-self.training.weight_decay * dt).exp())))
    }
}

/// Exact infinite-width training: S starts at `s0` (I for infinite width) and evolves by S <- E S E^T.
pub fn pretrain_moments(
    task: &SourceTask,
    training: &Training,
    s0: Mat<f64>,
    b_s: Col<f64>,
    rng: &mut Rng,
) -> Result<Pretrained> {
    let grad = SourceGradient::new(task, &b_s, rng)?;
    let t = train_moments(&grad, training, s0)?;
    Ok(Pretrained { b_s, beta_hat: t.beta, m: t.m, ez2: t.ez2, steps: t.steps })
}

/// Infinite width with P1 < D source samples, in the row space of X: every gradient v = c - A beta lies
/// in row(X) (c = X^T y/P1, A = X^T X/P1, beta starts at 0), so with X^T = Q R (thin QR, Q: D x P1) the
/// dynamics of S = I + (changes on e0 + range(Q)) are the moment dynamics of the P1-dimensional problem
/// X Q = R^T, and M = c I + Q (M_R - c I) Q^T, beta_hat = Q beta_R, where c is the accumulated weight-decay
/// factor (1 without weight decay) that shrinks S outside the row space. Same result as
/// [`pretrain_moments`] at O(P1^2) instead of O(D^2) per step.
fn pretrain_row_space(x: Mat<f64>, y: Col<f64>, training: &Training, b_s: Col<f64>) -> Result<Pretrained> {
    let (p, d) = (x.nrows(), x.ncols());
    let qr = x.transpose().qr();
    let q = qr.compute_thin_Q();
    let xr = qr.thin_R().transpose().to_owned();
    let grad = SourceGradient::from_data(&xr, &y)?;
    let t = train_moments(&grad, training, Mat::identity(p + 1, p + 1))?;
    let beta_hat = &q * &t.beta;
    let c = t.shrink;
    let m = Mat::<f64>::identity(d, d) * c + &q * (t.m - Mat::<f64>::identity(p, p) * c) * q.transpose();
    Ok(Pretrained { b_s, beta_hat, m, ez2: t.ez2, steps: t.steps })
}

/// What the moment dynamics end with.
struct Trained {
    beta: Col<f64>,
    m: Mat<f64>,
    ez2: f64,
    steps: usize,
    /// Accumulated weight-decay factor on S (1 without weight decay).
    shrink: f64,
}

/// The moment dynamics S <- E S E^T from `s0` until the stopping rule.
///
/// With U = [e0, (0, u)] and Y = S U = [y0, y1], a step is S += Z U^T + U Z^T with
/// Z = Y C + U (C G C) / 2 and G = U^T Y (2 x 2). S stays exactly symmetric: entries (i, j) and (j, i)
/// add the same products in commuted order.
fn train_moments(grad: &SourceGradient, training: &Training, s0: Mat<f64>) -> Result<Trained> {
    let d = s0.nrows() - 1;
    let mut stepper = Stepper::new(training, grad);
    let mut s = s0;
    let gamma = training.gamma;
    let beta_into = |s: &Mat<f64>, beta: &mut Col<f64>| {
        for i in 0..d {
            beta[i] = s[(i + 1, 0)] / gamma;
        }
    };
    let mut beta = Col::<f64>::zeros(d);
    beta_into(&s, &mut beta);
    let (mut y, mut z) = (Pair::zeros(d + 1), Pair::zeros(d + 1));
    let mut shrink = 1.0;
    let arch = pulp::Arch::new();
    loop {
        stepper.gradient(&beta)?;
        let u = col_slice(&stepper.u);
        y.first.copy_from_slice(s.col_as_slice(0));
        arch.dispatch(TailProduct { s: &s, u, y1: &mut y.second });
        let g = [[y.first[0], y.second[0]], [y.second[0], dot(u, &y.second[1..])]];
        let moments = NetMoments { ez2: s[(0, 0)], utmu: g[1][1], trm: (1..=d).map(|i| s[(i, i)]).sum() };
        let Some((c, decay)) = stepper.next(&beta, &moments)? else { break };
        let u = col_slice(&stepper.u);
        z.combine(&y, &c, &mul2(&mul2(&c, &g), &c), u);
        arch.dispatch(SymmetricUpdate { s: &mut s, z: &z, u, scale: decay * decay });
        shrink *= decay * decay;
        beta_into(&s, &mut beta);
    }
    let m = Mat::from_fn(d, d, |i, j| s[(i + 1, j + 1)]);
    Ok(Trained { beta, m, ez2: s[(0, 0)], steps: stepper.steps, shrink })
}

/// Two columns of length d + 1 (the d + 1 x 2 matrices Y and Z of [`train_moments`]).
struct Pair {
    first: Vec<f64>,
    second: Vec<f64>,
}

impl Pair {
    fn zeros(n: usize) -> Pair {
        Pair { first: vec![0.0; n], second: vec![0.0; n] }
    }

    /// Z = Y C + U (C G C) / 2 with U = [e0, (0, u)], `cgc` = C G C.
    fn combine(&mut self, y: &Pair, c: &[[f64; 2]; 2], cgc: &[[f64; 2]; 2], u: &[f64]) {
        for (k, zk) in [&mut self.first, &mut self.second].into_iter().enumerate() {
            for ((z, &a), &b) in zk.iter_mut().zip(&y.first).zip(&y.second) {
                *z = a * c[0][k] + b * c[1][k];
            }
            zk[0] += 0.5 * cgc[0][k];
            for (z, &uj) in zk[1..].iter_mut().zip(u) {
                *z += 0.5 * cgc[1][k] * uj;
            }
        }
    }
}

/// y1 = S[:, 1..] u as axpys over the columns of S: entry i sums j = 0..d in order, the dot product of
/// row i with u (S is symmetric), but the d + 1 sums run side by side and vectorise. Run through
/// [`pulp::Arch::dispatch`] so the loop is compiled for the machine's widest vector unit.
struct TailProduct<'a> {
    s: &'a Mat<f64>,
    u: &'a [f64],
    y1: &'a mut [f64],
}

impl pulp::WithSimd for TailProduct<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.y1.fill(0.0);
        for (j, &uj) in self.u.iter().enumerate() {
            for (y, &sij) in self.y1.iter_mut().zip(self.s.col_as_slice(j + 1)) {
                *y += sij * uj;
            }
        }
    }
}

/// S <- (S + Z U^T + U Z^T) scale, column by column (U's columns are e0 and (0, u); `scale` is the
/// weight-decay factor, exactly 1 without weight decay). Dispatched as [`TailProduct`].
struct SymmetricUpdate<'a> {
    s: &'a mut Mat<f64>,
    z: &'a Pair,
    u: &'a [f64],
    scale: f64,
}

impl pulp::WithSimd for SymmetricUpdate<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let (z, u, scale) = (self.z, self.u, self.scale);
        for j in 0..self.s.ncols() {
            let (u0j, u1j) = if j == 0 { (1.0, 0.0) } else { (0.0, u[j - 1]) };
            let (z0j, z1j) = (z.first[j], z.second[j]);
            let col = self.s.col_as_slice_mut(j);
            col[0] = (col[0] + (z.first[0] * u0j + z.second[0] * u1j + z0j)) * scale;
            for (((c, &a), &b), &ui) in col[1..].iter_mut().zip(&z.first[1..]).zip(&z.second[1..]).zip(u) {
                *c = (*c + (a * u0j + b * u1j + ui * z1j)) * scale;
            }
        }
    }
}

/// The entries of a column vector as a slice.
fn col_slice(c: &Col<f64>) -> &[f64] {
    c.try_as_col_major().expect("an owned column is contiguous").as_slice()
}

/// Sum of a_i b_i in order.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn mul2(a: &[[f64; 2]; 2], b: &[[f64; 2]; 2]) -> [[f64; 2]; 2] {
    let mut out = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j];
        }
    }
    out
}

/// Finite-width training of N explicit neurons (readouts z, first-layer weights W, N x D).
/// Each step costs O(N D): s = W u, z += C00 z + C01 s, W += (C10 z + C11 s) u^T.
pub fn pretrain_network(
    task: &SourceTask,
    training: &Training,
    z: Col<f64>,
    w: Mat<f64>,
    b_s: Col<f64>,
    rng: &mut Rng,
) -> Result<Pretrained> {
    let n = w.nrows();
    let grad = SourceGradient::new(task, &b_s, rng)?;
    let mut stepper = Stepper::new(training, &grad);
    let (mut z, mut w) = (z, w);
    let scale = 1.0 / (training.gamma * n as f64);
    let beta_into = |z: &Col<f64>, w: &Mat<f64>, beta: &mut Col<f64>| {
        matmul(beta.as_mat_mut(), Accum::Replace, w.transpose(), z.as_mat(), scale, Par::Seq)
    };
    let mut beta = Col::<f64>::zeros(w.ncols());
    let mut s = Col::<f64>::zeros(n);
    beta_into(&z, &w, &mut beta);
    let inv_n = 1.0 / n as f64;
    loop {
        stepper.gradient(&beta)?;
        // s = W u; then z += C00 z + C01 s and s <- C10 z + C11 s (old z), and W += s u^T.
        matmul(s.as_mat_mut(), Accum::Replace, &w, stepper.u.as_mat(), 1.0, Par::Seq);
        let moments = NetMoments {
            ez2: z.squared_norm_l2() * inv_n,
            utmu: s.squared_norm_l2() * inv_n,
            trm: if training.weight_decay > 0.0 { w.squared_norm_l2() * inv_n } else { 0.0 },
        };
        let Some((c, decay)) = stepper.next(&beta, &moments)? else { break };
        for i in 0..n {
            let (zi, si) = (z[i], s[i]);
            z[i] = zi + c[0][0] * zi + c[0][1] * si;
            s[i] = c[1][0] * zi + c[1][1] * si;
        }
        matmul(&mut w, Accum::Add, s.as_mat(), stepper.u.as_mat().transpose(), 1.0, Par::Seq);
        if decay != 1.0 {
            z *= decay;
            w *= decay;
        }
        beta_into(&z, &w, &mut beta);
    }
    let m = (w.transpose() * &w) * (1.0 / n as f64);
    Ok(Pretrained { b_s, beta_hat: beta, m, ez2: z.squared_norm_l2() / n as f64, steps: stepper.steps })
}

/// Width of the network: finite N or infinite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Finite(usize),
    Infinite,
}

/// Stage 1 end to end: draws b_s (and the initial network at finite width) from `rng`, then trains.
/// A run whose weights stop being finite is an error, never a result.
pub fn pretrain(task: &SourceTask, training: &Training, width: Width, rng: &mut Rng) -> Result<Pretrained> {
    let pre = pretrain_unchecked(task, training, width, rng)?;
    let finite = pre.ez2.is_finite()
        && pre.beta_hat.iter().all(|x| x.is_finite())
        && (0..pre.m.ncols()).all(|j| pre.m.col(j).iter().all(|x| x.is_finite()));
    if !finite {
        return Err(Error::numerical(format!(
            "stage-1 training produced non-finite weights (gamma {}, eta0 {}): reduce eta0",
            training.gamma, training.eta0
        )));
    }
    Ok(pre)
}

fn pretrain_unchecked(task: &SourceTask, training: &Training, width: Width, rng: &mut Rng) -> Result<Pretrained> {
    let b_s = unit_vector(rng, task.d);
    match width {
        Width::Infinite => match source_data(task, &b_s, rng)? {
            Some((x, y)) if x.nrows() < task.d => pretrain_row_space(x, y, training, b_s),
            Some((x, y)) => {
                let grad = SourceGradient::from_data(&x, &y)?;
                let t = train_moments(&grad, training, Mat::identity(task.d + 1, task.d + 1))?;
                Ok(Pretrained { b_s, beta_hat: t.beta, m: t.m, ez2: t.ez2, steps: t.steps })
            }
            None => pretrain_moments(task, training, Mat::identity(task.d + 1, task.d + 1), b_s, rng),
        },
        Width::Finite(n) => {
            let z = Col::from_fn(n, |_| normal(rng));
            let w = normal_matrix(rng, n, task.d);
            pretrain_network(task, training, z, w, b_s, rng)
        }
    }
}

/// Bytes of memory a pre-training run needs (for refusing sizes that would not fit).
pub fn memory_bytes(task: &SourceTask, width: Width) -> f64 {
    let d = task.d as f64;
    let data = task.nu1.map_or(0.0, |nu1| nu1 * d * d + d * d);
    let net = match width {
        Width::Infinite => (d + 1.0) * (d + 1.0) * 2.0,
        Width::Finite(n) => 2.0 * n as f64 * (d + 1.0) + d * d,
    };
    8.0 * (data + net)
}
