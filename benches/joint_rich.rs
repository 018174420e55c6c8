//! DMFT single-site population vs finite-width network at equal accuracy
//! (run: `cargo bench --bench joint_rich`).
//!
//! Setting: ReLU, D = 256 inputs, P1 = P2 = 64 samples (linear teachers, alignment 0.5), gamma1 = 2,
//! gamma2 = 1, stage times 10, 200 test points per task. Accuracy = the spread (standard deviation over
//! initial draws, same data) of the final target test loss. Before the benches run, `main` measures that
//! spread for both solvers at 1000 neurons and prints the network width that matches the population's
//! spread, N_eq = 1000 (sd_network / sd_dmft)^2 (the spread falls like 1/sqrt(width)); the benches then
//! time `dmft_1000` against `network_1000` and `network_equal_accuracy` (N_eq) in the same run.

use std::sync::OnceLock;

use divan::Bencher;
use tlcheck::rng::trial_rng;
use tlcheck::sim::lauditi::joint::{HermiteTask, Phi, Schedule, Solver, SyntheticPair, TwoStageData, simulate};

const PAIR: SyntheticPair = SyntheticPair {
    d: 256,
    source: HermiteTask { degree: 1, noise: 0.0 },
    target: HermiteTask { degree: 1, noise: 0.0 },
    alpha_s: 0.5,
    p1: 64,
    p2: 64,
    test: 200,
};

fn schedule() -> Schedule {
    Schedule {
        gamma1: 2.0,
        gamma2: 1.0,
        t1: 10.0,
        t2: 10.0,
        record: vec![0.0, 10.0],
        eta0: 1.0,
        reset_readout: false,
        max_steps: 1_000_000,
    }
}

fn data() -> &'static TwoStageData {
    static DATA: OnceLock<TwoStageData> = OnceLock::new();
    DATA.get_or_init(|| PAIR.sample(&mut trial_rng(1, 0)).unwrap())
}

fn final_loss(solver: Solver, draw: u64) -> f64 {
    let curves = simulate(data(), Phi::Relu, &schedule(), solver, &mut trial_rng(2, draw)).unwrap();
    curves.target_loss[curves.target_loss.len() - 1]
}

fn spread(solver: Solver) -> f64 {
    let xs: Vec<f64> = (0..16).map(|k| final_loss(solver, k)).collect();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

static EQUAL_WIDTH: OnceLock<usize> = OnceLock::new();

fn main() {
    faer::set_global_parallelism(faer::Par::Seq);
    let sd_dmft = spread(Solver::Dmft { population: 1000 });
    let sd_net = spread(Solver::Network { width: 1000 });
    let n_eq = ((1000.0 * (sd_net / sd_dmft).powi(2)).round() as usize).max(2);
    println!(
        "spread of the final target loss over 16 initial draws at 1000 neurons: dmft {sd_dmft:.5}, network \
         {sd_net:.5}; network width for equal accuracy N_eq = {n_eq}"
    );
    EQUAL_WIDTH.set(n_eq).unwrap();
    divan::main();
}

#[divan::bench(sample_count = 5)]
fn dmft_1000(b: Bencher) {
    b.bench_local(|| final_loss(Solver::Dmft { population: 1000 }, 0));
}

#[divan::bench(sample_count = 5)]
fn network_1000(b: Bencher) {
    b.bench_local(|| final_loss(Solver::Network { width: 1000 }, 0));
}

#[divan::bench(sample_count = 3)]
fn network_equal_accuracy(b: Bencher) {
    let width = *EQUAL_WIDTH.get().unwrap();
    b.bench_local(|| final_loss(Solver::Network { width }, 0));
}
