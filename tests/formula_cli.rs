//! `tlcheck formula`: algebraically equivalent rewrites of printed formulas are accepted as
//! equivalent, typos are refuted with a counterexample point (three claims); the observable mode,
//! the extra statements, and bad input refused with exit code 2.

use std::process::{Command, Output};

fn tlcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlcheck")).args(args).output().expect("binary runs")
}

/// Runs `tlcheck formula EXPR ARGS... --json` and returns (exit code, JSON).
fn formula(expr: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let out = tlcheck(&[&["formula", expr, "--json"], args].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{expr}: {e}; stderr: {stderr}"));
    (out.status.code().unwrap_or(-1), json)
}

const CASES: [(&str, &[&str], &str); 3] = [
    (
        "lauditi2025.chi_kernel_spike",
        &["gamma^2/(sqrt(1 + gamma^2) + 1)", "(1 + gamma^2)^(1/2) - 1", "sqrt(gamma*gamma + 1) - 1"],
        "sqrt(1 + gamma^2/2) - 1",
    ),
    (
        "lauditi2025.lorentz_identity",
        &["gamma^2*q/(sqrt(1 + gamma^2*q) + 1)", "sqrt(1 + q*gamma^2) - 1"],
        "sqrt(1 + gamma*q) - 1",
    ),
    (
        "lauditi2025.finetune_population",
        &[
            "(1 - nu2)*(1 - alpha_s^2 + alpha_s^2/(1 + chi*nu2)^2)",
            "(1 - nu2)*(1 - alpha_s^2*chi*nu2*(2 + chi*nu2)/(1 + chi*nu2)^2)",
        ],
        "(1 - nu2) * (1 - 2*chi*alpha_s^2*nu2/(1 + chi*nu2) + chi^2*alpha_s^2*nu2^2/(1 + chi*nu2))",
    ),
];

#[test]
fn rewrites_are_equivalent() {
    for (id, rewrites, _) in CASES {
        for r in rewrites {
            let (code, json) = formula(r, &["--claim", id]);
            assert_eq!(json["printed_relation"], "equivalent", "{id}: {r}: {json}");
            // An equivalent form agrees with the simulation exactly where the printed one does.
            let printed = &json["simulation"]["printed_verdict"];
            let agrees = printed == "holds";
            assert_eq!(json["verdict"] == "agrees-with-simulation", agrees, "{id}: {r}: {json}");
            assert_eq!(code, if agrees { 0 } else { 1 }, "{id}: {r}: {json}");
            assert_eq!(json["equivalence"]["equivalent"], true);
            assert!(json["equivalence"]["max_discrepancy"].as_f64().is_some_and(|d| d <= 1e-6));
        }
    }
}

#[test]
fn typos_are_refuted_with_a_counterexample_point() {
    for (id, _, typo) in CASES {
        let (code, json) = formula(typo, &["--claim", id, "--quick"]);
        assert_eq!(code, 1, "{id}: {json}");
        assert!(["refuted", "regime-limited"].contains(&json["verdict"].as_str().unwrap()), "{id}: {json}");
        assert_eq!(json["printed_relation"], "differs", "{id}: {json}");
        let c = &json["equivalence"]["counterexample"];
        assert!(c["at"].as_object().is_some_and(|a| !a.is_empty()), "{id}: no counterexample point: {json}");
        assert!(c["discrepancy"].as_f64().is_none_or(|d| d > 1e-6), "{id}: {json}");
        assert_eq!(json["simulation"]["rejected"], true, "{id}: {json}");
        assert!(json["simulation"]["evidence"].as_str().is_some_and(|e| e.contains(" at ")), "{id}: {json}");
    }
}

#[test]
fn observable_mode_and_statements() {
    let grid = ["--observable", "lauditi.kernel_spike", "--grid", "gamma=0.5:4:4,d=60", "--trials", "1"];
    let args = [&grid[..], &["--budget", "1e-6", "--monotone", "gamma=increasing", "--at-most", "gamma"]].concat();
    let (code, json) = formula("sqrt(1 + gamma^2) - 1", &[&args[..], &["--scaling", "gamma=1"]].concat());
    assert_eq!((code, &json["verdict"]), (0, &serde_json::json!("agrees-with-simulation")), "{json}");
    let statements = json["statements"].as_array().expect("statements");
    assert!(statements.iter().all(|s| s["verdict"] == "holds"), "{json}");
    assert_eq!(json["scaling"]["weight"], serde_json::Value::Null, "sqrt(1 + gamma^2) - 1 is not homogeneous");
    let (code, json) = formula("sqrt(1 + gamma^2) + 1", &[&grid[..], &["--monotone", "gamma=decreasing"]].concat());
    assert_eq!((code, &json["verdict"]), (1, &serde_json::json!("refuted")), "{json}");
    assert_eq!(json["statements"][0]["verdict"], "refuted", "{json}");
    let (_, json) = formula("gamma^3/(gamma*d)", &[&grid[..], &["--scaling", "gamma=1"]].concat());
    assert!(json["scaling"]["weight"].as_f64().is_some_and(|w| (w - 2.0).abs() < 1e-9), "{json}");
}

#[test]
fn bad_input_is_refused_with_exit_code_2() {
    fn obs(grid: &str) -> Vec<&str> {
        vec!["formula", "gamma", "--observable", "lauditi.kernel_spike", "--grid", grid]
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (obs("gamma=nan"), "NaN"),
        (obs("gamma=0:inf:3"), "not a finite number"),
        (obs("gamma=0.5:4:0"), "N >= 2"),
        (obs(""), "empty"),
        (obs("gamma=1:4:100000"), "points"),
        (obs("gamma=2:1:3"), "LO < HI"),
        (obs("gamma=1,gamma=2"), "repeated"),
        (vec!["formula", "1e999*gamma", "--claim", "lauditi2025.chi_kernel_spike"], "not finite"),
        (vec!["formula", "sqrt(gamma", "--claim", "lauditi2025.chi_kernel_spike"], "unbalanced"),
        (vec!["formula", "gamma + foo", "--claim", "lauditi2025.chi_kernel_spike"], "foo"),
        (vec!["formula", "gamma", "--claim", "no.such.claim"], "unknown claim"),
        (vec!["formula", "gamma"], "--claim"),
        (vec!["formula", "gamma", "--claim", "lauditi2025.chi_increasing", "--monotone", "gamma=up"], "increasing"),
        (vec!["formula", "gamma", "--claim", "lauditi2025.chi_increasing", "--scaling", "gamma=inf"], "finite"),
        (vec!["formula", "gamma", "--claim", "lauditi2025.chi_increasing", "--budget", "NaN"], "budget"),
        (vec!["mutate", "no.such.claim"], "unknown claim"),
        (vec!["mutate", "lauditi2025.chi_increasing", "--max", "0"], "--max"),
    ];
    for (args, mentions) in cases {
        let out = tlcheck(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains(mentions), "{args:?}: should mention {mentions:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed a result despite the error");
    }
}
