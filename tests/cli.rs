//! The `tlcheck` binary: acceptance commands, JSON fields, exit codes, and bad input giving a
//! one-line error with exit code 2 (never a panic).

use std::path::Path;
use std::process::{Command, Output};

fn tlcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlcheck")).args(args).output().expect("binary runs")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn assert_usage_error(args: &[&str], mentions: &str) {
    let out = tlcheck(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert!(stderr.contains(mentions), "{args:?}: error should mention {mentions:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed a result despite the error");
}

#[test]
fn bad_input_is_refused_with_exit_code_2() {
    let sim = |set: &str| ["simulate", "lauditi.finetune_loss", "--set", set].map(String::from);
    for (set, mentions) in [
        ("nu2=0", "nu2"),
        ("nu2=-1", "nu2"),
        ("alpha_s=1.5", "alpha_s"),
        ("alpha_s=NaN", "alpha_s"),
        ("nu2=inf", "nu2"),
        ("d=abc", "not a number"),
        ("foo=1", "unknown parameter `foo`"),
        ("gamma1=2", "kernel=pretrained"),
        ("nu2", "name=value"),
        ("nu2=0.3333", "whole positive number"),
    ] {
        let args = sim(set);
        assert_usage_error(&args.iter().map(String::as_str).collect::<Vec<_>>(), mentions);
    }
    assert_usage_error(&["simulate", "lauditi.kernel_spike", "--set", "gamma=-1"], "gamma");
    assert_usage_error(&["simulate", "lauditi.kernel_spike", "--set", "width=2.5"], "integer");
    assert_usage_error(
        &["simulate", "lauditi.kernel_spike", "--set", "d=1000000", "--set", "width=100000000"],
        "memory",
    );
    assert_usage_error(&["simulate", "lauditi.finetune_loss", "--set", "d=1000000", "--set", "method=dense"], "memory");
    assert_usage_error(&["simulate", "no.such_observable"], "unknown observable");
    assert_usage_error(&["simulate", "lauditi.kernel_spike", "--trials", "0"], "trials");
    assert_usage_error(&["simulate", "lauditi.kernel_spike", "--trials", "-3"], "-3");
    assert_usage_error(&["check", "no.such_claim"], "unknown claim");
    assert_usage_error(&["audit", "--seed", "x"], "--seed");
    assert_usage_error(&["frobnicate"], "frobnicate");
}

