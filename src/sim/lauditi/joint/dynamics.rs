//! Two-stage gradient flow of the two-layer muP network in the coordinates (a_i, h_i(x)).
//!
//! Network (unit-coefficient convention of docs/conventions.md, any phi): f(x) = (1/N) sum_i a_i phi(h_i(x)) with
//! h_i(x) = w_i . x / sqrt(D), a_i = sqrt(D) z_i / gamma, z_i ~ N(0, 1), w_i ~ N(0, I_D). For phi = identity
//! this is exactly the foundation's f = (1/(gamma N)) sum_i z_i (w_i . x). Gradient flow on
//! L = (1/(2P)) sum_mu Delta_mu^2, Delta = y - f, with the muP rate eta = gamma^2 N per unit time:
//!   da_i/dt = (D/P) sum_mu Delta_mu phi(h_i(x_mu)),
//!   dh_i(x)/dt = (gamma^2/P) a_i sum_mu Delta_mu phi'(h_i(x_mu)) K^x(x_mu, x),   K^x(x, x') = x . x'/D.
//! Time is the foundation's (for phi = identity, gamma N t-units of its per-neuron flow). Stage 1 trains
//! on the source set with gamma1 for time t1; stage 2 continues from the stage-1 (a, h) on the target
//! set with gamma2 for time t2 (gamma2 sets the speed of feature learning relative to the readout, and
//! f is continuous across the switch); optionally the readout is reset to a = 0 first.
//!
//! Discretisation: explicit Euler with dt = eta0 / B, where B bounds the largest eigenvalue of the
//! neural tangent kernel (1/P)[D Phi + gamma^2 (Psi o K^x)], Phi = phi^T phi / N,
//! Psi_{mu nu} = mean_i a_i^2 phi'_{i mu} phi'_{i nu}: B = (D/P) lambda_max(Phi) + (gamma^2/P)
//! max_mu Psi_{mu mu} lambda_max(K^x_tr) (Schur's bound); lambda_max(Phi) by warm-started power
//! iteration, re-estimated every step. Recording times are hit exactly.

use std::ops::Range;

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, MatRef, Par};

use super::activation::Phi;
use super::features::{Features, Readout};
use super::task::{PointSet, TwoStageData};
use crate::error::{Error, Result};

/// Stage settings of the two-stage run (gamma in the unit-coefficient convention of docs/conventions.md).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub gamma1: f64,
    pub gamma2: f64,
    /// Stage-1 training time.
    pub t1: f64,
    /// Stage-2 training time.
    pub t2: f64,
    /// Stage-2 times at which the curves are recorded (ascending, inside [0, t2], the last = t2: stage 2 ends there).
    pub record: Vec<f64>,
    /// Step-size scale (stable below 2; dt = eta0 / B).
    pub eta0: f64,
    /// Reset the readout to a = 0 before stage 2.
    pub reset_readout: bool,
    /// Give up (error) after this many steps in a stage.
    pub max_steps: usize,
}

impl Schedule {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if !(self.gamma1.is_finite() && self.gamma1 > 0.0 && ok(self.gamma2)) {
            return Err(Error::input("gamma1 must be positive and gamma2 non-negative (finite)"));
        }
        if !(ok(self.t1) && ok(self.t2) && self.eta0 > 0.0 && self.eta0 < 2.0) {
            return Err(Error::input("t1, t2 must be finite and >= 0, and eta0 in (0, 2)"));
        }
        if self.record.last() != Some(&self.t2)
            || self.record.windows(2).any(|w| w[1] < w[0])
            || self.record.iter().any(|&t| !(0.0..=self.t2).contains(&t))
        {
            return Err(Error::input("recording times must be ascending inside [0, t2] and end at t2"));
        }
        Ok(())
    }
}

