//! Yuan, Meng et al. parameter transfer: simulator validation (methods agree, exact symmetry,
//! gradient by finite differences, test-error shortcut against explicit test samples) and power of
//! the order-parameter checks.

mod common;

use std::path::Path;

use faer::Mat;
use rand::SeedableRng;
use tlcheck::audit::run_claim;
use tlcheck::claim::Claim;
use tlcheck::engine::run_check;
use tlcheck::methods::power_law::fit_exponents;
use tlcheck::observable::{find, simulate};
use tlcheck::outcome::Verdict;
use tlcheck::params::split_assignment;
use tlcheck::report::evidence::evidence;
use tlcheck::rng::Rng;
use tlcheck::sim::gaussian::normal;
use tlcheck::sim::yuan::{
    Data, Experiment, Method, Task, Training, test_errors, train, transfer_trial, u_coefficient_ratio,
};
use tlcheck::stats::fit_log_log;

fn task(v_coord: usize, scale: f64) -> Task {
    Task { u_norm: 0.8 * scale, v_norm: 1.2 * scale, v_coord, sigma_p: scale, flip: 0.1 }
}

fn experiment(scale: f64, eta: f64, sigma0: f64) -> Experiment {
    Experiment {
        d: 150,
        m: 4,
        n1: 30,
        n2: 12,
        upstream: task(1, scale),
        downstream: task(2, scale),
        inherited: 2,
        stage1: Training { eta, steps: 80 },
        stage2: Training { eta, steps: 80 },
        sigma0,
        n_test: 3000,
    }
}

fn init(two_m: usize, d: usize, sigma0: f64, rng: &mut Rng) -> Mat<f64> {
    Mat::from_fn(two_m, d, |_, _| sigma0 * normal(rng))
}

#[test]
fn direct_and_coefficient_methods_agree_to_rounding() {
    let mut rng = Rng::seed_from_u64(11);
    let data = task(1, 1.0).sample(40, 200, &mut rng);
    let w0 = init(10, 200, 0.05, &mut rng);
    let (mut a, mut b) = (w0.clone(), w0);
    let training = Training { eta: 0.5, steps: 200 };
    train(&mut a, &data, &training, Method::Direct);
    train(&mut b, &data, &training, Method::Coefficient);
    let diff = (&a - &b).norm_max();
    let moved = a.norm_max();
    println!("direct vs coefficient: max |dW| = {diff:e}, max |W| = {moved}");
    assert!(diff <= 1e-10 * moved, "max |W_direct - W_coefficient| = {diff:e} (filters up to {moved})");
    // Whole trials on the same seed give the same test errors.
    let e = experiment(1.0, 0.5, 0.05);
    let x = transfer_trial(&e, Method::Direct, &mut Rng::seed_from_u64(5));
    let y = transfer_trial(&e, Method::Coefficient, &mut Rng::seed_from_u64(5));
    assert!((x.transfer - y.transfer).abs() < 1e-12 && (x.scratch - y.scratch).abs() < 1e-12, "{x:?} vs {y:?}");
    assert!((x.upstream_snr - y.upstream_snr).abs() < 1e-9 * x.upstream_snr.abs().max(1.0));
    assert!((x.inherited - y.inherited).abs() < 1e-12, "{x:?} vs {y:?}");
}

/// Without downstream training the transferred model is the inherited one: its error on the common
/// test draws (transfer) and on its own (inherited) agree within the test sampling error.
#[test]
fn inherited_error_is_the_transfer_error_without_downstream_training() {
    let mut e = experiment(1.0, 0.5, 0.05);
    e.stage2.steps = 0;
    e.n_test = 20_000;
    let o = transfer_trial(&e, Method::Coefficient, &mut Rng::seed_from_u64(8));
    // Each error is a mean over 2 n_test scored patches: sd <= sqrt(0.25 / 40000) = 0.0025.
    assert!(o.inherited > 0.05 && (o.inherited - o.transfer).abs() < 4.0 * 0.0025 * 2f64.sqrt(), "{o:?}");
}

