//! The one JSON vocabulary (README, "JSON output"): every command's `--json` output loads into the
//! same Rust structs. Top level: `command`, `version`, `seed` (when random numbers are drawn),
//! `settings`, `elapsed_s`; a claim is `{id, verdict, expected}`; a location is an `at` object, never
//! pairs; Monte Carlo estimates are `{mean, se, trials}` with `"kind": "extrapolated"` when not
//! measured; parameters whose domain is integer are JSON integers.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The envelope every command shares, with the command's payload flattened in.
#[derive(Debug, Deserialize)]
struct Top<P> {
    command: String,
    version: String,
    seed: Option<u64>,
    settings: Map<String, Value>,
    elapsed_s: f64,
    #[serde(flatten)]
    payload: P,
}

/// A claim: its id, the computed verdict (absent in a listing) and the recorded one.
#[derive(Debug, Deserialize)]
struct Claim {
    id: String,
    verdict: Option<String>,
    expected: String,
    #[serde(default)]
    checks: Vec<Check>,
    worst: Option<Worst>,
}

#[derive(Debug, Deserialize)]
struct Check {
    index: usize,
    points: Vec<Point>,
}

/// The worst point of a claim, with the (1-based) index of its check.
#[derive(Debug, Deserialize)]
struct Worst {
    check: usize,
    point: Point,
}

/// A location and what was found there.
#[derive(Debug, Deserialize)]
struct Point {
    at: Map<String, Value>,
    simulated: Option<Estimate>,
}

