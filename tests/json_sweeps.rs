//! One vocabulary for the sweep commands (`phase lauditi`, `phase tahir`, `optimize richness` both
//! stages, `experiment cifar`, `plot joint-rich`): one RANGE syntax in `--grid NAME=RANGE`, fixed
//! parameters only through `--set NAME=VALUE`, one-line errors with exit 2, and `--json` documents
//! with the shared schema (command, version, seed, settings, elapsed_s, points/rows with `at`).
//! Every run is small (a few seconds at most).

mod common;

use common::{json, tlcheck, tmp};
use serde_json::Value;

const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv");

/// The shared top-level fields; `seeded` = the command drew random numbers.
fn assert_envelope(v: &Value, command: &str, seeded: bool) {
    assert_eq!(v["command"], command, "{v}");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["settings"].is_object(), "{command}: settings is an object");
    assert!(v["elapsed_s"].as_f64().is_some_and(|t| t >= 0.0), "{command}: elapsed_s");
    assert_eq!(v["seed"].is_u64(), seeded, "{command}: seed {}", v["seed"]);
    assert!(!v.to_string().contains("NaN"), "{command}: NaN in JSON");
}

/// Every entry of `list` has an `at` object holding exactly `names`, with numbers.
fn assert_at(list: &Value, names: &[&str]) -> usize {
    let list = list.as_array().expect("an array");
    for p in list {
        let at = p["at"].as_object().unwrap_or_else(|| panic!("no `at` object in {p}"));
        assert_eq!(at.keys().map(String::as_str).collect::<Vec<_>>().len(), names.len(), "{p}");
        assert!(names.iter().all(|n| at[*n].is_number()), "{p}");
    }
    list.len()
}

