//! TEMPORARY (removed when the old check layer is deleted): every check ported to the pipeline must
//! give the old implementation's verdict, pass flags, statistics and evidence text, at both precisions.
//! `PORT_METHODS=simulation,search` limits the methods compared; `PORT_FULL=1` adds the default precision.

use std::path::Path;

use tlcheck::check::RunContext;
use tlcheck::engine::{Precision, Run, Silent, run_check};
use tlcheck::methods::{Context, compile};
use tlcheck::report::evidence::evidence;
use tlcheck::spec::TheoremFile;
use tlcheck::statement::Statement;
use tlcheck::theorem::Claim;

fn same(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())) || (a.is_nan() && b.is_nan())
}

fn compare(quick: bool) -> Vec<String> {
    let methods: Option<Vec<String>> =
        std::env::var("PORT_METHODS").ok().map(|m| m.split(',').map(str::to_string).collect());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    paths.sort();
    let mut problems = Vec::new();
    let ctx = RunContext { quick, seed: 2025, progress: None };
    let run = Run::new(Precision { quick, seed: 2025 }, &Silent);
    for path in paths {
        let old = Claim::load(&path).unwrap();
        let file = TheoremFile::read(&path).unwrap();
        let st = Statement::compile(&file).unwrap();
        for (i, spec) in file.checks.iter().enumerate() {
            if methods.as_ref().is_some_and(|m| !m.iter().any(|x| x == spec.method())) {
                continue;
            }
            let cx = Context { claim_id: &file.id, index: i, statement: &st };
            let Ok(check) = compile(spec, &cx) else { continue };
            let new = run_check(&check, &run).unwrap();
            let was = old.checks[i].run(&ctx).unwrap();
            let tag = format!("{} check {} ({}, quick {quick})", file.id, i + 1, spec.method());
            println!("{tag}: {} / {}", was.verdict, new.verdict);
            if was.verdict.to_string() != new.verdict.to_string() {
                problems.push(format!("{tag}: verdict {} -> {}", was.verdict, new.verdict));
            }
            if was.failures != new.failures {
                problems.push(format!("{tag}: failure flags differ"));
            }
            if was.points.len() != new.points.len() {
                problems.push(format!("{tag}: {} points -> {}", was.points.len(), new.points.len()));
            }
            for (k, (a, b)) in was.points.iter().zip(&new.points).enumerate() {
                let z = match (a.z, b.z) {
                    (Some(x), Some(y)) => same(x, y),
                    (x, y) => x == y,
                };
                if !(z && same(a.residual, b.residual) && same(a.p, b.p) && a.pass == b.pass) {
                    problems.push(format!("{tag}: point {k} differs: {a:?} vs {b:?}"));
                }
            }
            let text = evidence(&new);
            if text != was.evidence {
                problems.push(format!("{tag}: evidence differs:\n  old {}\n  new {text}", was.evidence));
            }
        }
    }
    problems
}

#[test]
fn ported_checks_match_the_old_ones() {
    let mut problems = compare(true);
    if std::env::var("PORT_FULL").is_ok() {
        problems.extend(compare(false));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