#[test]
fn help_explains_options_and_exits_0() {
    let out = tlcheck(&["simulate", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["--set", "--trials", "--seed", "--json", "default"] {
        assert!(text.contains(word), "help lacks {word}: {text}");
    }
    // Value placeholders name the quantity (`<SEED>`, `<TRIALS>`, `<DIR>`), not a bare letter.
    for command in ["list", "observables", "simulate", "check", "audit", "order-parameter", "formula", "mutate"] {
        let help = String::from_utf8_lossy(&tlcheck(&[command, "--help"]).stdout).to_string();
        for letter in ["<N>", "<K>", "<B>", "<S>", "<ID>"] {
            assert!(!help.contains(letter), "{command} --help has the placeholder {letter}: {help}");
        }
    }
    let help = String::from_utf8_lossy(&tlcheck(&["calibrate", "--help"]).stdout).to_string();
    assert!(help.contains("--seeds <COUNT>") && help.contains("--first-seed <SEED>"), "{help}");
}

#[test]
fn infinite_width_spike_matches_sqrt10_minus_1() {
    let v = json(&tlcheck(&[
        "simulate",
        "lauditi.kernel_spike",
        "--set",
        "gamma=3",
        "--set",
        "width=inf",
        "--set",
        "d=200",
        "--json",
    ]));
    for field in ["command", "version", "observable", "settings", "outputs", "trials", "seed", "elapsed_s"] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    let spike = v["outputs"]["spike"]["mean"].as_f64().unwrap();
    assert!((spike - (10f64.sqrt() - 1.0)).abs() < 1e-6, "spike {spike}");
}

#[test]
fn finetune_loss_has_small_se_and_matches_printed_value() {
    let v = json(&tlcheck(&[
        "simulate",
        "lauditi.finetune_loss",
        "--set",
        "d=1000",
        "--set",
        "nu2=0.5",
        "--set",
        "alpha_s=0.8",
        "--set",
        "chi=1",
        "--trials",
        "200",
        "--json",
    ]));
    let loss = &v["outputs"]["loss"];
    let (mean, se) = (loss["mean"].as_f64().unwrap(), loss["se"].as_f64().unwrap());
    let printed = 0.5 * (1.0 - 2.0 * 0.64 * 0.5 / 1.5 + 0.64 * 0.25 / 2.25);
    assert!(se < 0.003, "se {se}");
    // 4 standard errors (about 0.005, the dominant term) plus 0.3/D. The finite-D bias measured at this
    // point is +0.00051 +- 0.00014 at D = 1000 (20 000 trials), well inside the 4 se.
    assert!((mean - printed).abs() < 4.0 * se + 0.3 / 1000.0, "{mean} vs {printed}");
}

fn write_theorems(dir: &Path, edit: impl Fn(String) -> String) {
    std::fs::create_dir_all(dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems/lauditi2025.chi_increasing.toml");
    std::fs::write(dir.join("claim.toml"), edit(std::fs::read_to_string(src).unwrap())).unwrap();
}

#[test]
fn audit_exit_code_reports_verdict_mismatches_and_bad_files() {
    let base = std::env::temp_dir().join(format!("tlcheck-cli-{}", std::process::id()));
    let ok = base.join("ok");
    write_theorems(&ok, |s| s);
    let out = tlcheck(&["audit", "--theorems", ok.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let claim = &v["claims"][0];
    for field in ["id", "verdict", "expected", "worst", "max_abs_z", "checks"] {
        assert!(claim.get(field).is_some(), "missing {field}");
    }

    let wrong = base.join("wrong");
    write_theorems(&wrong, |s| s.replace("expected = \"holds\"", "expected = \"refuted\""));
    let out = tlcheck(&["audit", "--theorems", wrong.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("DIFFERS FROM RECORDED"));

    let bad = base.join("bad");
    write_theorems(&bad, |s| s.replace("formula = \"sqrt(1 + gamma^2) - 1\"", "formula = \"sqrt(1 + gamma^2 - 1\""));
    let out = tlcheck(&["audit", "--theorems", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("claim.toml") && err.contains("claim.formula"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one-line error: {err}");

    let unknown = base.join("unknown");
    write_theorems(&unknown, |s| s.replace("variable = \"gamma\"", "variable = \"gamma1\""));
    assert_eq!(tlcheck(&["audit", "--theorems", unknown.to_str().unwrap()]).status.code(), Some(2));
    std::fs::remove_dir_all(&base).ok();
}

/// A claim that cannot run (here: its data file is missing) gets the verdict `error` with its message;
/// the audit goes on with the other claims and exits with the error's code (2: bad input).
#[test]
fn a_claim_that_cannot_run_is_an_error_and_the_audit_goes_on() {
    let dir = std::env::temp_dir().join(format!("tlcheck-cli-error-{}", std::process::id()));
    write_theorems(&dir, |s| s);
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems/lauditi2025.real_data_richness.toml");
    let text = std::fs::read_to_string(real).unwrap().replace("../data/digits.csv", "missing.csv");
    std::fs::write(dir.join("real.toml"), text).unwrap();
    let out = tlcheck(&["audit", "--theorems", dir.to_str().unwrap(), "--quick", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let claims = v["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 2);
    let failed = claims.iter().find(|c| c["verdict"] == "error").expect("an error verdict");
    assert!(failed["error"]["message"].as_str().unwrap().contains("missing.csv"), "{failed}");
    assert!(claims.iter().any(|c| c["verdict"] == "holds"), "the other claim is still decided");
    std::fs::remove_dir_all(&dir).ok();
}

/// `calibrate` on a cheap claim: JSON with one object per claim (counts keyed by verdict, per-seed
/// verdicts), exit 0 when every seed reproduces the recorded verdict and 1 when a claim is not stable
/// (here: recorded as refuted, holding at every seed); bad input exits 2.
#[test]
fn calibrate_reports_counts_per_claim_and_exit_codes() {
    let out = tlcheck(&["calibrate", "lauditi2025.chi_increasing", "--seeds", "2", "--quick", "--json"]);
    let v = json(&out);
    let claim = &v["claims"][0];
    assert_eq!(claim["id"], "lauditi2025.chi_increasing");
    assert_eq!(claim["counts"]["holds"], 2);
    for verdict in ["regime-limited", "refuted", "inconclusive"] {
        assert_eq!(claim["counts"][verdict], 0, "{verdict}");
    }
    let seeds: Vec<u64> = claim["seeds"].as_array().unwrap().iter().map(|s| s["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, [2025, 2026], "the first seed defaults to the audit's");
    assert_eq!(claim["seeds"][1]["verdict"], "holds");
    assert_eq!((claim["matching"]["count"].as_u64(), v["passed"].as_bool()), (Some(2), Some(true)));

    let base = std::env::temp_dir().join(format!("tlcheck-cli-calibrate-{}", std::process::id()));
    write_theorems(&base, |s| s.replace("expected = \"holds\"", "expected = \"refuted\""));
    let out = tlcheck(&["calibrate", "--theorems", base.to_str().unwrap(), "--seeds", "2", "--first-seed", "9"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 of 1 claims stable") && text.contains("9..=10"), "{text}");
    std::fs::remove_dir_all(&base).ok();

    assert_usage_error(&["calibrate", "--seeds", "0"], "--seeds");
    assert_usage_error(&["calibrate", "no.such_claim", "--seeds", "2"], "unknown claim");
    assert_usage_error(&["calibrate", "lauditi2025.chi_increasing"], "--seeds");
    assert_usage_error(&["calibrate", "--seeds", "2", "--first-seed", "18446744073709551615"], "overflows");
    assert_usage_error(&["calibrate", "--seeds", "2", "--first-seed", "x"], "--first-seed");
    let help = String::from_utf8_lossy(&tlcheck(&["calibrate", "--help"]).stdout).to_string();
    for word in ["--seeds", "--first-seed", "--quick", "--json", "--theorems", "default: 2025"] {
        assert!(help.contains(word), "help lacks {word}: {help}");
    }
}
