//! Sharded runs through GNU parallel (installed by `.ci/run`): `audit`, `calibrate`, `phase tahir`,
//! `phase lauditi` and `optimize richness` (both stages) with `--shard K/N`, merged with `tlcheck
//! merge`, equal the unsharded output field for field except elapsed times; a missing, duplicated or
//! foreign shard is refused with exit code 2.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tlcheck");

/// Fast claims of several methods (search, simulation with and without extrapolation, regimes).
const CLAIMS: [&str; 6] = [
    "lauditi2025.chi_increasing",
    "lauditi2025.chi_kernel_spike",
    "lauditi2025.finetune_population",
    "lauditi2025.signal_c2_helps",
    "tahir2025.c4_ridge",
    "tahir2025.c8_distance_vs_transfer",
];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlcheck-shards-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tlcheck(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("binary runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// Runs `tlcheck ARGS --shard {}/N > DIR/shard-{}.json` for every shard through GNU parallel.
fn parallel_shards(dir: &Path, args: &[&str], n: usize) -> Vec<String> {
    let status = Command::new("parallel").arg("--version").output();
    assert!(
        status.is_ok_and(|s| s.status.success()),
        "GNU parallel is missing: `.ci/run` installs it (apt-get install -y parallel)"
    );
    let command = format!("{BIN} {} --shard {{}}/{n} > {}/shard-{{}}.json", args.join(" "), dir.display());
    let shards: Vec<String> = (1..=n).map(|k| k.to_string()).collect();
    let out = Command::new("parallel").arg(&command).arg(":::").args(&shards).output().expect("parallel runs");
    assert!(out.status.success(), "parallel: {}", String::from_utf8_lossy(&out.stderr));
    (1..=n).map(|k| dir.join(format!("shard-{k}.json")).display().to_string()).collect()
}

/// The JSON without its elapsed times.
fn without_times(text: &str) -> serde_json::Value {
    fn strip(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                m.into_iter().filter(|(k, _)| k != "elapsed_s").map(|(k, x)| (k, strip(x))).collect()
            }
            serde_json::Value::Array(a) => a.into_iter().map(strip).collect(),
            other => other,
        }
    }
    strip(serde_json::from_str(text).expect("valid JSON"))
}

fn merged_equals_unsharded(name: &str, args: &[&str], n: usize) -> Vec<String> {
    let (code, full, err) = tlcheck(&[args, &["--json"]].concat());
    assert_eq!(code, 0, "{err}");
    let files = parallel_shards(&scratch(name), args, n);
    let merge: Vec<&str> = ["merge", "--json"].into_iter().chain(files.iter().map(String::as_str)).collect();
    let (code, merged, err) = tlcheck(&merge);
    assert_eq!(code, 0, "{err}");
    assert_eq!(without_times(&merged), without_times(&full), "{name}: merged shards differ from the unsharded run");
    files
}

