//! Joint-rich two-stage simulators: the DMFT single-site population against the finite-width network.

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};
use tlcheck::rng::trial_rng;
use tlcheck::sim::gaussian::{normal, normal_matrix};
use tlcheck::sim::lauditi::joint::dynamics::{Layout, stack_inputs};
use tlcheck::sim::lauditi::joint::{
    HermiteTask, Network, Phi, Population, Schedule, Solver, SyntheticPair, run_two_stage, simulate,
};

fn pair(d: usize, k1: usize, k2: usize) -> SyntheticPair {
    SyntheticPair {
        d,
        source: HermiteTask { degree: k1, noise: 0.0 },
        target: HermiteTask { degree: k2, noise: 0.0 },
        alpha_s: 0.5,
        p1: 2 * d,
        p2: d,
        test: 200,
    }
}

fn schedule(gamma2: f64) -> Schedule {
    Schedule {
        gamma1: 2.0,
        gamma2,
        t1: 5.0,
        t2: 5.0,
        record: vec![0.0, 1.0, 5.0],
        eta0: 1.0,
        reset_readout: false,
        max_steps: 100_000,
    }
}

/// Same initial neurons in both representations: the trajectories agree to rounding.
#[test]
fn population_equals_network_on_shared_init() {
    for phi in [Phi::Identity, Phi::Relu, Phi::Tanh] {
        let mut rng = trial_rng(7, 0);
        let data = pair(20, 1, 2).sample(&mut rng).unwrap();
        let layout = Layout::of(&data);
        let x = stack_inputs(&data);
        let (n, d) = (64, 20);
        let w = normal_matrix(&mut rng, n, d);
        let a0 = Col::from_fn(n, |_| (d as f64).sqrt() / 2.0 * normal(&mut rng));
        let mut h0 = Mat::zeros(n, layout.total());
        matmul(&mut h0, Accum::Replace, &w, x.transpose(), 1.0 / (d as f64).sqrt(), Par::Seq);
        let mut kx = Mat::zeros(layout.total(), layout.total());
        matmul(&mut kx, Accum::Replace, &x, x.transpose(), 1.0 / d as f64, Par::Seq);
        let mut net = Network::new(x, w, layout.source_train.clone());
        let mut pop = Population::new(kx, h0, layout.source_train.clone());
        let (mut a1, mut a2) = (a0.clone(), a0);
        let c1 = run_two_stage(&data, phi, &schedule(1.0), &mut net, &mut a1).unwrap();
        let c2 = run_two_stage(&data, phi, &schedule(1.0), &mut pop, &mut a2).unwrap();
        assert_eq!(c1.steps, c2.steps);
        for (u, v) in c1.target_loss.iter().chain(&c1.source_loss).zip(c2.target_loss.iter().chain(&c2.source_loss)) {
            assert!((u - v).abs() < 1e-9 * (1.0 + u.abs()), "{phi:?}: {u} vs {v}");
        }
        println!("{phi:?}: target {:?} source {:?} kurt {:?}", c1.target_loss, c1.source_loss, c1.kurtosis);
    }
}

#[test]
fn timing_probe() {
    for (solver, name) in [(Solver::Dmft { population: 1000 }, "dmft"), (Solver::Network { width: 1000 }, "net")] {
        for phi in [Phi::Identity, Phi::Relu] {
            let t = std::time::Instant::now();
            let mut rng = trial_rng(3, 1);
            let data = pair(32, 1, 1).sample(&mut rng).unwrap();
            let c = simulate(&data, phi, &schedule(2.0), solver, &mut rng).unwrap();
            println!(
                "{name} {phi:?}: {:.3}s steps {} s1 {:.3} t1 {:.3} target {:?} source {:?} kurt {:?} align {:.3}",
                t.elapsed().as_secs_f64(),
                c.steps,
                c.source_after_stage1,
                c.target_after_stage1,
                c.target_loss,
                c.source_loss,
                c.kurtosis,
                c.kernel_alignment
            );
        }
    }
}