/// What stage 2 leaves: curves over the recording times and end-point summaries.
#[derive(Debug, Clone, Default)]
pub struct Curves {
    pub times: Vec<f64>,
    /// Target test mean squared error (1/T) sum (f - y)^2 (1 = the zero predictor for unit-variance labels).
    pub target_loss: Vec<f64>,
    /// Source test mean squared error: its rise over stage 2 is forgetting.
    pub source_loss: Vec<f64>,
    /// Excess kurtosis of h across neurons, per target test input, averaged over inputs (0 for Gaussian).
    pub kurtosis: Vec<f64>,
    /// Source and target test losses at the end of stage 1.
    pub source_after_stage1: f64,
    pub target_after_stage1: f64,
    /// Kernel-target alignment y^T K y / (|y|^2 |K|_F) of the feature kernel K = phi(H)^T phi(H) / N on
    /// the first (at most 64) target test inputs, at each recording time (the last is the end of stage 2).
    pub alignment: Vec<f64>,
    /// The same alignment with the source labels on (at most 64) source test inputs, at the end of
    /// stage 1 and of stage 2: its drop is forgetting of source features.
    pub source_alignment_after_stage1: f64,
    pub source_alignment: f64,
    /// Euler steps over both stages.
    pub steps: usize,
}

/// Index ranges of the four sets in the stacked inputs (source train, target train, source test, target test).
#[derive(Debug, Clone)]
pub struct Layout {
    pub source_train: Range<usize>,
    pub target_train: Range<usize>,
    pub source_test: Range<usize>,
    pub target_test: Range<usize>,
}

impl Layout {
    /// The ranges of `data`'s sets stacked in that order.
    pub fn of(data: &TwoStageData) -> Layout {
        let n = [data.source_train.len(), data.target_train.len(), data.source_test.len(), data.target_test.len()];
        let c = [n[0], n[0] + n[1], n[0] + n[1] + n[2], n[0] + n[1] + n[2] + n[3]];
        Layout { source_train: 0..c[0], target_train: c[0]..c[1], source_test: c[1]..c[2], target_test: c[2]..c[3] }
    }

    /// Total number of points.
    pub fn total(&self) -> usize {
        self.target_test.end
    }
}

/// Inputs stacked as rows in [`Layout`] order.
pub fn stack_inputs(data: &TwoStageData) -> Mat<f64> {
    let sets = [&data.source_train, &data.target_train, &data.source_test, &data.target_test];
    let total: usize = sets.iter().map(|s| s.len()).sum();
    let mut x = Mat::zeros(total, data.dim());
    let mut row = 0;
    for s in sets {
        x.subrows_mut(row, s.len()).copy_from(&s.x);
        row += s.len();
    }
    x
}

/// Per-run buffers of the Euler loop, sized for the current training set.
struct Work {
    phi: Mat<f64>,
    slope: Mat<f64>,
    g: Mat<f64>,
    f: Col<f64>,
    delta: Col<f64>,
    da: Col<f64>,
    power: Col<f64>,
    power_m: Col<f64>,
    eval: Mat<f64>,
}

impl Work {
    /// Buffers for m neurons and no training point yet.
    fn new(m: usize) -> Work {
        Work {
            phi: Mat::zeros(m, 0),
            slope: Mat::zeros(m, 0),
            g: Mat::zeros(m, 0),
            f: Col::zeros(0),
            delta: Col::zeros(0),
            da: Col::zeros(m),
            power: Col::zeros(0),
            power_m: Col::zeros(m),
            eval: Mat::zeros(m, 0),
        }
    }

    /// Sizes the buffers for m neurons on p training points; restarts the power iteration.
    fn resize(&mut self, m: usize, p: usize) {
        self.phi.resize_with(m, p, |_, _| 0.0);
        self.slope.resize_with(m, p, |_, _| 0.0);
        self.g.resize_with(m, p, |_, _| 0.0);
        self.f = Col::zeros(p);
        self.delta = Col::zeros(p);
        self.power = Col::from_fn(p, |i| 1.0 + (i % 5) as f64 * 0.1);
    }
}

/// One stage of training: the training points `range` of the stacked inputs with labels `y`, richness
/// `gamma`, input dimension D = `d`, the bound `kx_max` >= lambda_max(K^x_tr), and the times at which the
/// stage records (it ends at the last).
struct Stage<'a> {
    range: Range<usize>,
    y: &'a Col<f64>,
    phi: Phi,
    gamma: f64,
    d: f64,
    kx_max: f64,
    times: &'a [f64],
}

impl<'a> Stage<'a> {
    /// Training on `set` (the points `range` of the stacked inputs) with richness `gamma`.
    fn on(set: &'a PointSet, range: Range<usize>, phi: Phi, gamma: f64, times: &'a [f64]) -> Stage<'a> {
        let d = set.x.ncols() as f64;
        Stage { range, y: &set.y, phi, gamma, d, kx_max: input_kernel_norm(&set.x, d), times }
    }
}

