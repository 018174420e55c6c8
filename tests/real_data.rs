//! Real data: the CIFAR-10 binary reader on files the test writes in CIFAR's layout, the CSV reader on
//! data/digits.csv and on malformed files, the normalisation, the observable
//! `lauditi.real_transfer` refusing bad parameters, and `tlcheck experiment cifar` end to end on digits.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use tlcheck::outcome::Verdict;

use tlcheck::data::cifar::{LUMA, PIXELS, RECORD};
use tlcheck::data::{Dataset, csv};
use tlcheck::observable::{find, simulate};

const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv");

/// A fresh directory under the system temp dir, unique to this process and `name`.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlcheck-real-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Channel value of pixel j in record r, channel c (0 = R, 1 = G, 2 = B): varied and reproducible.
fn byte(r: usize, c: usize, j: usize) -> u8 {
    ((r * 37 + c * 101 + j * 7) % 256) as u8
}

/// CIFAR-10 records with the given labels.
fn records(labels: &[u8], first: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, &l) in labels.iter().enumerate() {
        out.push(l);
        for c in 0..3 {
            out.extend((0..PIXELS).map(|j| byte(first + k, c, j)));
        }
    }
    out
}

fn input_error(result: tlcheck::Result<Dataset>, mentions: &str) {
    let e = result.expect_err("must be refused");
    assert_eq!(e.exit_code(), 2, "{e}");
    let text = e.to_string();
    assert!(text.contains(mentions), "error should mention {mentions:?}: {text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

#[test]
fn cifar_reader_labels_grey_values_selection_and_normalisation() {
    let dir = temp_dir("cifar");
    std::fs::write(dir.join("data_batch_1.bin"), records(&[0, 1, 9, 0, 1, 3], 0)).unwrap();
    std::fs::write(dir.join("test_batch.bin"), records(&[9, 0], 6)).unwrap();
    let all = Dataset::load(&dir, None).unwrap();
    assert_eq!(all.labels, vec![0, 1, 9, 0, 1, 3, 9, 0]);
    assert_eq!((all.images.nrows(), all.dim()), (8, 1024));
    for (r, j) in [(0, 0), (2, 500), (5, 1023), (7, 77)] {
        let want: f64 = (0..3).map(|c| LUMA[c] * f64::from(byte(r, c, j))).sum();
        assert!((all.images[(r, j)] - want).abs() < 1e-12, "grey value at record {r}, pixel {j}");
    }
    // One file, and reading only some classes.
    let single = Dataset::load(&dir.join("test_batch.bin"), None).unwrap();
    assert_eq!(single.labels, vec![9, 0]);
    let kept = Dataset::load(&dir, Some(&[0, 9])).unwrap();
    assert_eq!(kept.labels, vec![0, 9, 0, 9, 0]);
    assert_eq!(kept.images.row(1), all.images.row(2));

    let (x, y) = all.binary_pair(0, 1).unwrap();
    assert_eq!(y.iter().copied().collect::<Vec<_>>(), vec![1.0, -1.0, 1.0, -1.0, 1.0]);
    let (n, d) = (x.nrows(), x.ncols());
    let mean_sq = (0..n).map(|i| x.row(i).squared_norm_l2()).sum::<f64>() / n as f64;
    assert!((mean_sq - d as f64).abs() < 1e-9 * d as f64, "mean |x|^2 = {mean_sq}, D = {d}");
    for j in [0, 300, 1023] {
        let m = (0..n).map(|i| x[(i, j)]).sum::<f64>() / n as f64;
        assert!(m.abs() < 1e-9, "pixel {j} mean {m}");
    }
    // x = s (raw - m): m the per-pixel mean over the pair's records (0, 1, 3, 4, 7), s from mean |x|^2 = D.
    let rows = [0, 1, 3, 4, 7];
    let m: Vec<f64> = (0..d).map(|j| rows.iter().map(|&r| all.images[(r, j)]).sum::<f64>() / 5.0).collect();
    let ss: f64 =
        rows.iter().flat_map(|&r| (0..d).map(move |j| (r, j))).map(|(r, j)| (all.images[(r, j)] - m[j]).powi(2)).sum();
    let scale = (d as f64 / (ss / 5.0)).sqrt();
    for (i, &r) in rows.iter().enumerate() {
        for j in [0, 1, 511, 1023] {
            let want = scale * (all.images[(r, j)] - m[j]);
            assert!((x[(i, j)] - want).abs() < 1e-9 * (1.0 + want.abs()), "row {i} pixel {j}: {} vs {want}", x[(i, j)]);
        }
    }
    input_error(all.binary_pair(0, 7).map(|_| all.clone()), "no image of class 7");
    input_error(all.binary_pair(1, 1).map(|_| all.clone()), "two different classes");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cifar_reader_refuses_bad_files() {
    let dir = temp_dir("cifar-bad");
    let short = dir.join("short.bin");
    std::fs::write(&short, vec![0u8; RECORD + 1]).unwrap();
    input_error(Dataset::load(&short, None), "not a positive multiple");
    input_error(Dataset::load(&short, None), "short.bin");
    let label = dir.join("label.bin");
    std::fs::write(&label, records(&[3, 10], 0)).unwrap();
    input_error(Dataset::load(&label, None), "record 1 has label 10");
    let empty = dir.join("empty.bin");
    std::fs::write(&empty, []).unwrap();
    input_error(Dataset::load(&empty, None), "not a positive multiple");
    input_error(Dataset::load(&dir.join("missing.bin"), None), "does not exist");
    input_error(Dataset::load(&dir, None), "holds none of the CIFAR-10 files");
    let other = dir.join("images.png");
    std::fs::write(&other, [1u8]).unwrap();
    input_error(Dataset::load(&other, None), "expected a CIFAR-10 directory");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn csv_reader_on_digits_and_on_malformed_files() {
    let digits = Dataset::load(Path::new(DIGITS), None).unwrap();
    assert_eq!((digits.len(), digits.dim()), (1797, 64));
    assert!(digits.labels.iter().all(|&l| l <= 9));
    assert_eq!((0..10).map(|c| digits.count(c)).sum::<usize>(), 1797);
    let (lo, hi) = digits
        .images
        .col_iter()
        .flat_map(|c| c.iter().copied().collect::<Vec<_>>())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    assert_eq!((lo, hi), (0.0, 16.0));
    let (x, y) = digits.binary_pair(0, 9).unwrap();
    assert_eq!(x.nrows(), digits.count(0) + digits.count(9));
    assert_eq!(y.iter().filter(|&&v| v > 0.0).count(), digits.count(0));
    let mean_sq = (0..x.nrows()).map(|i| x.row(i).squared_norm_l2()).sum::<f64>() / x.nrows() as f64;
    assert!((mean_sq - 64.0).abs() < 1e-9);

    let ok = csv::parse("label,a,b\n1,0.5,2\n\n0,1,1e1\n", "t.csv", None).unwrap();
    assert_eq!((ok.labels.clone(), ok.images[(1, 1)]), (vec![1, 0], 10.0));
    for (text, mentions) in [
        ("", "empty file"),
        ("lab,a\n1,2\n", "first column must be `label`"),
        ("label\n1\n", "no pixel columns"),
        ("label,a,b\n1,2\n", "line 2 has 2 fields"),
        ("label,a,b\n1,2,x\n", "line 2, column b: \"x\" is not a finite number"),
        ("label,a,b\n1,2,nan\n", "not a finite number"),
        ("label,a,b\n300,2,3\n", "not an integer in 0..=255"),
        ("label,a,b\n-1,2,3\n", "not an integer"),
    ] {
        input_error(csv::parse(text, "bad.csv", None), mentions);
    }
    let dir = temp_dir("csv");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "label,p0,p1\n0,1,2\n1,3\n").unwrap();
    input_error(Dataset::load(&bad, None), "bad.csv: line 3 has 2 fields");
    let _ = std::fs::remove_dir_all(&dir);
}

fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn observable_refuses_bad_parameters_and_runs_on_digits() {
    let obs = find("lauditi.real_transfer").unwrap();
    for (given, mentions) in [
        (vec![("p2", "0")], "p2"),
        (vec![("phi", "sigmoid")], "phi"),
        (vec![("data", "")], "non-empty path"),
        (vec![("gamma1", "-1")], "gamma1"),
        (vec![("gamma1_ref", "nan")], "gamma1_ref"),
        (vec![("target_minus", "256")], "target_minus"),
        (vec![("eta0", "2")], "eta0"),
    ] {
        let e = obs.resolve(&set(&given)).expect_err("bad parameter");
        assert!(e.to_string().contains(mentions), "{e}");
    }
    for (given, mentions) in [
        (vec![("data", "no/such/file.csv")], "does not exist"),
        (vec![("target_minus", "12")], "no image of class 12"),
        (vec![("source_minus", "0")], "two different classes"),
        (vec![("p2", "400")], "too few images"),
    ] {
        let params = obs.resolve(&set(&given)).unwrap();
        let e = simulate(obs, &params, 2, 1, None).expect_err("refused in prepare");
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains(mentions), "{e}");
    }
    // Small run: outputs are finite, gain = loss_ref - loss per trial, and gamma1 = gamma1_ref gives gain 0.
    let small = [("n", "32"), ("t1", "2"), ("t2", "2"), ("p1", "30"), ("p2", "10"), ("test", "50")];
    let params = obs.resolve(&set(&small)).unwrap();
    let sample = simulate(obs, &params, 3, 5, None).unwrap();
    let (loss, loss_ref, gain) =
        (sample.column("loss").unwrap(), sample.column("loss_ref").unwrap(), sample.column("gain").unwrap());
    for t in 0..3 {
        assert!(loss[t] > 0.0 && loss[t] < 10.0, "loss {}", loss[t]);
        assert!((gain[t] - (loss_ref[t] - loss[t])).abs() < 1e-12);
    }
    let mut same = small.to_vec();
    same.push(("gamma1", "0.1"));
    let params = obs.resolve(&set(&same)).unwrap();
    let sample = simulate(obs, &params, 2, 5, None).unwrap();
    assert!(sample.column("gain").unwrap().iter().all(|g| *g == 0.0), "common random numbers");
    // Identical results for any thread count are the executor's job; here: same seed, same numbers.
    let again = simulate(obs, &obs.resolve(&set(&small)).unwrap(), 3, 5, None).unwrap();
    assert_eq!(again.column("loss").unwrap(), loss);
}

const SMALL: [&str; 12] =
    ["--grid", "p2=5,15", "--grid", "gamma1=0.5,4", "--trials", "3", "--set", "n=32", "--set", "t1=2", "--set", "t2=2"];

#[test]
fn experiment_cifar_runs_end_to_end_on_digits() {
    let dir = temp_dir("experiment");
    let svg = dir.join("curves.svg");
    let mut args: Vec<String> = ["tlcheck", "experiment", "cifar", "--data", DIGITS].map(String::from).to_vec();
    args.extend(SMALL.map(String::from));
    args.extend(["--svg".to_string(), svg.display().to_string()]);
    assert_eq!(tlcheck::cli::run_args(args), 0);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let code = |extra: &[&str]| {
        let mut a: Vec<String> = ["tlcheck", "experiment", "cifar"].map(String::from).to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        tlcheck::cli::run_args(a)
    };
    assert_eq!(code(&["--data", "no/such/dir"]), 2);
    assert_eq!(code(&["--data", DIGITS, "--grid", "p2=5,x"]), 2);
    assert_eq!(code(&["--data", DIGITS, "--grid", "p2=5:10:3"]), 2);
    assert_eq!(code(&["--data", DIGITS, "--grid", "gamma1=0"]), 2);
    assert_eq!(code(&["--data", DIGITS, "--set", "target_plus=300"]), 2);
    assert_eq!(code(&["--data", DIGITS, "--set", "data=x"]), 2);
    assert_eq!(code(&["--data", DIGITS, "--trials", "1"]), 2);
    assert_eq!(code(&["--help"]), 0);

    // --json through the binary (stdout is the document).
    let out = Command::new(env!("CARGO_BIN_EXE_tlcheck"))
        .args(["experiment", "cifar", "--data", DIGITS, "--json"])
        .args(SMALL)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["settings"]["grid"]["p2"], serde_json::json!([5, 15]));
    assert_eq!((doc["settings"]["n"].as_u64(), doc["settings"]["t1"].as_f64()), (Some(32), Some(2.0)));
    let points = doc["points"].as_array().unwrap();
    assert_eq!(points.len(), 4, "2 gamma1 x 2 P2");
    for p in points {
        assert!(p["at"]["p2"].is_u64() && p["at"]["gamma1"].is_f64(), "{p}");
        assert_eq!(p["loss"]["trials"], 3);
        assert!([&p["loss"]["mean"], &p["loss"]["se"]].iter().all(|v| v.as_f64().is_some_and(f64::is_finite)));
    }
    let help = Command::new(env!("CARGO_BIN_EXE_tlcheck")).args(["experiment", "cifar", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for option in ["--data", "--grid", "--set", "gamma2", "phi", "--trials", "--seed", "--json", "--svg"] {
        assert!(help.contains(option), "--help lacks {option}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Checker power for the real-data claim: on the ReLU half of its grid (where it holds), the opposite
/// statements "the loss rises with gamma1" and "the gap widens with P2" are refuted by the same checks.
#[test]
fn opposite_real_data_claim_is_refuted_for_relu() {
    let mut f = common::file("lauditi2025.real_data_richness");
    f.claim.relation = tlcheck::spec::Relation::Increasing;
    for check in &mut f.checks {
        check.grid_mut().expect("a grid").insert("phi".into(), vec![toml::Value::String("relu".into())]);
    }
    let report = common::run(f);
    assert_eq!(report.verdict, Verdict::Refuted, "{:?}", common::evidence(&report));
}

/// A relative data path in a theorem file is relative to the file, whatever the working directory.
#[test]
fn theorem_file_data_paths_resolve_relative_to_the_file() {
    let claims = common::claims();
    let claim = claims.iter().find(|c| c.id() == "lauditi2025.real_data_richness").expect("claim");
    let mut file = claim.file.clone();
    let (_, [settings, _]) = file.checks[0].settings_mut().expect("a simulated check");
    let data = settings["data"].as_str().expect("a path").to_string();
    let expected = common::theorem_dir().join("../data/digits.csv");
    assert_eq!(std::path::Path::new(&data), expected);
    assert!(expected.is_file(), "{}", expected.display());
}
