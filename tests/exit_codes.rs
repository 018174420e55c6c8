//! The exit codes of the README's table, each produced by the path it documents: 0 success, 1 a
//! computed verdict differs from the recorded one or a formula is refuted, 2 bad input, 3 a runtime
//! failure (I/O). Every failure prints one line on standard error and never a panic message; a closed
//! output pipe ends a command quietly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tlcheck");

fn tlcheck(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("binary runs")
}

/// Runs `args`, asserts the exit code, no panic, and (for failures) a one-line error naming `mentions`.
fn assert_exit(args: &[&str], code: i32, mentions: &str) -> Output {
    let out = tlcheck(args);
    assert_exit_of(&out, args, code, mentions);
    out
}

fn assert_exit_of(out: &Output, what: &[&str], code: i32, mentions: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{what:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what:?} panicked: {stderr}");
    assert!(stderr.contains(mentions), "{what:?}: stderr should mention {mentions:?}: {stderr}");
    if code >= 2 && !what.contains(&"--bogus") {
        assert_eq!(stderr.trim().lines().count(), 1, "{what:?}: one-line error: {stderr}");
    }
}

/// A scratch directory holding the cheap claim `lauditi2025.chi_increasing`, edited by `edit`.
fn theorems(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlcheck-exit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems/lauditi2025.chi_increasing.toml");
    std::fs::write(dir.join("claim.toml"), edit(std::fs::read_to_string(src).unwrap())).unwrap();
    dir
}

#[test]
fn exit_0_on_success() {
    assert_exit(&["list"], 0, "");
    assert_exit(&["check", "lauditi2025.chi_increasing", "--quick"], 0, "");
    assert_exit(
        &["formula", "gamma^2/(sqrt(1 + gamma^2) + 1)", "--claim", "lauditi2025.chi_kernel_spike", "--quick"],
        0,
        "",
    );
}

#[test]
fn exit_1_when_a_verdict_differs_or_a_formula_is_refuted() {
    let wrong = theorems("wrong", |s| s.replace("expected = \"holds\"", "expected = \"refuted\""));
    let dir = wrong.to_str().unwrap();
    let out = assert_exit(&["audit", "--theorems", dir], 1, "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("DIFFERS FROM RECORDED"));
    assert_exit(&["check", "lauditi2025.chi_increasing", "--theorems", dir], 1, "");
    assert_exit(&["formula", "sqrt(1 + gamma^2/2) - 1", "--claim", "lauditi2025.chi_kernel_spike", "--quick"], 1, "");
    std::fs::remove_dir_all(&wrong).ok();
}

#[test]
fn exit_2_on_bad_input() {
    assert_exit(&["check", "no.such_claim"], 2, "unknown claim");
    assert_exit(&["audit", "--bogus"], 2, "--bogus");
    assert_exit(&["audit", "--theorems", "/no/such/folder"], 2, "does not exist");
    assert_exit(&["simulate", "lauditi.kernel_spike", "--set", "gamma=NaN"], 2, "must be finite");
    assert_exit(&["merge", "/no/such/shard.json"], 2, "does not exist");
    let bad = theorems("malformed", |s| s.replace("formula = \"sqrt(1 + gamma^2) - 1\"", "formula = \"sqrt(1 +\""));
    assert_exit(&["list", "--theorems", bad.to_str().unwrap()], 2, "claim.toml");
    std::fs::remove_dir_all(&bad).ok();
    let broken = theorems("toml", |s| s + "\n[[[");
    assert_exit(&["audit", "--theorems", broken.to_str().unwrap()], 2, "claim.toml");
    std::fs::remove_dir_all(&broken).ok();
}

/// Under an address-space limit (3 GB) a size that would not fit is refused before any allocation,
/// with a one-line message and exit code 2, not a panic inside the linear algebra.
#[test]
fn exit_2_when_a_size_would_not_fit_in_memory() {
    let args = ["simulate", "lauditi.finetune_loss", "--set", "d=20000", "--set", "method=dense", "--trials", "1"];
    let out = Command::new("sh")
        .args(["-c", "ulimit -v 3000000 && exec \"$0\" \"$@\"", BIN])
        .args(args)
        .output()
        .expect("sh runs");
    assert_exit_of(&out, &args, 2, "GiB of memory");
}

#[test]
fn exit_3_when_an_output_cannot_be_written() {
    let claim = "lauditi2025.chi_increasing";
    assert_exit(&["check", claim, "--svg", "/no/such/folder/fig.svg"], 3, "/no/such/folder/fig.svg");
    assert_exit(&["check", claim, "--html", "/no/such/folder/report.html"], 3, "/no/such/folder/report.html");
    assert_exit(&["audit", claim, "--html", "/no/such/folder/report.html"], 3, "/no/such/folder/report.html");
}

/// A reader that closes the pipe early ends the command quietly: exit code 0 and no panic message,
/// both with the pipe closed at once and through a shell pipeline into `head -1`.
#[test]
fn a_closed_output_pipe_is_not_a_panic() {
    let calibrate = ["calibrate", "lauditi2025.chi_increasing", "--seeds", "1", "--json"];
    for args in [&["list", "--json"][..], &["observables", "--json"], &["list"], &calibrate] {
        let mut child =
            Command::new(BIN).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("binary runs");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("binary ends");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    for command in ["list --json", "observables --json", "list"] {
        // The subshell reports tlcheck's own exit code on stderr after everything tlcheck wrote there.
        let script = format!("('{BIN}' {command}; echo \"exit $?\" >&2) | head -1 >/dev/null");
        let out = Command::new("sh").args(["-c", &script]).output().expect("sh runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(["exit 0\n", "exit 141\n"].contains(&stderr.as_ref()), "{command} | head -1: {stderr:?}");
    }
}
