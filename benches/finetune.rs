//! Benchmarks of the Lauditi simulators (run: `cargo bench --bench finetune`).
//!
//! Compare within one run: `finetune_dense` is the baseline for `finetune_fast` (one readout
//! fine-tuning trial at D = 1000, nu2 = 0.5, ideal kernel chi = 1, alpha_s = 0.8); `pretrain_exact`
//! is the infinite-width stage-1 dynamics at D = 400, gamma = 3; `pretrain_width` the finite-width
//! network (N = 20000, D = 50) it replaces; `finite_source_full` (P1 = 200 samples, D = 400) is the
//! baseline for `finite_source_row_space`, the same dynamics in the row space of the source inputs.

use divan::Bencher;
use faer::{Col, Mat};
use tlcheck::rng::trial_rng;
use tlcheck::sim::gaussian::unit_vector;
use tlcheck::sim::lauditi::finetune::{Reduced, TargetTask, loss_dense, loss_fast};
use tlcheck::sim::lauditi::pretrain::{Integrator, SourceTask, Training, pretrain, pretrain_moments};

fn main() {
    faer::set_global_parallelism(faer::Par::Seq);
    divan::main();
}

const TASK: TargetTask = TargetTask { p: 500, lambda: 0.0, sigma: 0.0 };

#[divan::bench(sample_count = 10)]
fn finetune_dense(b: Bencher) {
    let red = Reduced::ideal(1000, 1.0, 0.8).unwrap();
    let mut rng = trial_rng(1, 0);
    let (m, b_t) = red.embed(&mut rng);
    b.bench_local(|| loss_dense(m.as_ref(), b_t.as_ref(), &TASK, &mut rng));
}

#[divan::bench(sample_count = 200)]
fn finetune_fast(b: Bencher) {
    let red = Reduced::ideal(1000, 1.0, 0.8).unwrap();
    let mut rng = trial_rng(1, 0);
    let mut scratch = Vec::new();
    b.bench_local(|| loss_fast(&red, &TASK, &mut rng, &mut scratch));
}

fn training(gamma: f64) -> Training {
    Training { gamma, eta0: 0.5, tol: 1e-9, max_steps: 1_000_000, integrator: Integrator::Flow, weight_decay: 0.0 }
}

#[divan::bench(sample_count = 10)]
fn pretrain_exact(b: Bencher) {
    let task = SourceTask { d: 400, nu1: None, sigma_s: 0.0 };
    let mut rng = trial_rng(2, 0);
    b.bench_local(|| {
        let b_s: Col<f64> = unit_vector(&mut rng, 400);
        pretrain_moments(&task, &training(3.0), Mat::identity(401, 401), b_s, &mut rng)
    });
}

#[divan::bench(sample_count = 5)]
fn pretrain_width(b: Bencher) {
    let task = SourceTask { d: 50, nu1: None, sigma_s: 0.0 };
    let mut rng = trial_rng(3, 0);
    b.bench_local(|| pretrain(&task, &training(3.0), tlcheck::sim::lauditi::pretrain::Width::Finite(20_000), &mut rng));
}

/// Finite source (P1 = D/2 = 200 samples, D = 400, gamma1 = 2): the full O(D^2)-per-step moment
/// dynamics, baseline for `finite_source_row_space` (same data, O(P1^2) per step).
#[divan::bench(sample_count = 5)]
fn finite_source_full(b: Bencher) {
    let task = SourceTask { d: 400, nu1: Some(0.5), sigma_s: 0.0 };
    let mut rng = trial_rng(4, 0);
    b.bench_local(|| {
        let b_s: Col<f64> = unit_vector(&mut rng, 400);
        pretrain_moments(&task, &training(2.0), Mat::identity(401, 401), b_s, &mut rng)
    });
}

#[divan::bench(sample_count = 5)]
fn finite_source_row_space(b: Bencher) {
    let task = SourceTask { d: 400, nu1: Some(0.5), sigma_s: 0.0 };
    let mut rng = trial_rng(4, 0);
    b.bench_local(|| pretrain(&task, &training(2.0), tlcheck::sim::lauditi::pretrain::Width::Infinite, &mut rng));
}
