//! Joint-rich two-stage simulators: the DMFT single-site population against the finite-width network.

use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Col, Mat, Par};
use tlcheck::rng::trial_rng;
use tlcheck::sim::gaussian::{normal, normal_matrix};
use tlcheck::sim::lauditi::joint::dynamics::{Layout, stack_inputs};
use tlcheck::sim::lauditi::joint::{
    HermiteTask, Network, Phi, Population, Readout, Schedule, SyntheticPair, run_two_stage,
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
        let readout = Readout { a: a0, offset: Col::zeros(layout.total()) };
        let (mut r1, mut r2) = (readout.clone(), readout);
        let c1 = run_two_stage(&data, phi, &schedule(1.0), &mut net, &mut r1).unwrap();
        let c2 = run_two_stage(&data, phi, &schedule(1.0), &mut pop, &mut r2).unwrap();
        assert_eq!(c1.steps, c2.steps);
        for (u, v) in c1.target_loss.iter().chain(&c1.source_loss).zip(c2.target_loss.iter().chain(&c2.source_loss)) {
            assert!((u - v).abs() < 1e-9 * (1.0 + u.abs()), "{phi:?}: {u} vs {v}");
        }
        println!("{phi:?}: target {:?} source {:?} kurt {:?}", c1.target_loss, c1.source_loss, c1.kurtosis);
    }
}