#[test]
fn sharded_audit_merges_to_the_unsharded_audit() {
    let args: Vec<&str> = ["audit", "--quick"].into_iter().chain(CLAIMS).collect();
    let files = merged_equals_unsharded("audit", &args, 3);

    let (code, _, err) = tlcheck(&["merge", &files[0], &files[2]]);
    assert_eq!(code, 2);
    assert!(err.contains("shards missing: 2/3"), "{err}");
    let (code, _, err) = tlcheck(&["merge", &files[0], &files[0], &files[1], &files[2]]);
    assert_eq!(code, 2);
    assert!(err.contains("shard 1/3 given twice"), "{err}");
    let other = scratch("audit-seed").join("shard-2.json");
    let (code, shard, _) = tlcheck(&[&args[..], &["--seed", "7", "--shard", "2/3"]].concat());
    assert_eq!(code, 0);
    std::fs::write(&other, shard).unwrap();
    let (code, _, err) = tlcheck(&["merge", &files[0], other.to_str().unwrap(), &files[2]]);
    assert_eq!(code, 2);
    assert!(err.contains("different runs") && err.contains("settings"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// An HTML report without its timings and command line (the lines that differ between runs).
fn html_without_times(text: &str) -> String {
    let keep = |l: &&str| !l.contains("claims decided in") && !l.starts_with("<p>Command:");
    let untimed = |l: &str| l.split("<td class=\"num\">").next().unwrap_or_default().to_string();
    text.lines().filter(keep).map(untimed).collect::<Vec<_>>().join("\n")
}

#[test]
fn sharded_audit_merges_to_the_unsharded_html_report() {
    let dir = scratch("html");
    let (full, merged) = (dir.join("full.html"), dir.join("merged.html"));
    let args: Vec<&str> = ["audit", "--quick"].into_iter().chain(CLAIMS[..3].iter().copied()).collect();
    let (code, _, err) = tlcheck(&[&args[..], &["--html", full.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    let files = parallel_shards(&dir, &args, 2);
    let (code, _, err) = tlcheck(&["merge", "--html", merged.to_str().unwrap(), &files[0], &files[1]]);
    assert_eq!(code, 0, "{err}");
    let read = |p: &Path| html_without_times(&std::fs::read_to_string(p).unwrap());
    assert_eq!(read(&merged), read(&full), "merged HTML report differs from the unsharded one");
    assert!(read(&merged).contains("<section id="));
}

#[test]
fn sharded_calibration_merges_to_the_unsharded_calibration() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/calibration");
    let args = ["calibrate", "--theorems", dir.to_str().unwrap(), "--seeds", "4", "--quick"];
    merged_equals_unsharded("calibrate", &args, 3);
}

/// A simulated `phase tahir` grid (rows = gamma values, 4 rows over 3 shards: unequal shares) merges
/// to the unsharded JSON, and `merge --csv --svg` writes the unsharded run's files.
#[test]
fn sharded_phase_tahir_merges_to_the_unsharded_diagram() {
    let args = [
        "phase",
        "tahir",
        "--procedure",
        "lt",
        "--grid",
        "theta=0.3:1.5:4",
        "--grid",
        "gamma=0.5,0.9,1.5,1.9",
        "--set",
        "sigma=0.5",
        "--simulate",
        "--set",
        "d=20",
        "--trials",
        "4",
    ];
    let files = merged_equals_unsharded("phase-tahir", &args, 3);
    let dir = scratch("phase-tahir-files");
    let (csv, merged_csv, svg) = (dir.join("full.csv"), dir.join("merged.csv"), dir.join("merged.svg"));
    let (code, _, err) = tlcheck(&[&args[..], &["--csv", csv.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    let (merged_csv_path, svg_path) = (merged_csv.to_str().unwrap(), svg.to_str().unwrap());
    let merge = ["merge", &files[0], &files[1], &files[2], "--csv", merged_csv_path, "--svg", svg_path];
    let (code, text, err) = tlcheck(&merge);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("closed form") && text.contains("simulated"), "{text}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), std::fs::read_to_string(&merged_csv).unwrap());
    assert!(std::fs::read_to_string(&svg).unwrap().contains("simulated T"));
    // A shard of another run (another seed) and whole-run outputs on a shard are refused.
    let other = dir.join("shard-2.json");
    let (code, shard, _) = tlcheck(&[&args[..], &["--seed", "7", "--shard", "2/3"]].concat());
    assert_eq!(code, 0);
    std::fs::write(&other, shard).unwrap();
    let (code, _, err) = tlcheck(&["merge", &files[0], other.to_str().unwrap(), &files[2]]);
    assert_eq!(code, 2);
    assert!(err.contains("different runs") && err.trim().lines().count() == 1, "{err}");
    let (code, _, err) = tlcheck(&["merge", &files[0], &files[2]]);
    assert!(code == 2 && err.contains("shards missing: 2/3"), "{err}");
    let (code, _, err) = tlcheck(&[&args[..], &["--json", "--shard", "1/3"]].concat());
    assert!(code == 2 && err.contains("tlcheck merge"), "{err}");
}

/// `phase lauditi` with simulated overlay and both stages of `optimize richness` merge to their
/// unsharded JSON (sweep runs dealt round-robin over rows of nu2 x gamma1, and over gamma2).
#[test]
fn sharded_lauditi_phase_and_richness_sweeps_merge_to_the_unsharded_runs() {
    let phase = [
        "phase",
        "lauditi",
        "--grid",
        "nu2=0.2,1.4",
        "--grid",
        "gamma1=0.1:10:3",
        "--simulate",
        "--set",
        "d=40",
        "--trials",
        "4",
    ];
    merged_equals_unsharded("phase-lauditi", &phase, 2);
    let source = [
        "optimize",
        "richness",
        "--simulate",
        "--grid",
        "gamma1=0.3:30:4",
        "--grid",
        "nu2=0.3,0.6",
        "--set",
        "d=40",
        "--trials",
        "6",
    ];
    merged_equals_unsharded("richness-source", &source, 3);
    let target = [
        "optimize",
        "richness",
        "--stage",
        "target",
        "--grid",
        "gamma2=0.25:2:3",
        "--set",
        "d=8",
        "--set",
        "n=20",
        "--set",
        "test=20",
        "--set",
        "t1=1",
        "--set",
        "t2=1",
        "--trials",
        "3",
    ];
    merged_equals_unsharded("richness-target", &target, 3);
}
