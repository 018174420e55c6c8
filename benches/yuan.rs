//! Benchmark of the Yuan CNN training stage (run: `cargo bench --bench yuan`).
//!
//! `train_direct` (filters as d-vectors, O(m N d) per step) is the baseline for `train_coefficient`
//! (filters in span{start, signal, noise}, O(m N^2) per step after an O(N^2 d) set-up), both on the
//! same data: d = 1000, N = 100, m = 10 filters per class, 100 full-batch GD steps. The speed-up is
//! the ratio of their median times in the same run. `train_coefficient_reference` is the coefficient
//! method before its loops were turned column-wise (kept here as the baseline of that change).

use divan::Bencher;
use faer::Mat;
use rand::SeedableRng;
use tlcheck::rng::Rng;
use tlcheck::sim::gaussian::normal;
use tlcheck::sim::yuan::{Data, Method, Task, Training, train};

fn main() {
    faer::set_global_parallelism(faer::Par::Seq);
    divan::main();
}

const TRAINING: Training = Training { eta: 0.5, steps: 100 };

fn setup() -> (Data, Mat<f64>) {
    let mut rng = Rng::seed_from_u64(1);
    let task = Task { u_norm: 1.0, v_norm: 1.0, v_coord: 1, sigma_p: 1.0, flip: 0.0 };
    let data = task.sample(100, 1000, &mut rng);
    let w0 = Mat::from_fn(20, 1000, |_, _| 0.01 * normal(&mut rng));
    (data, w0)
}

fn bench(b: Bencher, method: Method) {
    let (data, w0) = setup();
    b.with_inputs(|| w0.clone()).bench_local_values(|mut w| {
        train(&mut w, &data, &TRAINING, method);
        w
    });
}

#[divan::bench(sample_count = 10)]
fn train_direct(b: Bencher) {
    bench(b, Method::Direct);
}

#[divan::bench(sample_count = 10)]
fn train_coefficient(b: Bencher) {
    bench(b, Method::Coefficient);
}

/// The coefficient method's stage before its loops were turned column-wise (strided row access of
/// the column-major activations, branching masks): the baseline of `train_coefficient`.
mod reference {
    use faer::linalg::matmul::matmul;
    use faer::{Accum, Mat, Par};
    use tlcheck::sim::yuan::{Data, SIGNAL_COORDS, Training};

    fn class_sign(r: usize, m: usize) -> f64 {
        if r < m { 1.0 } else { -1.0 }
    }

    fn loss_weights(sig: &[f64], z: &Mat<f64>, data: &Data, m: usize, g: &mut [f64]) {
        let inv_m = 1.0 / m as f64;
        for (i, gi) in g.iter_mut().enumerate() {
            let yi = data.y[i];
            let mut f = 0.0;
            for (r, &sr) in sig.iter().enumerate() {
                f += class_sign(r, m) * ((yi * sr).max(0.0) + z[(r, i)].max(0.0));
            }
            let yo = data.y_obs[i];
            *gi = -yo / (1.0 + (yo * f * inv_m).exp());
        }
    }

    fn step_coefficients(
        sig: &[f64],
        z: &Mat<f64>,
        g: &[f64],
        data: &Data,
        eta: f64,
        c: &mut [f64],
        dmat: &mut Mat<f64>,
    ) {
        let m = sig.len() / 2;
        let n = g.len();
        let scale = -eta / (n as f64 * m as f64);
        for (r, &sr) in sig.iter().enumerate() {
            let k = scale * class_sign(r, m);
            let mut acc = 0.0;
            for i in 0..n {
                let yi = data.y[i];
                if yi * sr > 0.0 {
                    acc += g[i] * yi;
                }
                dmat[(r, i)] = if z[(r, i)] > 0.0 { k * g[i] } else { 0.0 };
            }
            c[r] = k * acc;
        }
    }

    pub fn train(w: &mut Mat<f64>, data: &Data, training: &Training) {
        let (two_m, n) = (w.nrows(), data.noise.nrows());
        let m = two_m / 2;
        let xi = data.noise.as_ref();
        let mut gram = Mat::<f64>::zeros(n, n);
        matmul(gram.as_mut(), Accum::Replace, xi, xi.transpose(), 1.0, Par::Seq);
        let mut z0 = Mat::<f64>::zeros(two_m, n);
        matmul(z0.as_mut(), Accum::Replace, w.as_ref(), xi.transpose(), 1.0, Par::Seq);
        let s = data.signal;
        let dot_s = |row: &dyn Fn(usize) -> f64| (0..SIGNAL_COORDS).map(|k| row(k) * s[k]).sum::<f64>();
        let sig0: Vec<f64> = (0..two_m).map(|r| dot_s(&|k| w[(r, k)])).collect();
        let xi_s: Vec<f64> = (0..n).map(|i| dot_s(&|k| xi[(i, k)])).collect();
        let mut t = vec![0.0; two_m];
        let mut rho = Mat::<f64>::zeros(two_m, n);
        let mut z = Mat::<f64>::zeros(two_m, n);
        let mut dmat = Mat::<f64>::zeros(two_m, n);
        let (mut sig, mut c, mut g) = (vec![0.0; two_m], vec![0.0; two_m], vec![0.0; n]);
        let s2: f64 = s.iter().map(|x| x * x).sum();
        for _ in 0..training.steps {
            for r in 0..two_m {
                sig[r] = sig0[r] + t[r] * s2 + (0..n).map(|i| rho[(r, i)] * xi_s[i]).sum::<f64>();
            }
            z.copy_from(&z0);
            for r in 0..two_m {
                if t[r] != 0.0 {
                    for i in 0..n {
                        z[(r, i)] += t[r] * xi_s[i];
                    }
                }
            }
            matmul(z.as_mut(), Accum::Add, rho.as_ref(), gram.as_ref(), 1.0, Par::Seq);
            loss_weights(&sig, &z, data, m, &mut g);
            step_coefficients(&sig, &z, &g, data, training.eta, &mut c, &mut dmat);
            rho += &dmat;
            for (tr, cr) in t.iter_mut().zip(&c) {
                *tr += cr;
            }
        }
        matmul(w.as_mut(), Accum::Add, rho.as_ref(), xi, 1.0, Par::Seq);
        for (r, tr) in t.iter().enumerate() {
            for (k, sk) in s.iter().enumerate() {
                w[(r, k)] += tr * sk;
            }
        }
    }
}

#[divan::bench(sample_count = 10)]
fn train_coefficient_reference(b: Bencher) {
    let (data, w0) = setup();
    b.with_inputs(|| w0.clone()).bench_local_values(|mut w| {
        reference::train(&mut w, &data, &TRAINING);
        w
    });
}