/// phi = identity: the population's feature kernel after stage 1 equals the foundation's exact
/// infinite-width kernel M = I + chi b_s b_s^T (noiseless P1 >= D: beta_hat = b_s, chi = spike of
/// `pretrain` at infinite width), within the population's sampling noise. M_pop is read off the
/// pre-activations on T > D test inputs: M_pop = D X^+ Phi X^+^T with Phi = H^T H / M, X^+ the pseudo-inverse.
#[test]
fn identity_population_reproduces_exact_kernel() {
    use tlcheck::sim::lauditi::joint::Features;
    use tlcheck::sim::lauditi::pretrain::{Integrator, SourceTask, Training, Width, pretrain};
    let (d, gamma1) = (16, 2.0);
    let training = Training {
        gamma: gamma1,
        eta0: 0.5,
        tol: 1e-10,
        max_steps: 1_000_000,
        integrator: Integrator::Flow,
        weight_decay: 0.0,
    };
    let exact =
        pretrain(&SourceTask { d, nu1: Some(2.0), sigma_s: 0.0 }, &training, Width::Infinite, &mut trial_rng(5, 0))
            .unwrap()
            .spike()
            .value;
    let population = 2000;
    let sched = Schedule {
        gamma1,
        gamma2: 0.0,
        t1: 30.0,
        t2: 0.0,
        record: vec![0.0],
        eta0: 0.25,
        reset_readout: false,
        max_steps: 1_000_000,
    };
    let mut chis = Vec::new();
    let mut off = Vec::new();
    for trial in 0..6 {
        let mut rng = trial_rng(11, trial);
        let mut spec = pair(d, 1, 1);
        spec.test = 64;
        let data = spec.sample(&mut rng).unwrap();
        let layout = Layout::of(&data);
        let x = stack_inputs(&data);
        let scale = (d as f64).sqrt() / gamma1;
        let (mut pop, mut readout) =
            Population::sample(&x, Phi::Identity, scale, population, layout.source_train.clone(), &mut rng);
        run_two_stage(&data, Phi::Identity, &sched, &mut pop, &mut readout).unwrap();
        let mut h = Mat::zeros(population, layout.source_test.len());
        pop.evaluate(layout.source_test.clone(), &mut h);
        let phi_mat = h.transpose() * &h * (1.0 / population as f64);
        let xt = &data.source_test.x;
        let gram = xt.transpose() * xt;
        let pinv = gram.llt(faer::Side::Lower).unwrap().solve(xt.transpose().to_owned());
        let m_pop = &pinv * &phi_mat * pinv.transpose() * (d as f64);
        // b_s from the source labels (noiseless He1: y = X b_s).
        let b = &pinv * &data.source_test.y;
        chis.push(b.transpose() * &m_pop * &b - 1.0);
        let mut rest = m_pop.clone() - &b * b.transpose() * chis[chis.len() - 1];
        for i in 0..d {
            rest[(i, i)] -= 1.0;
        }
        off.push(rest.norm_l2() / d as f64);
    }
    let n = chis.len() as f64;
    let mean = chis.iter().sum::<f64>() / n;
    let se = (chis.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    let off_mean = off.iter().sum::<f64>() / n;
    println!(
        "identity DMFT (M = {population}): chi = {mean:.4} +- {se:.4} vs exact {exact:.6}; off-spike |M - I - chi b b^T|_F / D = {off_mean:.4}"
    );
    assert!((mean - exact).abs() < 4.0 * se, "chi {mean} +- {se} vs exact {exact}");
}

/// The DMFT population (M neurons, initial output subtracted) and the finite-width network (N i.i.d. neurons) agree on
/// the stage-2 end points within the network's sampling noise, on the same data (paired trials).
/// Budget: the network's random initial function has variance s0 = D E[phi(h)^2] / (gamma1^2 N) per input,
/// which the population does not have (f = 0 at the start); it can raise a test loss by up to about s0.
#[test]
fn dmft_agrees_with_finite_width_network() {
    use tlcheck::observable::{find, simulate as run};
    let obs = find("lauditi.joint_rich").unwrap();
    let (n, trials) = (2000usize, 12usize);
    for phi in ["identity", "relu"] {
        let params = |solver: &str| {
            let given: Vec<(String, String)> = [
                ("phi", phi),
                ("solver", solver),
                ("n", &n.to_string()),
                ("d", "32"),
                ("nu1", "1"),
                ("nu2", "1"),
                ("gamma1", "2"),
                ("gamma2", "1"),
                ("test", "200"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            obs.resolve(&given).unwrap()
        };
        let dmft = run(obs, &params("dmft"), trials, 21, None).unwrap();
        let net = run(obs, &params("network"), trials, 21, None).unwrap();
        let e_phi2 = if phi == "relu" { 0.5 } else { 1.0 };
        let s0 = 32.0 * e_phi2 / (4.0 * n as f64);
        for output in ["target_loss", "source_loss", "target_early"] {
            let a = dmft.column(output).unwrap();
            let b = net.column(output).unwrap();
            let diffs: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y - x).collect();
            let e = tlcheck::stats::Estimate::from_samples(&diffs);
            println!(
                "{phi} {output}: network (N = {n}) - dmft (M = {n}) = {:.5} +- {:.5} (budget s0 = {s0:.5}); dmft {:.4}",
                e.mean,
                e.se,
                a.iter().sum::<f64>() / a.len() as f64
            );
            assert!(e.mean.abs() < 4.0 * e.se + s0, "{phi} {output}: {} +- {}", e.mean, e.se);
        }
    }
}

/// Bad parameters are refused with a message naming the problem, never a panic or a NaN.
#[test]
fn bad_parameters_are_refused() {
    use tlcheck::observable::find;
    for name in ["lauditi.joint_rich", "lauditi.polynomial_transfer"] {
        let obs = find(name).unwrap();
        for (given, needle) in [
            (vec![("t_early", "5"), ("t2", "1")], "t_early"),
            (vec![("nu1", "0.33"), ("d", "10")], "whole"),
            (vec![("d", "100000"), ("n", "10000000")], "memory"),
            (vec![("gamma2", "-1")], "gamma2"),
            (vec![("gamma1", "nan")], "gamma1"),
            (vec![("phi", "sigmoid")], "phi"),
            (vec![("source", "he7")], "source"),
            (vec![("eta0", "2.5")], "eta0"),
        ] {
            let given: Vec<(String, String)> = given.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let err = obs
                .resolve(&given)
                .and_then(|p| obs.prepare(&p, 1).map(|_| ()))
                .expect_err(&format!("{name} {given:?} must be refused"));
            assert!(err.to_string().contains(needle), "{name} {given:?}: {err}");
        }
    }
}
