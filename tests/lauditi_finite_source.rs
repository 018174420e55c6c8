//! Validation of the finite-source and weight-decay simulators (issue 3) against exact identities and
//! each other. Never against the printed claims: those are what the simulators decide.

use faer::Mat;
use tlcheck::observable::{find, simulate};
use tlcheck::params::split_assignment;
use tlcheck::rng::trial_rng;
use tlcheck::sim::gaussian::{normal_col, normal_matrix, unit_vector};
use tlcheck::sim::lauditi::pretrain::{
    Integrator, SourceTask, Training, Width, pretrain, pretrain_moments, pretrain_network,
};
use tlcheck::stats::Estimate;

fn training(gamma: f64, weight_decay: f64, tol: f64) -> Training {
    Training { gamma, eta0: 0.5, tol, max_steps: 2_000_000, integrator: Integrator::Flow, weight_decay }
}

/// The row-space reduction (O(P1^2) per step) reproduces the full O(D^2) moment dynamics.
#[test]
fn row_space_reduction_equals_full_moment_dynamics() {
    let d = 30;
    for (nu1, sigma_s, wd, tol) in [(0.5, 0.0, 0.0, 1e-10), (0.3, 0.2, 0.0, 1e-10), (0.5, 0.0, 0.4, 1e-7)] {
        let task = SourceTask { d, nu1: Some(nu1), sigma_s };
        let t = training(2.0, wd, tol);
        let mut rng = trial_rng(3, 1);
        let reduced = pretrain(&task, &t, Width::Infinite, &mut rng.clone()).unwrap();
        let b_s = unit_vector(&mut rng, d);
        let full = pretrain_moments(&task, &t, Mat::identity(d + 1, d + 1), b_s, &mut rng).unwrap();
        let db = (&reduced.beta_hat - &full.beta_hat).norm_l2();
        let dm = (&reduced.m - &full.m).norm_l2() / full.m.norm_l2();
        assert!(db < 1e-7 && dm < 1e-7, "nu1 {nu1} wd {wd}: |d beta| {db:.2e}, |d M|/|M| {dm:.2e}");
        assert!((reduced.ez2 - full.ez2).abs() < 1e-7 * full.ez2);
    }
}

/// Weight decay multiplies (z, w) by a scalar each step, which commutes with the boosts: the kernel
/// stays exactly iso I + spike r r^T (r = beta_hat/|beta_hat|) with a decayed isotropic part.
#[test]
fn weight_decay_keeps_the_kernel_isotropic_plus_rank_one() {
    let d = 25;
    let task = SourceTask { d, nu1: None, sigma_s: 0.0 };
    let pre = pretrain(&task, &training(3.0, 0.5, 1e-7), Width::Infinite, &mut trial_rng(9, 0)).unwrap();
    let q = pre.beta_hat.squared_norm_l2();
    let r = &pre.beta_hat * (1.0 / q.sqrt());
    let iso = (0..d).map(|i| pre.m[(i, i)]).sum::<f64>() - (r.transpose() * &pre.m * &r);
    let iso = iso / (d - 1) as f64;
    let spike = r.transpose() * &pre.m * &r - iso;
    let rest = &pre.m - Mat::<f64>::identity(d, d) * iso - &r * r.transpose() * spike;
    assert!(rest.norm_l2() < 1e-8 * pre.m.norm_l2(), "off part {:.2e}", rest.norm_l2());
    assert!(iso < 1e-4, "isotropic part decayed: {iso:.2e}");
    // Equilibrium of the regularised population flow: |b_s - beta_hat| = lambda_wd / gamma.
    let resid = (&pre.b_s - &pre.beta_hat).norm_l2();
    assert!((resid - 0.5 / 3.0).abs() < 1e-4, "|b_s - beta_hat| = {resid}");
}

/// With weight decay, N explicit neurons follow the moment dynamics started at their empirical
/// second moments exactly (same steps, same stopping).
#[test]
fn finite_network_with_weight_decay_equals_moment_dynamics() {
    let (n, d) = (200, 10);
    let task = SourceTask { d, nu1: Some(1.5), sigma_s: 0.1 };
    let mut rng = trial_rng(4, 0);
    let b_s = unit_vector(&mut rng, d);
    let z = normal_col(&mut rng, n);
    let w = normal_matrix(&mut rng, n, d);
    let q = Mat::from_fn(n, d + 1, |i, j| if j == 0 { z[i] } else { w[(i, j - 1)] });
    let s0 = (q.transpose() * &q) * (1.0 / n as f64);
    let t = training(2.0, 0.3, 1e-6);
    let net = pretrain_network(&task, &t, z, w, b_s.clone(), &mut rng.clone()).unwrap();
    let mom = pretrain_moments(&task, &t, s0, b_s, &mut rng).unwrap();
    assert_eq!(net.steps, mom.steps);
    assert!((&net.beta_hat - &mom.beta_hat).norm_l2() < 1e-9);
    assert!((&net.m - &mom.m).norm_l2() < 1e-9 * (1.0 + mom.m.norm_l2()));
}

