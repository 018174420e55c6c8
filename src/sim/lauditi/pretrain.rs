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
//! The step is adaptive, dt = eta0 / (2 E[z^2] lambda_max(A)), which keeps it stable as the spike grows.

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

impl Pretrained {
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

/// The source gradient v(beta) = c - A beta.
struct SourceGradient {
    a: Option<Mat<f64>>,
    c: Col<f64>,
    a_max: f64,
}

impl SourceGradient {
    fn new(task: &SourceTask, b_s: &Col<f64>, rng: &mut Rng) -> Result<Self> {
        let Some(nu1) = task.nu1 else {
            return Ok(SourceGradient { a: None, c: b_s.clone(), a_max: 1.0 });
        };
        let p = sample_count("nu1", nu1, task.d)?;
        let x = normal_matrix(rng, p, task.d);
        let noise = normal_col(rng, p);
        let y = &x * b_s + noise * task.sigma_s;
        let scale = 1.0 / p as f64;
        let a = (x.transpose() * &x) * scale;
        let c = (x.transpose() * &y) * scale;
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

/// Controls one training run: gradient, step size, stopping, step counting.
struct Stepper<'a> {
    training: &'a Training,
    grad: &'a SourceGradient,
    steps: usize,
    /// The unit gradient direction u of the current step (reused buffer).
    u: Col<f64>,
}

impl<'a> Stepper<'a> {
    fn new(training: &'a Training, grad: &'a SourceGradient) -> Self {
        Stepper { training, grad, steps: 0, u: Col::zeros(grad.c.nrows()) }
    }

    /// Given the current beta_hat and E[z^2], sets `self.u` and returns the 2x2 matrix C of the next
    /// step E = I + U C U^T, or None when converged.
    fn next(&mut self, beta: &Col<f64>, ez2: f64) -> Result<Option<[[f64; 2]; 2]>> {
        self.grad.eval_into(beta, &mut self.u);
        let g = self.u.norm_l2();
        if !g.is_finite() {
            return Err(Error::numerical(format!("training diverged at step {} (|v| = {g})", self.steps)));
        }
        if g < self.training.tol {
            return Ok(None);
        }
        if self.steps >= self.training.max_steps {
            return Err(Error::numerical(format!(
                "stage-1 training did not converge in {} steps (|v| = {g:.3e} > tol {:.1e})",
                self.steps, self.training.tol
            )));
        }
        self.steps += 1;
        self.u /= g;
        let dt = self.training.eta0 / (2.0 * ez2 * self.grad.a_max);
        Ok(Some(step_matrix(self.training.integrator, self.training.gamma * dt * g)))
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
    let d = task.d;
    let grad = SourceGradient::new(task, &b_s, rng)?;
    let mut stepper = Stepper::new(training, &grad);
    let mut s = s0;
    let gamma = training.gamma;
    let beta_into = |s: &Mat<f64>, beta: &mut Col<f64>| {
        for i in 0..d {
            beta[i] = s[(i + 1, 0)] / gamma;
        }
    };
    let mut beta = Col::<f64>::zeros(d);
    beta_into(&s, &mut beta);
    let (mut y, mut z) = (Mat::<f64>::zeros(d + 1, 2), Mat::<f64>::zeros(d + 1, 2));
    while let Some(c) = stepper.next(&beta, s[(0, 0)])? {
        let u = &stepper.u;
        // Y = S U with U = [e0, (0, u)].
        // S is symmetric, so row i of S is column i: contiguous access.
        for i in 0..=d {
            let col = s.col(i);
            y[(i, 0)] = col[0];
            y[(i, 1)] = (0..d).map(|j| col[j + 1] * u[j]).sum();
        }
        // G = U^T Y (2 x 2, symmetric), then Z = Y C + U (C G C) / 2 and S += Z U^T + U Z^T.
        let g = [[y[(0, 0)], y[(0, 1)]], [y[(0, 1)], (0..d).map(|j| u[j] * y[(j + 1, 1)]).sum::<f64>()]];
        let cgc = mul2(&mul2(&c, &g), &c);
        for i in 0..=d {
            for k in 0..2 {
                z[(i, k)] = y[(i, 0)] * c[0][k] + y[(i, 1)] * c[1][k];
            }
        }
        for k in 0..2 {
            z[(0, k)] += 0.5 * cgc[0][k];
            for j in 0..d {
                z[(j + 1, k)] += 0.5 * cgc[1][k] * u[j];
            }
        }
        // S += Z U^T + U Z^T, column by column; U's columns are e0 and (0, u).
        for j in 0..=d {
            let (u0j, u1j) = if j == 0 { (1.0, 0.0) } else { (0.0, u[j - 1]) };
            let (z0j, z1j) = (z[(j, 0)], z[(j, 1)]);
            let mut col = s.col_mut(j);
            col[0] += z[(0, 0)] * u0j + z[(0, 1)] * u1j + z0j;
            for i in 1..=d {
                col[i] += z[(i, 0)] * u0j + z[(i, 1)] * u1j + u[i - 1] * z1j;
            }
        }
        beta_into(&s, &mut beta);
    }
    let m = Mat::from_fn(d, d, |i, j| s[(i + 1, j + 1)]);
    Ok(Pretrained { b_s, beta_hat: beta, m, ez2: s[(0, 0)], steps: stepper.steps })
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
    while let Some(c) = stepper.next(&beta, z.squared_norm_l2() / n as f64)? {
        let u = &stepper.u;
        // s = W u; then z += C00 z + C01 s and s <- C10 z + C11 s (old z), and W += s u^T.
        matmul(s.as_mat_mut(), Accum::Replace, &w, u.as_mat(), 1.0, Par::Seq);
        for i in 0..n {
            let (zi, si) = (z[i], s[i]);
            z[i] = zi + c[0][0] * zi + c[0][1] * si;
            s[i] = c[1][0] * zi + c[1][1] * si;
        }
        matmul(&mut w, Accum::Add, s.as_mat(), u.as_mat().transpose(), 1.0, Par::Seq);
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
pub fn pretrain(task: &SourceTask, training: &Training, width: Width, rng: &mut Rng) -> Result<Pretrained> {
    let b_s = unit_vector(rng, task.d);
    match width {
        Width::Infinite => pretrain_moments(task, training, Mat::identity(task.d + 1, task.d + 1), b_s, rng),
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
