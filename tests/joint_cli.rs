//! Joint-rich command line (issue 7, part 7): `optimize richness --stage target` (gamma2* with the
//! gamma1* optimiser) against a brute-force grid of `observable::simulate` at the same seed, and
//! `plot joint-rich` (SVG content, JSON shape, common random numbers, agreement with the observable);
//! bad input exits 2 with a message. Small sizes (d = 16, population 200) keep it to a few seconds.

mod common;

use common::{json, tlcheck, tmp};

use tlcheck::observable::{find, simulate};
use tlcheck::stats::Estimate;

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

/// The plot's points as curves: recorded times and, per gamma2 (in order), {mean, se} arrays over times.
fn curves(v: &serde_json::Value) -> (Vec<f64>, Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let points = v["points"].as_array().expect("points");
    let mut gammas: Vec<f64> = Vec::new();
    let mut times: Vec<f64> = Vec::new();
    for p in points {
        let (g, t) = (p["at"]["gamma2"].as_f64().unwrap(), p["at"]["t"].as_f64().unwrap());
        if !gammas.contains(&g) {
            gammas.push(g);
        }
        if !times.contains(&t) {
            times.push(t);
        }
    }
    let band = |name: &str| -> Vec<serde_json::Value> {
        gammas
            .iter()
            .map(|g| {
                let at: Vec<&serde_json::Value> = points.iter().filter(|p| p["at"]["gamma2"] == *g).collect();
                serde_json::json!({"mean": at.iter().map(|p| p[name]["mean"].clone()).collect::<Vec<_>>(),
                                   "se": at.iter().map(|p| p[name]["se"].clone()).collect::<Vec<_>>()})
            })
            .collect()
    };
    (times, band("target_loss"), band("forgetting"))
}

const SMALL: [(&str, &str); 3] = [("n", "200"), ("test", "100"), ("phi", "relu")];

/// The command line's gamma2* is the minimum of a direct grid of simulated means at the same seed:
/// the same means at every grid point (same trial seeds), an unbounded optimum iff the grid minimum is
/// at the top end, otherwise gamma2* next to the grid minimum and the grid minimum inside the bootstrap
/// interval widened by one grid spacing (the interval is of the refined vertex, the grid is coarse).
/// At these seeds the two cases cover both an interior and an unbounded optimum.
#[test]
fn stage_target_agrees_with_a_brute_force_grid() {
    let (trials, seed) = (12usize, 7u64);
    let mut seen = Vec::new();
    for (objective, d) in [("target_loss", "32"), ("joint", "16")] {
        let mut args = vec!["optimize", "richness", "--stage", "target", "--objective", objective];
        let mut sets: Vec<String> = SMALL.iter().map(|(k, v)| format!("{k}={v}")).collect();
        sets.push(format!("d={d}"));
        for s in &sets {
            args.extend(["--set", s.as_str()]);
        }
        args.extend(["--grid", "gamma2=0.125:4:6", "--trials", "12", "--seed", "7", "--json"]);
        let svg = tmp("joint-cli", &format!("gamma2-{objective}.svg"));
        args.extend(["--svg", svg.to_str().unwrap()]);
        let v = json(&tlcheck(&args));
        for field in
            ["gamma2_star", "bounded", "location", "loss_at_star", "loss_gamma2_zero", "ci", "points", "settings"]
        {
            assert!(v.get(field).is_some(), "missing {field}: {v}");
        }
        assert_eq!(v["settings"]["objective"], objective);
        assert_eq!(v["settings"]["d"], d.parse::<u64>().unwrap(), "integers are JSON integers");
        let points = v["points"].as_array().unwrap();
        let grid: Vec<f64> = points.iter().map(|p| p["at"]["gamma2"].as_f64().unwrap()).collect();
        let cli_mean: Vec<f64> = points.iter().map(|p| p[objective]["mean"].as_f64().unwrap()).collect();
        assert_eq!(grid.len(), 6);
        let obs = find("lauditi.joint_rich").unwrap();
        let brute: Vec<f64> = grid
            .iter()
            .map(|g| {
                let mut given: Vec<(String, String)> =
                    SMALL.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                given.push(("d".into(), d.into()));
                given.push(("gamma2".into(), format!("{g:e}")));
                let params = obs.resolve(&given).unwrap();
                simulate(obs, &params, trials, seed, None).unwrap().estimate(objective).unwrap().mean
            })
            .collect();
        for (a, b) in cli_mean.iter().zip(&brute) {
            assert!((a - b).abs() <= 1e-12 * b.abs(), "{objective}: command line {a} vs brute force {b}");
        }
        let i = (0..brute.len()).fold(0, |best, k| if brute[k] < brute[best] { k } else { best });
        let star = v["gamma2_star"].as_f64();
        seen.push(v["location"].clone());
        let text = std::fs::read_to_string(&svg).unwrap();
        for label in ["log10 gamma2", "(mean +- se)", "gamma2 = 0 (features frozen", objective] {
            assert!(text.contains(label), "{objective}: SVG lacks {label:?}");
        }
        let marker = if star.is_some() { "gamma2* = " } else { "unbounded" };
        assert!(text.contains(marker), "{objective}: SVG lacks {marker:?}");
        if i + 1 == grid.len() {
            assert!(
                v["gamma2_star"] == "inf" && v["bounded"] == false && v["location"] == "unbounded",
                "{objective}: {v}"
            );
        } else if i == 0 {
            assert_eq!(v["location"], "lazy", "{objective}: {v}");
        } else {
            let g = star.unwrap_or_else(|| panic!("{objective}: interior grid minimum but {v}"));
            assert!(
                grid[i - 1] <= g && g <= grid[i + 1],
                "{objective}: gamma2* {g} not next to grid minimum {}",
                grid[i]
            );
            let lo = v["ci"]["lo"].as_f64().unwrap_or(0.0);
            let hi = v["ci"]["hi"].as_f64().unwrap_or(f64::INFINITY);
            assert!(
                lo <= grid[i + 1] && grid[i - 1] <= hi,
                "{objective}: grid minimum {} outside CI {}",
                grid[i],
                v["ci"]
            );
            // The refined minimum lies below the grid minimum by less than the rise to its neighbours.
            let at = v["loss_at_star"].as_f64().unwrap();
            let rise = (brute[i - 1] - brute[i]).max(brute[i + 1] - brute[i]);
            assert!(at <= brute[i] + 1e-12 && at >= brute[i] - rise, "{objective}: loss at gamma2* {at}");
        }
    }
    assert_eq!(seen, ["interior", "unbounded"], "the cases no longer cover both branches");
}