/// What is measured on the test sets: losses, and the kernel alignment on the first (at most 64) test
/// points of each task (the probes).
struct Measure<'a> {
    data: &'a TwoStageData,
    layout: Layout,
    phi: Phi,
    source_probe: (Range<usize>, Col<f64>),
    target_probe: (Range<usize>, Col<f64>),
}

impl<'a> Measure<'a> {
    fn new(data: &'a TwoStageData, layout: Layout, phi: Phi) -> Measure<'a> {
        let source_probe = probe(&layout.source_test, &data.source_test.y);
        let target_probe = probe(&layout.target_test, &data.target_test.y);
        Measure { data, layout, phi, source_probe, target_probe }
    }

    /// Source and target test losses.
    fn losses<F: Features>(&self, features: &F, readout: &Readout, work: &mut Work) -> (f64, f64) {
        let (data, layout, phi) = (self.data, &self.layout, self.phi);
        let source = test_loss(features, readout, phi, layout.source_test.clone(), &data.source_test.y, work);
        let target = test_loss(features, readout, phi, layout.target_test.clone(), &data.target_test.y, work);
        (source, target)
    }

    /// The feature kernel's alignment with the source labels on the source probe.
    fn source_alignment<F: Features>(&self, features: &F, work: &mut Work) -> f64 {
        kernel_alignment(features, self.phi, self.source_probe.0.clone(), &self.source_probe.1, work)
    }

    /// One recorded time of stage 2: target loss, kurtosis of h and alignment on the target test inputs,
    /// then source loss.
    fn record<F: Features>(&self, features: &F, readout: &Readout, work: &mut Work, curves: &mut Curves) {
        let (data, layout, phi) = (self.data, &self.layout, self.phi);
        // Target first: its pre-activations stay in work.eval for the kurtosis and the alignment.
        curves.target_loss.push(test_loss(
            features,
            readout,
            phi,
            layout.target_test.clone(),
            &data.target_test.y,
            work,
        ));
        curves.kurtosis.push(excess_kurtosis(&work.eval));
        curves.alignment.push(alignment_of(work.eval.as_ref(), phi, &self.target_probe.1));
        curves.source_loss.push(test_loss(
            features,
            readout,
            phi,
            layout.source_test.clone(),
            &data.source_test.y,
            work,
        ));
    }
}

/// Runs stage 1 then stage 2 from `readout` and hidden layer `features`, recording the curves.
pub fn run_two_stage<F: Features>(
    data: &TwoStageData,
    phi: Phi,
    schedule: &Schedule,
    features: &mut F,
    readout: &mut Readout,
) -> Result<Curves> {
    schedule.validate()?;
    let layout = Layout::of(data);
    if readout.a.nrows() != features.neurons() || readout.offset.nrows() != layout.total() {
        return Err(Error::input("the readout does not match the network's neurons and points"));
    }
    let mut work = Work::new(features.neurons());
    let mut curves = Curves::default();
    let t1 = [schedule.t1];
    let stage1 = Stage::on(&data.source_train, layout.source_train.clone(), phi, schedule.gamma1, &t1);
    let stage2 = Stage::on(&data.target_train, layout.target_train.clone(), phi, schedule.gamma2, &schedule.record);
    let measure = Measure::new(data, layout, phi);

    curves.steps += integrate(features, readout, &stage1, schedule, &mut work, |_, _, _| Ok(()))?;
    (curves.source_after_stage1, curves.target_after_stage1) = measure.losses(features, readout, &mut work);
    curves.source_alignment_after_stage1 = measure.source_alignment(features, &mut work);
    features.set_train(stage2.range.clone());
    if schedule.reset_readout {
        readout.a.fill(0.0);
        readout.offset.fill(0.0);
    }
    let steps2 = integrate(features, readout, &stage2, schedule, &mut work, |feat, readout, work| {
        measure.record(feat, readout, work, &mut curves);
        Ok(())
    })?;
    curves.steps += steps2;
    curves.times = schedule.record.clone();
    curves.source_alignment = measure.source_alignment(features, &mut work);
    if curves.target_loss.iter().chain(&curves.source_loss).any(|x| !x.is_finite()) {
        return Err(Error::numerical("the two-stage dynamics diverged (non-finite loss); lower eta0"));
    }
    Ok(curves)
}

/// The first (at most 64) points of a test set and their labels, for kernel alignments.
fn probe(range: &Range<usize>, y: &Col<f64>) -> (Range<usize>, Col<f64>) {
    let n = range.len().min(64);
    (range.start..range.start + n, y.as_ref().subrows(0, n).to_owned())
}

/// lambda_max(K^x) of the rows of `x` with K^x = x x^T / D, by power iteration (exact enough for a bound:
/// 1.05 times the estimate after 60 iterations).
fn input_kernel_norm(x: &Mat<f64>, d: f64) -> f64 {
    let p = x.nrows();
    let mut v = Col::<f64>::from_fn(p, |i| 1.0 + (i % 7) as f64 * 0.1);
    let mut lambda = 0.0;
    for _ in 0..60 {
        let u = x.transpose() * &v;
        let w = x * &u * (1.0 / d);
        let norm = w.norm_l2();
        if norm == 0.0 {
            return 0.0;
        }
        lambda = norm / v.norm_l2();
        v = w * (1.0 / norm);
    }
    1.05 * lambda
}

/// Integrates one stage, calling `record` at each of its times (the stage ends at the last). Returns
/// the number of Euler steps.
fn integrate<F: Features>(
    features: &mut F,
    readout: &mut Readout,
    stage: &Stage<'_>,
    schedule: &Schedule,
    work: &mut Work,
    mut record: impl FnMut(&F, &Readout, &mut Work) -> Result<()>,
) -> Result<usize> {
    work.resize(features.neurons(), stage.y.nrows());
    let mut t = 0.0;
    let mut steps = 0;
    for &stop in stage.times {
        while t < stop {
            if steps >= schedule.max_steps {
                return Err(Error::numerical(format!(
                    "stage did not reach t = {stop} within {} steps (at t = {t:.4})",
                    schedule.max_steps
                )));
            }
            let dt = euler_step(features, readout, stage, schedule.eta0, stop - t, work);
            t = if stop - t <= dt { stop } else { t + dt };
            steps += 1;
        }
        record(features, readout, work)?;
    }
    Ok(steps)
}

/// One Euler step of length dt = min(eta0 / B, `left`) (B: the tangent-kernel bound); returns dt.
fn euler_step<F: Features>(
    features: &mut F,
    readout: &mut Readout,
    stage: &Stage<'_>,
    eta0: f64,
    left: f64,
    work: &mut Work,
) -> f64 {
    let (p, m) = (stage.y.nrows(), features.neurons());
    let inv_m = 1.0 / m as f64;
    let g2 = stage.gamma * stage.gamma;
    let psi_max = activations(features.train(), stage.phi, readout, work);
    // The output on the training points and the residual Delta = y - f.
    matmul(work.f.as_mat_mut(), Accum::Replace, work.phi.transpose(), readout.a.as_mat(), inv_m, Par::Seq);
    for j in 0..p {
        work.delta[j] = stage.y[j] - (work.f[j] - readout.offset[stage.range.start + j]);
    }
    let lambda_phi = feature_kernel_norm(work, inv_m);
    let bound = (stage.d / p as f64) * 1.1 * lambda_phi + (g2 / p as f64) * psi_max * stage.kx_max;
    let dt = if bound > 0.0 { (eta0 / bound).min(left) } else { left };
    // da = (D/P) phi Delta; G_{i mu} = (gamma^2/P) a_i Delta_mu phi'_{i mu}.
    matmul(work.da.as_mat_mut(), Accum::Replace, &work.phi, work.delta.as_mat(), stage.d / p as f64, Par::Seq);
    if g2 > 0.0 {
        let c = g2 / p as f64;
        for j in 0..p {
            let dj = c * work.delta[j];
            for i in 0..m {
                work.g[(i, j)] = readout.a[i] * dj * work.slope[(i, j)];
            }
        }
        features.update(work.g.as_ref(), dt);
    }
    for i in 0..m {
        readout.a[i] += dt * work.da[i];
    }
    dt
}

/// phi and phi' of the training pre-activations `h` into `work.phi`, `work.slope`; returns
/// max_mu Psi_{mu mu} = max_mu mean_i a_i^2 phi'(h_{i mu})^2.
fn activations(h: MatRef<'_, f64>, phi: Phi, readout: &Readout, work: &mut Work) -> f64 {
    let (m, p) = (h.nrows(), h.ncols());
    let inv_m = 1.0 / m as f64;
    let mut psi_max = 0.0f64;
    for j in 0..p {
        let mut psi = 0.0;
        for i in 0..m {
            let hv = h[(i, j)];
            work.phi[(i, j)] = phi.value(hv);
            let s = phi.slope(hv);
            work.slope[(i, j)] = s;
            psi += readout.a[i] * readout.a[i] * s * s;
        }
        psi_max = psi_max.max(psi * inv_m);
    }
    psi_max
}

/// lambda_max(Phi) of Phi = phi^T phi / m (`work.phi`), two steps of power iteration warm-started from
/// `work.power` (restarted from ones when phi vanishes).
fn feature_kernel_norm(work: &mut Work, inv_m: f64) -> f64 {
    let mut lambda_phi = 0.0;
    for _ in 0..2 {
        matmul(work.power_m.as_mat_mut(), Accum::Replace, &work.phi, work.power.as_mat(), 1.0, Par::Seq);
        let norm_v = work.power.norm_l2();
        matmul(work.power.as_mat_mut(), Accum::Replace, work.phi.transpose(), work.power_m.as_mat(), inv_m, Par::Seq);
        let norm_w = work.power.norm_l2();
        if norm_w == 0.0 || norm_v == 0.0 {
            work.power.fill(1.0);
            break;
        }
        lambda_phi = norm_w / norm_v;
        work.power *= 1.0 / norm_w;
    }
    lambda_phi
}

/// Mean squared error (1/T) sum (f - y)^2 on the points `range`; leaves their pre-activations in `work.eval`.
fn test_loss<F: Features>(
    features: &F,
    readout: &Readout,
    phi: Phi,
    range: Range<usize>,
    y: &Col<f64>,
    work: &mut Work,
) -> f64 {
    let m = features.neurons();
    work.eval.resize_with(m, range.len(), |_, _| 0.0);
    features.evaluate(range.clone(), &mut work.eval);
    let inv_m = 1.0 / m as f64;
    let a = &readout.a;
    let mut sum = 0.0;
    for j in 0..y.nrows() {
        let mut f = 0.0;
        for i in 0..m {
            f += a[i] * phi.value(work.eval[(i, j)]);
        }
        let e = f * inv_m - readout.offset[range.start + j] - y[j];
        sum += e * e;
    }
    sum / y.nrows() as f64
}

/// Excess kurtosis m4/m2^2 - 3 of each column's entries (one input, across neurons), averaged over columns.
pub fn excess_kurtosis(h: &Mat<f64>) -> f64 {
    let (m, n) = (h.nrows(), h.ncols());
    let mut total = 0.0;
    let mut count = 0;
    for j in 0..n {
        let mean = (0..m).map(|i| h[(i, j)]).sum::<f64>() / m as f64;
        let (mut m2, mut m4) = (0.0, 0.0);
        for i in 0..m {
            let c = h[(i, j)] - mean;
            let c2 = c * c;
            m2 += c2;
            m4 += c2 * c2;
        }
        if m2 > 0.0 {
            m2 /= m as f64;
            m4 /= m as f64;
            total += m4 / (m2 * m2) - 3.0;
            count += 1;
        }
    }
    if count == 0 { 0.0 } else { total / count as f64 }
}

/// Kernel-target alignment of K = phi(H)^T phi(H) / N on the points `range` with labels `y`.
fn kernel_alignment<F: Features>(features: &F, phi: Phi, range: Range<usize>, y: &Col<f64>, work: &mut Work) -> f64 {
    let m = features.neurons();
    work.eval.resize_with(m, range.len(), |_, _| 0.0);
    features.evaluate(range, &mut work.eval);
    alignment_of(work.eval.as_ref(), phi, y)
}

/// y^T K y / (|y|^2 |K|_F) for K = phi(H)^T phi(H) / N over the first len(y) columns of `h`.
fn alignment_of(h: MatRef<'_, f64>, phi: Phi, y: &Col<f64>) -> f64 {
    let (m, n) = (h.nrows(), y.nrows());
    let act = Mat::from_fn(m, n, |i, j| phi.value(h[(i, j)]));
    let k = act.transpose() * &act * (1.0 / m as f64);
    let num = y.transpose() * (&k * y);
    let den = y.squared_norm_l2() * k.norm_l2();
    if den > 0.0 { num / den } else { 0.0 }
}
