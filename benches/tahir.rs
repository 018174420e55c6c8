//! Benchmarks of the Tahir et al. simulators (run: `cargo bench --bench tahir`).
//!
//! `diagram_fast`: the 20 x 20 (theta, gamma) linear-transfer transferability diagram, 20 target data
//! sets per point at d = 200, from the exact fast paths through the parallel executor (acceptance:
//! under 2 minutes on 2 cores). Baseline within the same run: `point_gd` is ONE point of that diagram
//! (20 data sets) by gradient descent on the deep network, `point_fast` the same point from the fast
//! paths; diagram time / point_gd time and point_gd / point_fast are the ratios to report.

use divan::Bencher;
use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};
use rand::SeedableRng;
use tlcheck::observable::{Sample, find, simulate};
use tlcheck::rng::Rng;
use tlcheck::sim::tahir::{relu, student};

fn main() {
    divan::main();
}

fn point(gamma: f64, theta: f64, method: &str, seed: u64) -> Sample {
    let obs = find("tahir.transferability").unwrap();
    let given: Vec<(String, String)> = [
        ("procedure", "lt".to_string()),
        ("method", method.to_string()),
        ("d", "200".to_string()),
        ("gamma", format!("{gamma:.1}")),
        ("theta", theta.to_string()),
        ("sigma", "0.2".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    simulate(obs, &obs.resolve(&given).unwrap(), 20, seed, None).unwrap()
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn diagram_fast() -> f64 {
    let mut total = 0.0;
    for i in 1..=20u64 {
        let theta = std::f64::consts::FRAC_PI_2 * i as f64 / 20.0;
        for k in 1..=20u64 {
            let s = point(0.1 * k as f64, theta, "exact", i * 100 + k);
            total += s.estimate("transfer").unwrap().mean;
        }
    }
    total
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn point_gd(b: Bencher) {
    b.bench(|| point(0.5, std::f64::consts::FRAC_PI_4, "gd", 7));
}

#[divan::bench(sample_count = 20)]
fn point_fast(b: Bencher) {
    b.bench(|| point(0.5, std::f64::consts::FRAC_PI_4, "exact", 7));
}

/// The mean-field student's gradient-descent loop before its work buffers were hoisted into
/// `student::train` (indexed inner loop, allocating updates): the baseline of `student_train`.
fn train_reference(s: &mut student::Student, x: &Mat<f64>, y: &Col<f64>, lr: f64, steps: usize) -> f64 {
    let (n, width, d) = (x.nrows(), s.a.nrows(), x.ncols());
    let (mut h, mut g, mut grad_v) =
        (Mat::<f64>::zeros(n, width), Mat::<f64>::zeros(n, width), Mat::<f64>::zeros(d, width));
    let (mut r, mut grad_a) = (Col::<f64>::zeros(n), Col::<f64>::zeros(width));
    let (inv_n, scale) = (1.0 / n as f64, 1.0 / width as f64);
    let mut phi = Mat::<f64>::zeros(n, width);
    let mut loss = |s: &student::Student, h: &mut Mat<f64>, r: &mut Col<f64>| {
        matmul(h.as_mut(), Accum::Replace, x, &s.v, 1.0, Par::Seq);
        phi.as_mut()
            .col_iter_mut()
            .zip(h.col_iter())
            .for_each(|(p, c)| p.iter_mut().zip(c.iter()).for_each(|(p, c)| *p = c.max(0.0)));
        r.iter_mut().zip(y.iter()).for_each(|(r, y)| *r = -y);
        matmul(r.as_mat_mut(), Accum::Add, &phi, s.a.as_mat(), scale, Par::Seq);
        0.5 * inv_n * r.squared_norm_l2()
    };
    for _ in 0..steps {
        loss(s, &mut h, &mut r);
        for i in 0..width {
            let ai = s.a[i];
            let mut ga = 0.0;
            for k in 0..n {
                let hk = h[(k, i)];
                let on = hk > 0.0;
                ga += r[k] * if on { hk } else { 0.0 };
                g[(k, i)] = if on { r[k] * ai } else { 0.0 };
            }
            grad_a[i] = ga * inv_n;
        }
        matmul(grad_v.as_mut(), Accum::Replace, x.transpose(), &g, inv_n, Par::Seq);
        s.a -= lr * &grad_a;
        s.v -= lr * &grad_v;
    }
    loss(s, &mut h, &mut r)
}

/// Scratch training at the size of claim c9_scratch_power_law (d = m* = 100, N = 1000, n = 400),
/// 20 of its 200 steps.
fn student_setup() -> (student::Student, Mat<f64>, Col<f64>) {
    let mut rng = Rng::seed_from_u64(3);
    let w = relu::teacher(&mut rng, 100, 100);
    let (x, y) = student::teacher_data(&mut rng, &w, 100, 400);
    (student::Student::init(&mut rng, 100, 1000), x, y)
}

fn bench_student(b: Bencher, train: fn(&mut student::Student, &Mat<f64>, &Col<f64>, f64, usize) -> f64) {
    faer::set_global_parallelism(Par::Seq);
    let (s0, x, y) = student_setup();
    b.with_inputs(|| student::Student { v: s0.v.clone(), a: s0.a.clone() })
        .bench_local_values(|mut s| train(&mut s, &x, &y, 1.0, 20));
}

#[divan::bench(sample_count = 10)]
fn student_train(b: Bencher) {
    bench_student(b, student::train);
}

/// The same loop in f32 (`tahir.relu_student` with float = f32).
#[divan::bench(sample_count = 10)]
fn student_train_f32(b: Bencher) {
    bench_student(b, student::train_in::<f32>);
}

#[divan::bench(sample_count = 10)]
fn student_train_reference(b: Bencher) {
    bench_student(b, train_reference);
}
