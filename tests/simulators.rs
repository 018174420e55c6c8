//! Validation of the simulators against exact identities, brute force at small sizes, and each other.
//! Never against the printed claims: those are what the simulators are used to decide.

use faer::Mat;
use faer::linalg::solvers::Solve;
use tlcheck::observable::{find, simulate};
use tlcheck::params::split_assignment;
use tlcheck::rng::trial_rng;
use tlcheck::sim::gaussian::{normal_col, normal_matrix, unit_vector};
use tlcheck::sim::lauditi::finetune::{Reduced, TargetTask, loss_dense, loss_fast};
use tlcheck::sim::lauditi::pretrain::{
    Integrator, SourceTask, Training, Width, pretrain, pretrain_moments, pretrain_network,
};
use tlcheck::stats::{Estimate, ks_two_sample};

fn training(gamma: f64, integrator: Integrator) -> Training {
    Training { gamma, eta0: 0.5, tol: 1e-10, max_steps: 1_000_000, integrator, weight_decay: 0.0 }
}

/// Every neuron sees the same step E, so a finite network is exactly the moment dynamics started
/// at its empirical second-moment matrix S_N(0) = Q^T Q / N, Q = [z | W]. Both integrators.
#[test]
fn finite_network_equals_moment_dynamics_from_its_empirical_moments() {
    for (integrator, nu1) in [(Integrator::Flow, None), (Integrator::Gd, Some(1.5))] {
        let (n, d) = (300, 12);
        let task = SourceTask { d, nu1, sigma_s: 0.1 };
        let mut rng = trial_rng(11, 0);
        let b_s = unit_vector(&mut rng, d);
        let z = normal_col(&mut rng, n);
        let w = normal_matrix(&mut rng, n, d);
        let q = Mat::from_fn(n, d + 1, |i, j| if j == 0 { z[i] } else { w[(i, j - 1)] });
        let s0 = (q.transpose() * &q) * (1.0 / n as f64);
        let gamma = 2.0;
        let t = training(gamma, integrator);
        // The moment dynamics use beta = S[1:,0]/gamma; the network uses W^T z/(gamma N): same thing.
        let net = pretrain_network(&task, &t, z, w, b_s.clone(), &mut rng.clone()).unwrap();
        let mom = pretrain_moments(&task, &t, s0, b_s, &mut rng.clone()).unwrap();
        assert_eq!(net.steps, mom.steps);
        assert!((&net.beta_hat - &mom.beta_hat).norm_l2() < 1e-9);
        assert!((&net.m - &mom.m).norm_l2() < 1e-9 * (1.0 + mom.m.norm_l2()));
        assert!((net.ez2 - mom.ez2).abs() < 1e-9);
    }
}

/// With nu1 < 1 and no label noise the trained predictor is the projection of b_s on the row space
/// of the source inputs (gradient flow from beta = 0 never leaves it): brute force by least squares.
#[test]
fn finite_source_predictor_is_the_row_space_projection() {
    let d = 40;
    let task = SourceTask { d, nu1: Some(0.5), sigma_s: 0.0 };
    let mut rng = trial_rng(5, 0);
    let b_s = unit_vector(&mut rng, d);
    let mut data_rng = rng.clone();
    let pre =
        pretrain_moments(&task, &training(1.5, Integrator::Flow), Mat::identity(d + 1, d + 1), b_s.clone(), &mut rng)
            .unwrap();
    // Redraw the same source inputs and project b_s on their row space.
    let x = normal_matrix(&mut data_rng, 20, d);
    let proj = x.transpose() * (&x * x.transpose()).llt(faer::Side::Lower).unwrap().solve(&x * &b_s);
    assert!((&pre.beta_hat - &proj).norm_l2() < 1e-7, "{}", (&pre.beta_hat - &proj).norm_l2());
}

fn dense_vs_fast(red: &Reduced, task: &TargetTask, trials: u64) -> (Vec<f64>, Vec<f64>) {
    let mut scratch = Vec::new();
    let fast: Vec<f64> =
        (0..trials).map(|t| loss_fast(red, task, &mut trial_rng(1, t), &mut scratch).unwrap()).collect();
    let dense: Vec<f64> = (0..trials)
        .map(|t| {
            let mut rng = trial_rng(2, t);
            let (m, b) = red.embed(&mut rng);
            loss_dense(m.as_ref(), b.as_ref(), task, &mut rng).unwrap()
        })
        .collect();
    (fast, dense)
}