fn run(obs: &str, set: &[&str], trials: usize, seed: u64) -> tlcheck::observable::Sample {
    let o = find(obs).unwrap();
    let given: Vec<_> = set.iter().map(|s| split_assignment(s).unwrap()).collect();
    simulate(o, &o.resolve(&given).unwrap(), trials, seed, None).unwrap()
}

/// Finite width N = 20 D agrees with the exact infinite-width kernel coefficients within the finite
/// network's sampling noise (z-test of the difference of means, 4 standard errors).
#[test]
fn finite_width_coefficients_agree_with_infinite_width() {
    let common = ["d=40", "nu1=0.5", "gamma1=2"];
    let inf = run("lauditi.finite_source_kernel", &[&common[..], &["width=inf"]].concat(), 40, 21);
    let fin = run("lauditi.finite_source_kernel", &[&common[..], &["width=800"]].concat(), 40, 22);
    for out in ["c2", "c1", "c3"] {
        let (a, b) = (inf.estimate(out).unwrap(), fin.estimate(out).unwrap());
        let z = (a.mean - b.mean) / (a.se * a.se + b.se * b.se).sqrt();
        assert!(z.abs() < 4.0, "{out}: infinite {:.4} +- {:.4}, N = 800 {:.4} +- {:.4}", a.mean, a.se, b.mean, b.se);
    }
}

/// The transfer observable's lazy baseline does not depend on gamma1 (same samples for any gamma1:
/// common random numbers), and its loss does.
#[test]
fn transfer_loss_uses_common_random_numbers_across_gamma1() {
    let at = |g: &str| run("lauditi.transfer_loss", &["d=60", "nu1=0.5", "nu2=0.5", "alpha_s=0.8", g], 6, 5);
    let (a, b) = (at("gamma1=0.5"), at("gamma1=4"));
    // Equal up to rounding: g_hat (hence b_t) is computed from each run's beta_hat.
    for (x, y) in a.column("lazy").unwrap().iter().zip(b.column("lazy").unwrap()) {
        assert!((x - y).abs() < 1e-9, "lazy {x} vs {y}");
    }
    let (la, lb) =
        (Estimate::from_samples(&a.column("loss").unwrap()), Estimate::from_samples(&b.column("loss").unwrap()));
    assert!(lb.mean < la.mean, "richer pre-training helps readout fine-tuning: {} vs {}", lb.mean, la.mean);
}

/// The fast fine-tuning path of `lauditi.transfer_loss` (iso I + spike r r^T, rotational invariance)
/// and the dense path agree: z-test of the mean difference of loss and lazy loss at 4 standard errors,
/// for every variant with a fast path, at finite source data and with weight decay.
#[test]
fn transfer_loss_fast_and_dense_paths_agree() {
    let cases: [&[&str]; 4] = [
        &["variant=readout", "nu1=0.5", "alpha_g=0.4"],
        &["variant=ridge", "lambda=0.1", "nu1=0.5", "sigma=0.3"],
        &["variant=ntk", "nu2=0.75"],
        &["variant=ridge", "lambda=0.01", "lambda_wd=0.5", "tol=1e-7", "nu2=0.25"],
    ];
    for case in cases {
        let base = [&["d=80", "gamma1=2", "alpha_s=0.7"][..], case].concat();
        let fast = run("lauditi.transfer_loss", &[&base[..], &["method=fast"]].concat(), 300, 1);
        let dense = run("lauditi.transfer_loss", &[&base[..], &["method=dense"]].concat(), 300, 2);
        for out in ["loss", "lazy"] {
            let (a, b) = (fast.estimate(out).unwrap(), dense.estimate(out).unwrap());
            let z = (a.mean - b.mean) / (a.se * a.se + b.se * b.se).sqrt();
            assert!(
                z.abs() < 4.0,
                "{case:?} {out}: fast {:.4} +- {:.4}, dense {:.4} +- {:.4}",
                a.mean,
                a.se,
                b.mean,
                b.se
            );
        }
    }
}

/// Weight decay drives the isotropic part of the kernel to rounding level: a ridgeless refit is then
/// ill-posed in f64 and refused with a message, never answered with rounding noise.
#[test]
fn ridgeless_refit_on_a_collapsed_kernel_is_refused() {
    let o = find("lauditi.transfer_loss").unwrap();
    let given: Vec<_> = ["d=40", "gamma1=4", "lambda_wd=0.5", "tol=1e-7", "variant=readout"]
        .iter()
        .map(|s| split_assignment(s).unwrap())
        .collect();
    let err = simulate(o, &o.resolve(&given).unwrap(), 2, 1, None).unwrap_err();
    assert!(err.to_string().contains("rank-deficient"), "{err}");
}