#[derive(Debug, Deserialize)]
struct Estimate {
    mean: f64,
    se: f64,
    trials: u64,
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Audit {
    claims: Vec<Claim>,
    all_match: bool,
    error_control: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct Listing {
    claims: Vec<Claim>,
}

#[derive(Debug, Deserialize)]
struct Observables {
    observables: Vec<Observable>,
}

#[derive(Debug, Deserialize)]
struct Observable {
    name: String,
    params: Vec<Param>,
}

#[derive(Debug, Deserialize)]
struct Param {
    name: String,
    integer: bool,
    default: Value,
}

#[derive(Debug, Deserialize)]
struct Simulation {
    observable: String,
    trials: u64,
    outputs: BTreeMap<String, Estimate>,
}

/// `simulate lauditi.kernel_spike` settings: integer-domain parameters must load as integers.
#[derive(Debug, Deserialize)]
struct SpikeSettings {
    d: u64,
    max_steps: u64,
    gamma: f64,
}

#[derive(Debug, Deserialize)]
struct Calibration {
    claims: Vec<CalibratedClaim>,
    passed: bool,
}

#[derive(Debug, Deserialize)]
struct CalibratedClaim {
    id: String,
    expected: String,
    counts: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct FormulaAudit {
    formula: String,
    verdict: String,
    equivalence: Option<Equivalence>,
}

#[derive(Debug, Deserialize)]
struct Equivalence {
    counterexample: Option<Point>,
}

#[derive(Debug, Deserialize)]
struct Mutation {
    id: String,
    tested: usize,
}

#[derive(Debug, Deserialize)]
struct OrderParameter {
    id: String,
    check: usize,
    verdict: String,
    collapse: Collapse,
}

#[derive(Debug, Deserialize)]
struct Collapse {
    points: Vec<Point>,
}

fn run(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tlcheck")).args(args).output().expect("binary runs");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
}

/// Runs a command with `--json`, loads it into `Top<P>` and checks the vocabulary everywhere in it.
fn load<P: DeserializeOwned>(command: &str, args: &[&str], integers: &BTreeSet<String>) -> Top<P> {
    let value = run(args);
    vocabulary(&value, "", integers);
    let top: Top<P> = serde_json::from_value(value).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert_eq!(top.command, command);
    assert_eq!(top.version, env!("CARGO_PKG_VERSION"));
    assert!(top.elapsed_s >= 0.0);
    top
}

/// No list of (name, value) pairs anywhere; every `at` is an object whose integer-domain parameters
/// are integers; no `params`/`inputs` assignments (objects); estimates marked extrapolated only by `kind`.
fn vocabulary(v: &Value, path: &str, integers: &BTreeSet<String>) {
    match v {
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                let pair = x.as_array().is_some_and(|p| p.len() == 2 && p[0].is_string() && !p[1].is_string());
                assert!(!pair, "{path}[{i}] is a (name, value) pair: {x}");
                vocabulary(x, &format!("{path}[{i}]"), integers);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                let here = format!("{path}.{k}");
                let assignment = ["params", "inputs"].contains(&k.as_str()) && x.is_object();
                assert!(!assignment, "{here}: parameter assignments are `settings`");
                if k == "at" {
                    let at = x.as_object().unwrap_or_else(|| panic!("{here} is not an object: {x}"));
                    for (name, value) in at {
                        let whole = value.is_u64() || value == "inf";
                        assert!(!integers.contains(name) || whole, "{here}.{name} is not an integer: {value}");
                    }
                }
                if k == "kind" && map.contains_key("mean") {
                    assert!(["extrapolated", "measured"].contains(&x.as_str().unwrap_or("")), "{here}: {x}");
                }
                vocabulary(x, &here, integers);
            }
        }
        Value::Number(n) => assert!(n.as_f64().is_some_and(f64::is_finite), "{path}: {n}"),
        _ => {}
    }
}

/// Names that are integer parameters wherever an observable declares them.
fn integer_names(observables: &Observables) -> BTreeSet<String> {
    let params = || observables.observables.iter().flat_map(|o| &o.params);
    let real: BTreeSet<&str> = params().filter(|p| !p.integer).map(|p| p.name.as_str()).collect();
    params().filter(|p| p.integer && !real.contains(p.name.as_str())).map(|p| p.name.clone()).collect()
}

#[test]
fn list_observables_and_simulate() {
    let none = BTreeSet::new();
    let obs: Top<Observables> = load("observables", &["observables", "--json"], &none);
    let integers = integer_names(&obs.payload);
    assert!(integers.contains("d") && !integers.contains("gamma"), "{integers:?}");
    let spike = obs.payload.observables.iter().find(|o| o.name == "lauditi.kernel_spike").unwrap();
    let d = spike.params.iter().find(|p| p.name == "d").unwrap();
    assert!(d.integer && d.default.is_u64(), "{d:?}");

    let list: Top<Listing> = load("list", &["list", "--json"], &integers);
    assert!(list.seed.is_none());
    let chi = list.payload.claims.iter().find(|c| c.id == "lauditi2025.chi_increasing").unwrap();
    assert_eq!((chi.expected.as_str(), chi.verdict.as_ref()), ("holds", None));

    let args = ["simulate", "lauditi.kernel_spike", "--set", "d=50", "--set", "gamma=2", "--trials", "2", "--json"];
    let sim: Top<Simulation> = load("simulate", &args, &integers);
    assert_eq!(
        (sim.seed, sim.payload.trials, sim.payload.observable.as_str()),
        (Some(2025), 2, "lauditi.kernel_spike")
    );
    let settings: SpikeSettings = serde_json::from_value(Value::Object(sim.settings.clone())).unwrap();
    assert_eq!((settings.d, settings.gamma), (50, 2.0));
    assert!(settings.max_steps > 0 && sim.settings["d"].is_u64() && sim.settings["width"] == "inf");
    let est = &sim.payload.outputs["spike"];
    assert!(est.trials == 2 && est.se >= 0.0 && est.mean > 0.0 && est.kind.is_none());
}

#[test]
fn check_audit_merge_and_calibrate() {
    let obs: Top<Observables> = load("observables", &["observables", "--json"], &BTreeSet::new());
    let integers = integer_names(&obs.payload);
    let ids = ["lauditi2025.chi_increasing", "lauditi2025.chi_kernel_spike"];
    let check: Top<Audit> = load("check", &["check", ids[1], "--quick", "--json"], &integers);
    assert_eq!((check.seed, check.settings["quick"].as_bool()), (Some(2025), Some(true)));
    let claim = &check.payload.claims[0];
    assert_eq!(
        (claim.id.as_str(), claim.verdict.as_deref(), claim.expected.as_str()),
        (ids[1], Some("holds"), "holds")
    );
    let worst = claim.worst.as_ref().unwrap();
    assert!(worst.check >= 1 && worst.check <= claim.checks.len() && !worst.point.at.is_empty());
    let extrapolated = claim.checks.iter().flat_map(|c| &c.points).filter_map(|p| p.simulated.as_ref());
    assert!(extrapolated.filter(|e| e.kind.as_deref() == Some("extrapolated")).count() > 0, "no extrapolated estimate");
    assert!(claim.checks.iter().enumerate().all(|(i, c)| c.index == i + 1));

    let audit = [&["audit"][..], &ids, &["--quick", "--json"]].concat();
    let audit: Top<Audit> = load("audit", &audit, &integers);
    assert!(audit.payload.all_match && audit.payload.claims.len() == 2);
    assert!(audit.payload.error_control.contains_key("claim_alpha"));

    let dir = std::env::temp_dir().join(format!("tlcheck-json-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for k in 1..=2 {
        let shard = run(&[&["audit"][..], &ids, &["--quick", "--shard", &format!("{k}/2")]].concat());
        let file = dir.join(format!("shard-{k}.json"));
        std::fs::write(&file, shard.to_string()).unwrap();
        files.push(file.to_str().unwrap().to_string());
    }
    let merge = [vec!["merge", "--json"], files.iter().map(String::as_str).collect()].concat();
    let merged: Top<Audit> = load("audit", &merge, &integers);
    assert_eq!((merged.seed, &merged.settings), (audit.seed, &audit.settings));
    std::fs::remove_dir_all(&dir).ok();

    let args = ["calibrate", ids[0], "--seeds", "2", "--quick", "--json"];
    let cal: Top<Calibration> = load("calibrate", &args, &integers);
    assert_eq!((cal.seed, cal.settings["seeds"].as_u64()), (Some(2025), Some(2)));
    let c = &cal.payload.claims[0];
    assert!(cal.payload.passed && c.id == ids[0] && c.expected == "holds" && c.counts["holds"] == 2);
}

#[test]
fn formula_mutate_and_order_parameter() {
    let obs: Top<Observables> = load("observables", &["observables", "--json"], &BTreeSet::new());
    let integers = integer_names(&obs.payload);
    let claim = ["--claim", "lauditi2025.chi_kernel_spike", "--quick", "--json"];
    let formula: Top<FormulaAudit> =
        load("formula", &[&["formula", "sqrt(1 + gamma^2/2) - 1"][..], &claim].concat(), &integers);
    assert_eq!(
        (formula.payload.formula.as_str(), formula.payload.verdict.as_str()),
        ("sqrt(1 + gamma^2/2) - 1", "refuted")
    );
    let counterexample = formula.payload.equivalence.unwrap().counterexample.unwrap();
    assert!(counterexample.at.contains_key("gamma"));

    let mutate: Top<Mutation> =
        load("mutate", &["mutate", "lauditi2025.chi_kernel_spike", "--quick", "--max", "2", "--json"], &integers);
    assert_eq!((mutate.payload.id.as_str(), mutate.payload.tested), ("lauditi2025.chi_kernel_spike", 2));
    assert_eq!(mutate.settings["max"].as_u64(), Some(2));

    let args = ["order-parameter", "yuan2025.gamma_order_parameter", "--check", "2", "--quick", "--json"];
    let op: Top<OrderParameter> = load("order-parameter", &args, &integers);
    assert_eq!((op.payload.id.as_str(), op.payload.check), ("yuan2025.gamma_order_parameter", 2));
    assert!(!op.payload.verdict.is_empty() && !op.payload.collapse.points.is_empty());
}