/// x -> c x, w -> w / c, eta -> eta / c^2 leaves f(W, x) and every gradient step invariant, so
/// the trial's test errors are identical (the same Gaussian draws are scaled).
#[test]
fn exact_symmetry_rescaling_data_step_and_init_leaves_the_errors_unchanged() {
    let c: f64 = 2.0;
    let a = transfer_trial(&experiment(1.0, 0.5, 0.05), Method::Coefficient, &mut Rng::seed_from_u64(9));
    let b = transfer_trial(&experiment(c, 0.5 / (c * c), 0.05 / c), Method::Coefficient, &mut Rng::seed_from_u64(9));
    assert!((a.transfer - b.transfer).abs() < 1e-12 && (a.scratch - b.scratch).abs() < 1e-12, "{a:?} vs {b:?}");
    assert!((a.inherited - b.inherited).abs() < 1e-12, "{a:?} vs {b:?}");
}

fn loss(w: &Mat<f64>, data: &Data) -> f64 {
    let m = w.nrows() / 2;
    let n = data.y.len();
    (0..n)
        .map(|i| {
            let f: f64 = (0..2 * m)
                .map(|r| {
                    let j = if r < m { 1.0 } else { -1.0 };
                    let s: f64 = (0..3).map(|k| w[(r, k)] * data.y[i] * data.signal[k]).sum();
                    let z: f64 = (0..w.ncols()).map(|k| w[(r, k)] * data.noise[(i, k)]).sum();
                    j * (s.max(0.0) + z.max(0.0))
                })
                .sum::<f64>()
                / m as f64;
            (1.0 + (-data.y_obs[i] * f).exp()).ln()
        })
        .sum::<f64>()
        / n as f64
}

#[test]
fn one_gradient_step_matches_finite_differences_of_the_logistic_loss() {
    let mut rng = Rng::seed_from_u64(3);
    let data = task(2, 1.0).sample(8, 12, &mut rng);
    let w0 = init(6, 12, 0.5, &mut rng);
    let mut w1 = w0.clone();
    let eta = 1e-3;
    train(&mut w1, &data, &Training { eta, steps: 1 }, Method::Direct);
    let h = 1e-6;
    for r in 0..6 {
        for k in 0..12 {
            let (mut p, mut q) = (w0.clone(), w0.clone());
            p[(r, k)] += h;
            q[(r, k)] -= h;
            let fd = (loss(&p, &data) - loss(&q, &data)) / (2.0 * h);
            let step = (w0[(r, k)] - w1[(r, k)]) / eta;
            assert!((fd - step).abs() < 1e-6 * (1.0 + fd.abs()), "filter {r} coord {k}: fd {fd} vs step {step}");
        }
    }
}

/// The Gaussian-projection test error equals the error on explicit test samples in R^d.
#[test]
fn test_error_shortcut_matches_explicit_test_samples() {
    let mut rng = Rng::seed_from_u64(21);
    let t = task(2, 1.0);
    let data = t.sample(20, 60, &mut rng);
    let mut w = init(8, 60, 0.05, &mut rng);
    train(&mut w, &data, &Training { eta: 0.5, steps: 100 }, Method::Coefficient);
    let n = 40_000;
    let (fast, _) = test_errors(&w, &w, &t, n, &mut rng);
    let test = t.sample(n, 60, &mut rng);
    let m = 4;
    let mut wrong = 0.0;
    for i in 0..n {
        let f: f64 = (0..8)
            .map(|r| {
                let j = if r < m { 1.0 } else { -1.0 };
                let s: f64 = (0..3).map(|k| w[(r, k)] * test.y[i] * test.signal[k]).sum();
                let z: f64 = (0..60).map(|k| w[(r, k)] * test.noise[(i, k)]).sum();
                j * (s.max(0.0) + z.max(0.0))
            })
            .sum();
        wrong += if test.y_obs[i] * f > 0.0 { 0.0 } else { 1.0 };
    }
    let explicit = wrong / n as f64;
    // Binomial standard errors of both estimates (the shortcut pairs y = +-1, so its se is smaller).
    let se = (2.0 * explicit * (1.0 - explicit) / n as f64).sqrt();
    assert!(explicit > 0.11, "the check needs a non-trivial error, got {explicit}");
    assert!((fast - explicit).abs() < 4.0 * se, "shortcut {fast} vs explicit {explicit} (se {se})");
}

#[test]
fn bad_parameters_are_refused_with_a_message() {
    let obs = find("yuan.test_error").unwrap();
    for (set, word) in [("alpha=0.33", "whole number"), ("d=3", "d"), ("p=0.5", "p"), ("u_norm=0", "u_norm")] {
        let given = vec![split_assignment(set).unwrap()];
        let err = obs.resolve(&given).and_then(|p| simulate(obs, &p, 1, 1, None).map(|_| ())).unwrap_err();
        assert!(err.to_string().contains(word), "{set}: {err}");
        assert_eq!(err.exit_code(), 2, "{set}");
    }
}