/// The fast path (rotational invariance, tridiagonal Wishart model, Woodbury) and the dense Gram
/// matrix agree in distribution: two-sample KS and a z-test of the means, in every regime.
#[test]
fn fast_and_dense_fine_tuning_agree_in_distribution() {
    let cases = [
        (
            "ridgeless, nu2 < 1, noisy",
            Reduced::ideal(40, 1.5, 0.7).unwrap(),
            TargetTask { p: 14, lambda: 0.0, sigma: 0.5 },
        ),
        ("ridge, nu2 > 1", Reduced::ideal(30, 3.0, -0.4).unwrap(), TargetTask { p: 45, lambda: 0.2, sigma: 0.3 }),
        (
            "least squares, nu2 > 1",
            Reduced::ideal(20, 1.0, 0.5).unwrap(),
            TargetTask { p: 35, lambda: 0.0, sigma: 0.8 },
        ),
        (
            "three-dim subspace",
            Reduced::new(30, 1.0, vec![2.0, 0.3, 0.0, 0.3, 1.5, 0.2, 0.0, 0.2, 1.0], vec![0.6, 0.0, 0.8]).unwrap(),
            TargetTask { p: 12, lambda: 0.05, sigma: 0.0 },
        ),
    ];
    for (name, red, task) in cases {
        let (fast, dense) = dense_vs_fast(&red, &task, 2000);
        let (ef, ed) = (Estimate::from_samples(&fast), Estimate::from_samples(&dense));
        let z = (ef.mean - ed.mean) / (ef.se.powi(2) + ed.se.powi(2)).sqrt();
        let (ks, p) = ks_two_sample(&fast, &dense);
        assert!(z.abs() < 4.0, "{name}: means {} vs {} (z = {z})", ef.mean, ed.mean);
        assert!(p > 1e-3, "{name}: KS D = {ks}, p = {p}");
    }
}

/// The same machinery detects a real difference: fast path with chi = 1 vs dense with chi = 1.3.
#[test]
fn distribution_comparison_has_power() {
    let task = TargetTask { p: 14, lambda: 0.0, sigma: 0.0 };
    let (fast, _) = dense_vs_fast(&Reduced::ideal(40, 1.0, 0.8).unwrap(), &task, 2000);
    let (_, dense) = dense_vs_fast(&Reduced::ideal(40, 1.3, 0.8).unwrap(), &task, 2000);
    assert!(ks_two_sample(&fast, &dense).1 < 1e-3);
}

/// End to end through the observable: a pre-trained exact kernel gives the same loss distribution
/// on the fast and the dense path.
#[test]
fn pretrained_kernel_fast_and_dense_agree() {
    let obs = find("lauditi.finetune_loss").unwrap();
    let run = |method: &str| {
        let given: Vec<(String, String)> =
            ["d=50", "nu2=0.4", "alpha_s=0.6", "kernel=pretrained", "gamma1=2", "sigma=0.2"]
                .iter()
                .map(|s| split_assignment(s).unwrap())
                .chain([("method".to_string(), method.to_string())])
                .collect();
        let params = obs.resolve(&given).unwrap();
        simulate(obs, &params, 1500, if method == "fast" { 3 } else { 4 }, None).unwrap().column("loss").unwrap()
    };
    let (fast, dense) = (run("fast"), run("dense"));
    let (ef, ed) = (Estimate::from_samples(&fast), Estimate::from_samples(&dense));
    assert!((ef.mean - ed.mean).abs() < 4.0 * (ef.se.powi(2) + ed.se.powi(2)).sqrt(), "{ef:?} vs {ed:?}");
    assert!(ks_two_sample(&fast, &dense).1 > 1e-3);
}

/// Results do not depend on the number of threads: same seed, 1 and 2 worker threads.
#[test]
fn results_are_identical_for_any_thread_count() {
    let obs = find("lauditi.finetune_loss").unwrap();
    let params = obs.resolve(&[("d".into(), "80".into()), ("method".into(), "dense".into())]).unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let a = one.install(|| simulate(obs, &params, 37, 9, None).unwrap().rows);
    let b = two.install(|| simulate(obs, &params, 37, 9, None).unwrap().rows);
    assert_eq!(a, b);
}

/// Infinite width, population loss: the exact dynamics reach |beta_hat| = 1 and the finite network
/// (N = 20 000, D = 50) is within 3 % of it, as in the acceptance test.
#[test]
fn finite_width_spike_is_close_to_infinite_width() {
    let task = SourceTask { d: 50, nu1: None, sigma_s: 0.0 };
    let t = training(3.0, Integrator::Flow);
    let exact = pretrain(&task, &t, Width::Infinite, &mut trial_rng(1, 0)).unwrap().spike();
    assert!((exact.q - 1.0).abs() < 1e-8);
    assert!((exact.value - (10f64.sqrt() - 1.0)).abs() < 1e-6);
    let finite = pretrain(&task, &t, Width::Finite(20_000), &mut trial_rng(1, 1)).unwrap().spike();
    assert!((finite.value / exact.value - 1.0).abs() < 0.03, "{}", finite.value);
}
