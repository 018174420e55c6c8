//! The HTML evidence report in a real browser: `audit --html` on a few fast claims (the synthetic
//! calibration claims, a search and a simulation with Greek variables) is loaded by headless
//! Chromium, which must log no console error; every claim section must carry its figure (`<svg>`)
//! and its formula (`<math>`). Also `check --svg`, and an unwritable report path (exit code 3).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tlcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlcheck")).args(args).output().expect("binary runs")
}

/// A fresh temporary directory for this test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlcheck-html-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A theorem directory with the synthetic calibration claims and two fast printed ones.
fn theorem_dir(dir: &Path) -> PathBuf {
    let theorems = dir.join("theorems");
    std::fs::create_dir_all(&theorems).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let calibration = std::fs::read_dir(root.join("tests/calibration")).unwrap().map(|e| e.unwrap().path());
    let printed =
        ["lauditi2025.chi_increasing.toml", "lauditi2025.chi_kernel_spike.toml"].map(|f| root.join("theorems").join(f));
    for path in calibration.chain(printed).filter(|p| p.extension().is_some_and(|x| x == "toml")) {
        std::fs::copy(&path, theorems.join(path.file_name().unwrap())).unwrap();
    }
    theorems
}

/// Loads `page` in headless Chromium; returns (DOM, log). Fails when Chromium is missing.
fn chromium(page: &Path, profile: &Path) -> (String, String) {
    let url = format!("file://{}", page.display());
    let profile = format!("--user-data-dir={}", profile.display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
    ];
    let out = Command::new("chromium").args(flags).arg(&profile).arg(&url).output().unwrap_or_else(|e| {
        panic!("headless Chromium is needed to test the HTML report and could not be started ({e}); `.ci/run` installs it (apt-get install -y chromium)")
    });
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_report_loads_in_a_browser_with_a_figure_and_a_formula_per_claim() {
    let dir = temp_dir("browser");
    let theorems = theorem_dir(&dir);
    let page = dir.join("report.html");
    let out =
        tlcheck(&["audit", "--quick", "--theorems", theorems.to_str().unwrap(), "--html", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let (dom, log) = chromium(&page, &dir.join("profile"));
    for bad in ["CONSOLE", "Uncaught"] {
        assert!(!log.contains(bad), "the browser logged an error:\n{log}");
    }
    assert!(dom.contains("<table") && !dom.contains("<script"), "summary table, and no script");
    let sections: Vec<&str> = dom.split("<section").skip(1).collect();
    assert_eq!(sections.len(), 6, "one section per claim");
    for s in sections {
        let id = s.split('"').nth(1).unwrap_or("?");
        assert!(s.contains("<svg"), "{id}: no figure");
        assert!(s.contains("<math"), "{id}: no formula");
        assert!(s.contains("tlcheck check"), "{id}: no command that reproduces it");
    }
    assert!(dom.contains("γ"), "Greek variable names are typeset as letters");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_writes_one_claims_figure_as_svg() {
    let dir = temp_dir("svg");
    let theorems = theorem_dir(&dir);
    let svg = dir.join("fig.svg");
    let args = ["check", "synthetic.partial_offset", "--quick", "--theorems", theorems.to_str().unwrap()];
    let out = tlcheck(&[&args[..], &["--svg", svg.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("claimed") && text.contains("simulated"), "{}", &text[..200]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_report_path_is_a_one_line_runtime_error() {
    let dir = temp_dir("unwritable");
    let theorems = theorem_dir(&dir);
    let bad = dir.join("missing").join("report.html");
    let out = tlcheck(&["audit", "--quick", "--theorems", theorems.to_str().unwrap(), "--html", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("report.html") && out.stdout.is_empty(), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