/// A bad RANGE or an unknown --set name: exit 2 with one line naming the option, nothing on stdout.
fn assert_refused(args: &[&str], mentions: &[&str]) {
    let out = tlcheck(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: not one line: {stderr}");
    assert!(mentions.iter().all(|m| stderr.contains(m)), "{args:?}: {stderr} lacks {mentions:?}");
    assert!(out.stdout.is_empty(), "{args:?}");
}

#[test]
fn bad_ranges_exit_2_with_one_line() {
    let cases: [(&[&str], &str); 6] = [
        (&["phase", "lauditi"], "nu2=1:0.1:5"),
        (&["phase", "tahir", "--procedure", "lt"], "gamma=0.1:1:x"),
        (&["optimize", "richness"], "gamma1=1:2"),
        (&["optimize", "richness", "--stage", "target"], "gamma2=0.5,,1"),
        (&["plot", "joint-rich"], "gamma2=1,1"),
        (&["experiment", "cifar", "--data", DIGITS], "p2=5:x:3"),
    ];
    for (command, range) in cases {
        assert_refused(&[command, &["--grid", range][..]].concat(), &["--grid", range]);
    }
    assert_refused(&["phase", "lauditi", "--grid", "foo=1:2:3"], &["unknown axis `foo`", "accepted: nu2"]);
}

#[test]
fn unknown_set_names_exit_2_listing_the_accepted_ones() {
    let cases: [(&[&str], &str); 6] = [
        (&["phase", "lauditi"], "alpha_s"),
        (&["phase", "tahir", "--procedure", "lt"], "sigma"),
        (&["optimize", "richness"], "nu1"),
        (&["optimize", "richness", "--stage", "target"], "gamma1"),
        (&["plot", "joint-rich"], "phi"),
        (&["experiment", "cifar", "--data", DIGITS], "gamma2"),
    ];
    for (command, accepted) in cases {
        assert_refused(&[command, &["--set", "bogus=1"][..]].concat(), &["--set bogus", "accepted:", accepted]);
    }
    // The help lists the accepted names with meaning, domain and default.
    let help = tlcheck(&["phase", "lauditi", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for text in
        ["--set names", "alpha_s", "default 0.5", "--grid <NAME=LO:HI:N|V1,V2,..>", "--seed <SEED>", "--svg <FILE>"]
    {
        assert!(help.contains(text), "phase lauditi --help lacks {text:?}");
    }
}

#[test]
fn phase_lauditi_csv_without_svg_and_json() {
    let csv = tmp("json-sweeps", "lauditi.csv");
    let out = tlcheck(&[
        "phase",
        "lauditi",
        "--grid",
        "nu2=0.2:1.8:5",
        "--grid",
        "gamma1=0.1:10:3",
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().next(), Some("source,nu2,gamma1,gain,se"));
    assert_eq!(rows.lines().filter(|l| l.starts_with("closed_form,")).count(), 15);
    let v = json(&tlcheck(&[
        "phase",
        "lauditi",
        "--grid",
        "alpha_s=0.1,0.9",
        "--grid",
        "gamma1=0.1:10:3",
        "--set",
        "nu2=0.4",
        "--simulate",
        "--set",
        "d=50",
        "--trials",
        "4",
        "--json",
    ]));
    assert_envelope(&v, "phase lauditi", true);
    assert_eq!(assert_at(&v["points"], &["alpha_s", "gamma1"]), 6);
    let s = &v["settings"];
    assert!(s["nu1"] == "inf" && s["nu2"] == 0.4 && s["d"] == 50 && s["trials"] == 4, "{s}");
    assert!(s.get("alpha_s").is_none() && s.get("gamma1").is_none(), "axes are not fixed settings: {s}");
    let p = &v["points"][0];
    assert!(p["gain"].is_f64() && p["simulated"]["trials"] == 4, "{p}");
    assert!(v["zero_contour"].is_array() && v["summary"]["positive"].is_u64());
}

#[test]
fn phase_tahir_csv_without_svg_and_json() {
    let csv = tmp("json-sweeps", "tahir.csv");
    let out =
        tlcheck(&["phase", "tahir", "--procedure", "ft", "--grid", "gamma=0.5,1.5", "--csv", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 1 + 20, "header + 10 thetas x 2 gammas");
    let v = json(&tlcheck(&[
        "phase",
        "tahir",
        "--procedure",
        "lt",
        "--grid",
        "theta=0.3:1.2:3",
        "--grid",
        "gamma=0.5,1.5",
        "--set",
        "sigma=0.5",
        "--simulate",
        "--set",
        "d=20",
        "--trials",
        "3",
        "--json",
    ]));
    assert_envelope(&v, "phase tahir", true);
    assert_eq!(assert_at(&v["points"], &["theta", "gamma"]), 6);
    assert!(v["settings"]["d"] == 20 && v["settings"]["procedure"] == "lt", "{}", v["settings"]);
    assert!(v["points"].as_array().unwrap().iter().all(|p| p["simulated"]["trials"] == 3 && p["closed_form"].is_f64()));
    // Without --simulate: no seed, no simulated estimates; T diverges at gamma = 1 with noise: "inf".
    let v = json(&tlcheck(&[
        "phase",
        "tahir",
        "--procedure",
        "lt",
        "--grid",
        "theta=1",
        "--grid",
        "gamma=1",
        "--set",
        "sigma=0.5",
        "--json",
    ]));
    assert_envelope(&v, "phase tahir", false);
    assert!(v["points"][0]["closed_form"].is_string() || v["points"][0]["closed_form"].is_f64());
}

#[test]
fn optimize_richness_json_of_both_stages() {
    let v = json(&tlcheck(&["optimize", "richness", "--grid", "nu2=0.2:1:3", "--set", "alpha_s=0.8", "--json"]));
    assert_envelope(&v, "optimize richness", false);
    assert_eq!(assert_at(&v["rows"], &["nu2"]), 3);
    assert!(v["settings"]["nu1"] == "inf" && v["settings"]["grid"]["gamma1"]["n"] == 61, "{}", v["settings"]);
    // gamma1* is a number, "inf" when unbounded, null only when the loss is flat in gamma1.
    let star = |r: &Value| r["gamma1_star"] == "inf" || r["gamma1_star"].is_f64() || r["location"] == "flat";
    assert!(v["rows"].as_array().unwrap().iter().all(star), "{}", v["rows"]);
    let v = json(&tlcheck(&[
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
        "--json",
    ]));
    assert_envelope(&v, "optimize richness", true);
    assert_eq!(assert_at(&v["points"], &["gamma2"]), 3);
    assert!(v["settings"]["d"] == 8 && v["settings"]["stage"] == "target" && v["settings"]["trials"] == 3);
    assert!(v["points"][0]["target_loss"]["trials"] == 3 && v["loss_gamma2_zero"]["trials"] == 3);
}

#[test]
fn experiment_and_plot_json() {
    let v = json(&tlcheck(&[
        "experiment",
        "cifar",
        "--data",
        DIGITS,
        "--grid",
        "p2=5,10",
        "--grid",
        "gamma1=1",
        "--set",
        "n=16",
        "--set",
        "t1=1",
        "--set",
        "t2=1",
        "--set",
        "p1=20",
        "--trials",
        "2",
        "--json",
    ]));
    assert_envelope(&v, "experiment cifar", true);
    assert_eq!(assert_at(&v["points"], &["gamma1", "p2"]), 2);
    let s = &v["settings"];
    // The settings the text output shows (every parameter at the point but gamma1 and p2).
    for name in ["data", "phi", "gamma2", "p1", "n", "t1", "t2", "solver", "source_plus", "target_minus"] {
        assert!(s.get(name).is_some(), "settings lack {name}: {s}");
    }
    assert!(s["n"] == 16 && s["p1"] == 20 && s["trials"] == 2, "{s}");
    let v = json(&tlcheck(&[
        "plot",
        "joint-rich",
        "--grid",
        "gamma2=0,1",
        "--set",
        "d=8",
        "--set",
        "n=20",
        "--set",
        "test=20",
        "--set",
        "points=3",
        "--set",
        "t1=1",
        "--set",
        "t2=1",
        "--trials",
        "2",
        "--json",
    ]));
    assert_envelope(&v, "plot joint-rich", true);
    assert_eq!(assert_at(&v["points"], &["gamma2", "t"]), 6);
    assert!(v["settings"]["points"] == 3 && v["points"][0]["forgetting"]["trials"] == 2, "{v}");
}
