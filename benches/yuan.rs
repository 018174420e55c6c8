//! Benchmark of the Yuan CNN training stage (run: `cargo bench --bench yuan`).
//!
//! `train_direct` (filters as d-vectors, O(m N d) per step) is the baseline for `train_coefficient`
//! (filters in span{start, signal, noise}, O(m N^2) per step after an O(N^2 d) set-up), both on the
//! same data: d = 1000, N = 100, m = 10 filters per class, 100 full-batch GD steps. The speed-up is
//! the ratio of their median times in the same run.

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