/// Power of the monotone check: a claimed order parameter that decreases with N1 (so claims that
/// more source data hurts) is rejected by the same machinery that accepts the printed direction.
#[test]
fn directions_check_rejects_a_reversed_direction() {
    let text = |formula: &str| {
        format!(
            r#"
id = "power.yuan_direction"
title = "t"
status = "reconstructed"
statement = "s"
[source]
paper = "p"
arxiv = "0"
version = "v1"
location = "l"
[claim]
relation = "order_parameter"
formula = "{formula}"
[[check]]
method = "directions"
describe = "d"
observable = "yuan.test_error"
output = "transfer_error"
settings = {{ d = 300, m = 4, N1 = 40, N2 = 10, alpha = 0.5, u_norm = 1.5, steps1 = 150, steps2 = 150, n_test = 1000 }}
sweep = {{ u_norm = [0.5, 1.5] }}
trials = 10
tolerance = {{ budget_reason = "none" }}
[verdict]
expected = "holds"
reason = "r"
"#
        )
    };
    let run = |formula: &str| {
        let claim = Claim::from_toml(&text(formula), Path::new("power.toml")).unwrap();
        run_check(&claim.checks[0], &common::quick(), tlcheck::engine::alpha::check_alpha(1)).unwrap()
    };
    let printed = run("alpha^2 * N1 * u_norm^2 / (sigma_p1^2 * sigma_p2^2 * d)");
    assert_eq!(printed.verdict, Verdict::Holds, "{}", evidence(&printed));
    let reversed = run("alpha^2 * N1 / (u_norm^2 * sigma_p1^2 * sigma_p2^2 * d)");
    assert_eq!(reversed.verdict, Verdict::Refuted, "{}", evidence(&reversed));
}

fn tlcheck(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tlcheck")).args(args).output().expect("binary runs")
}