#[test]
fn plot_joint_rich_writes_both_panels_and_json() {
    let svg = tmp("joint-cli", "joint.svg");
    let args = [
        "plot",
        "joint-rich",
        "--svg",
        svg.to_str().unwrap(),
        "--grid",
        "gamma2=0,1,2",
        "--trials",
        "4",
        "--set",
        "points=9",
        "--set",
        "d=16",
        "--set",
        "n=100",
        "--set",
        "test=50",
        "--set",
        "t_early=1.25",
        "--seed",
        "3",
        "--json",
    ];
    let v = json(&tlcheck(&args));
    let text = std::fs::read_to_string(&svg).unwrap();
    for label in [
        "stage-2 time t",
        "target test MSE",
        "source test MSE - its value after stage 1",
        "target loss:",
        "forgetting:",
        "gamma2 = 0",
        "gamma2 = 1",
        "gamma2 = 2",
    ] {
        assert!(text.contains(label), "SVG lacks {label:?}");
    }
    let (times, target, forgetting) = curves(&v);
    assert_eq!(times.len(), 9);
    assert_eq!((times[0], times[8]), (0.0, 10.0));
    assert!(v["settings"].get("gamma2").is_none() && v["settings"]["d"] == 16 && v["settings"]["points"] == 9);
    assert_eq!((target.len(), forgetting.len()), (3, 3));
    let start = floats(&target[0]["mean"])[0];
    for k in 0..3 {
        let (m, f) = (floats(&target[k]["mean"]), floats(&forgetting[k]["mean"]));
        assert_eq!((m.len(), floats(&target[k]["se"]).len()), (9, 9));
        // Common random numbers: every gamma2 starts from the same stage-1 network.
        assert_eq!(m[0], start, "gamma2 index {k} starts elsewhere");
        assert_eq!(f[0], 0.0, "forgetting is measured from the end of stage 1");
    }
    // The same trial seeds and recording times as the observable: its end-of-stage-2 means at gamma2 = 1.
    let obs = find("lauditi.joint_rich").unwrap();
    let given: Vec<(String, String)> =
        [("d", "16"), ("n", "100"), ("test", "50"), ("t_early", "1.25"), ("gamma2", "1")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let sample = simulate(obs, &obs.resolve(&given).unwrap(), 4, 3, None).unwrap();
    let end = |b: &serde_json::Value| floats(&b["mean"])[8];
    let target_loss = sample.estimate("target_loss").unwrap().mean;
    let forgetting_obs = sample.estimate("forgetting").unwrap().mean;
    assert!((end(&target[1]) - target_loss).abs() < 1e-9, "{} vs {target_loss}", end(&target[1]));
    assert!((end(&forgetting[1]) - forgetting_obs).abs() < 1e-9);
    // The plot is the executor on the observable's curves: at points = 9 and t_early = t2 (the plot's
    // recording times) every mean and se equals the observable's (to the ulp that serde_json's parser,
    // without float_roundtrip, may lose on reading the printed shortest decimal).
    let mut exact = given.clone();
    exact.retain(|(k, _)| k != "t_early");
    exact.extend([("points".to_string(), "9".to_string()), ("t_early".to_string(), "10".to_string())]);
    let sample = simulate(obs, &obs.resolve(&exact).unwrap(), 4, 3, None).unwrap();
    assert_eq!(sample.curve("time").unwrap(), vec![times.clone(); 4]);
    for (name, band) in [("target_loss", &target[1]), ("forgetting", &forgetting[1])] {
        let curves = sample.curve(name).unwrap();
        let est: Vec<Estimate> =
            (0..9).map(|j| Estimate::from_samples(&curves.iter().map(|c| c[j]).collect::<Vec<_>>())).collect();
        let ulp = |a: &[f64], b: Vec<f64>| a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 2.0 * f64::EPSILON * y.abs());
        assert!(ulp(&floats(&band["mean"]), est.iter().map(|e| e.mean).collect()), "{name}: {band}");
        assert!(ulp(&floats(&band["se"]), est.iter().map(|e| e.se).collect()), "{name}: {band}");
    }
    // Results do not depend on the number of worker threads.
    let one = json(&tlcheck(&[&["--threads", "1"][..], &args[..]].concat()));
    assert_eq!(one["points"], v["points"]);
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let svg = tmp("joint-cli", "bad.svg");
    let svg = svg.to_str().unwrap();
    let target = ["optimize", "richness", "--stage", "target"];
    let with = |base: &[&'static str], extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().chain(extra).copied().collect()
    };
    let plot = |extra: &[&str]| -> Vec<String> {
        ["plot", "joint-rich", "--svg", svg].iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (plot(&["--grid", "gamma2=0,-1"]), "must be >= 0"),
        (plot(&["--grid", "gamma2=1,x"]), "not a finite number"),
        (plot(&["--grid", "gamma2=1,1"]), "repeat"),
        (plot(&["--set", "d16"]), "NAME=VALUE"),
        (plot(&["--set", "foo=1"]), "unknown name; accepted:"),
        (plot(&["--set", "gamma2=1"]), "--grid gamma2"),
        (plot(&["--set", "t_early=20"]), "t_early"),
        (plot(&["--set", "points=1"]), "points"),
        (plot(&["--set", "phi=sigmoid"]), "sigmoid"),
    ];
    for (extra, mentions) in [
        (&["--grid", "gamma2=-1:2:4"][..], "gamma2"),
        (&["--grid", "gamma2=2:1:4"], "LO < HI"),
        (&["--objective", "forgetting"], "forgetting"),
        (&["--set", "nu2"], "NAME=VALUE"),
        (&["--set", "nu2=-1"], "nu2"),
        (&["--set", "gamma2=1"], "--grid gamma2"),
        (&["--set", "gamma1=-1"], "gamma1"),
        (&["--variant", "ridge"], "--variant"),
        (&["--grid", "gamma2=1:2:2"], "at least 3 points"),
    ] {
        cases.push((with(&target, extra).iter().map(|s| s.to_string()).collect(), mentions));
    }
    cases.push((
        ["optimize", "richness", "--set", "nu1=1", "--objective", "joint"].map(String::from).to_vec(),
        "--stage target",
    ));
    for (args, mentions) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = tlcheck(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(mentions) && !stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        // In-process as well: the same exit code through the library entry point.
        let mut full = vec!["tlcheck".to_string()];
        full.extend(args.iter().map(|s| s.to_string()));
        assert_eq!(tlcheck::cli::run_args(full), 2, "{args:?}");
    }
}