#[test]
fn order_parameter_cli_reports_exponents_and_refuses_bad_claims() {
    let out = tlcheck(&["order-parameter", "yuan2025.gamma_order_parameter", "--check", "2", "--quick", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let fitted = doc["collapse"]["fitted"].as_array().expect("fitted exponents");
    assert_eq!(fitted.len(), 6);
    assert_eq!(doc["check"], 2);
    // Finite size: every free exponent at lambda = 1 and 4, with standard errors.
    let by_size = doc["collapse"]["by_size"].as_array().expect("exponents by size");
    assert_eq!(by_size.iter().filter(|s| s.as_array().is_some_and(|s| s.len() == 2)).count(), 5);
    assert!(doc["evidence"].as_str().is_some_and(|e| e.contains("scale audit")));
    let bad_check = ["order-parameter", "yuan2025.scratch_order_parameter", "--check", "2"];
    for args in [&["order-parameter", "nope"][..], &["order-parameter", "lauditi2025.finetune_never_worse"], &bad_check]
    {
        let out = tlcheck(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1, "{args:?}");
    }
}

/// u_ratio recovers the coefficients of filters built as dw = a s + sum_i c_i xi_i exactly:
/// R = sum_r |a_r| |u|^2 / sum_r mean_i |c_ri| |xi_i|^2.
#[test]
fn u_ratio_recovers_known_coefficients() {
    let mut rng = Rng::seed_from_u64(11);
    let t = Task { u_norm: 0.7, v_norm: 1.3, v_coord: 1, sigma_p: 1.5, flip: 0.0 };
    let (n, d) = (12, 60);
    let data = t.sample(n, d, &mut rng);
    let w0 = Mat::from_fn(4, d, |_, _| 0.1 * normal(&mut rng));
    let a: Vec<f64> = (0..4).map(|_| normal(&mut rng)).collect();
    let c = Mat::from_fn(4, n, |_, _| normal(&mut rng));
    let s = data.signal;
    let w = Mat::from_fn(4, d, |r, col| {
        w0[(r, col)]
            + a[r] * s.get(col).copied().unwrap_or(0.0)
            + (0..n).map(|i| c[(r, i)] * data.noise[(i, col)]).sum::<f64>()
    });
    let rows = [0, 2, 3];
    let norm2 = |i: usize| (0..d).map(|col| data.noise[(i, col)].powi(2)).sum::<f64>();
    let signal: f64 = rows.iter().map(|&r| a[r].abs() * 0.7f64.powi(2)).sum();
    let memorised: f64 =
        rows.iter().map(|&r| (0..n).map(|i| (c[(r, i)] * norm2(i)).abs()).sum::<f64>() / n as f64).sum();
    let got = u_coefficient_ratio(&w, &w0, &rows, &data, 0.7);
    assert!((got - signal / memorised).abs() < 1e-9 * got, "{got} vs {}", signal / memorised);
    assert_eq!(u_coefficient_ratio(&w, &w0, &[], &data, 0.7), 0.0);
}

/// The power-law fit recovers known exponents (1, 2, -2, -1) from one-at-a-time sweeps with
/// multiplicative noise, its delta-method intervals at the engine's level cover them, and data
/// generated with a wrong exponent (N1^1.2) is rejected: the printed 1 lies outside the N1 interval.
#[test]
fn power_law_fit_recovers_and_rejects_exponents() {
    let truth = [1.0, 2.0, -2.0, -1.0];
    let sweeps = [0.25f64, 4.0];
    let mut logs = vec![vec![0.0; 4]];
    for k in 0..4 {
        for s in sweeps {
            let mut x = vec![0.0; 4];
            x[k] = s.ln();
            logs.push(x);
        }
    }
    let mut rng = Rng::seed_from_u64(5);
    let noise: Vec<Vec<f64>> = (0..logs.len()).map(|_| (0..40).map(|_| normal(&mut rng)).collect()).collect();
    let simulate_cols = |e: &[f64]| -> Vec<Vec<f64>> {
        logs.iter()
            .zip(&noise)
            .map(|(x, z)| {
                let mean: f64 = 0.3 * x.iter().zip(e).map(|(l, b)| l * b).sum::<f64>().exp();
                z.iter().map(|g| mean * (1.0 + 0.05 * g)).collect()
            })
            .collect()
    };
    let level = tlcheck::engine::alpha::CLAIM_ALPHA / 4.0;
    let fit = fit_exponents(&logs, &refs(&simulate_cols(&truth)), &[1.0]).unwrap();
    for (i, t) in truth.iter().enumerate() {
        let (fitted, ci) = fit.exponent(i, level);
        assert!((fitted - t).abs() < 0.05, "exponent {i}: {fitted}");
        assert!(ci.0 <= *t && *t <= ci.1 && ci.1 - ci.0 < 0.2, "exponent {i}: {ci:?}");
    }
    let wrong = [1.2, 2.0, -2.0, -1.0];
    let ci = fit_exponents(&logs, &refs(&simulate_cols(&wrong)), &[1.0]).unwrap().exponent(0, level).1;
    assert!(ci.0 > 1.0, "N1^1.2 data must exclude the exponent 1: {ci:?}");
    assert!(fit_log_log(&logs, &[0.0; 9]).is_err());
}

/// Power on the simulator: the mechanism claim holds as printed (extrapolated in size), and each
/// printed exponent changed by 1 is refuted by the same check at the quick precision (one run, so
/// every variant reads the same simulated trials).
#[test]
fn mechanism_rejects_exponents_changed_by_one() {
    let run = common::quick();
    let outcome = |formula: &str| {
        let mut file = common::file("yuan2025.mechanism");
        file.claim.formula = formula.to_string();
        let claim = Claim::compile(file, "edited.toml".into()).unwrap();
        run_claim(&claim, &run).unwrap()
    };
    let printed = outcome("N1 * u_norm^2 / (sigma_p1^2 * d)");
    assert_eq!(printed.verdict, Verdict::Holds, "{:?}", common::evidence(&printed));
    for wrong in [
        "N1^2 * u_norm^2 / (sigma_p1^2 * d)",
        "N1 * u_norm^3 / (sigma_p1^2 * d)",
        "N1 * u_norm^2 / (sigma_p1 * d)",
        "N1 * u_norm^2 / (sigma_p1^2 * d^2)",
    ] {
        let o = outcome(wrong);
        assert_eq!(o.verdict, Verdict::Refuted, "{wrong}: {:?}", common::evidence(&o));
    }
}

/// Columns as slices.
fn refs(cols: &[Vec<f64>]) -> Vec<&[f64]> {
    cols.iter().map(Vec::as_slice).collect()
}
