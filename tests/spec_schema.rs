//! The theorem-file schema is typed per method: a field that the method does not have, a malformed
//! sweep or symmetry, or an empty scan is refused at load time with a message naming the file, the
//! check, the field and the allowed ones; the CLI exits with 2.

mod common;

use std::path::Path;

use tlcheck::spec::TheoremFile;
use tlcheck::spec::check::METHODS;

/// A file of the shipped theorems that has a check of `method`, as a TOML table.
fn file_with(method: &str) -> (toml::Table, usize) {
    let mut paths: Vec<_> = std::fs::read_dir(common::theorem_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|x| x == "toml")) {
        let text = std::fs::read_to_string(path).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        let checks = table["check"].as_array().unwrap();
        if let Some(i) = checks.iter().position(|c| c["method"].as_str() == Some(method)) {
            return (table, i);
        }
    }
    panic!("no theorem file has a {method} check");
}

/// Parses `table` after `edit` changed its check `i`; the load error's text.
fn refusal(mut table: toml::Table, i: usize, edit: impl FnOnce(&mut toml::Table)) -> String {
    let check = table.get_mut("check").unwrap().as_array_mut().unwrap()[i].as_table_mut().unwrap();
    edit(check);
    let text = toml::to_string(&table).unwrap();
    match TheoremFile::parse(&text, Path::new("edited.toml")) {
        Ok(_) => panic!("the edited file was accepted"),
        Err(e) => e.to_string(),
    }
}

/// A field of another method, for each method.
fn foreign(method: &str) -> &'static str {
    match method {
        "optimum" => "symmetry",
        "collapse" | "directions" | "exists" => "optimize_over",
        _ => "reference",
    }
}

#[test]
fn a_field_of_another_method_is_refused_for_every_method() {
    for method in METHODS {
        let (table, i) = file_with(method);
        let field = foreign(method);
        let message = refusal(table, i, |c| {
            c.insert(field.into(), toml::Value::String("nonsense".into()));
        });
        assert!(message.contains("edited.toml"), "{method}: {message}");
        assert!(message.contains(&format!("check {}", i + 1)), "{method}: {message}");
        assert!(message.contains(&format!("unknown field `{field}`")), "{method}: {message}");
        assert!(message.contains("expected one of") && message.contains("`describe`"), "{method}: {message}");
    }
}

#[test]
fn malformed_symmetry_sweep_scan_and_unknown_methods_are_refused() {
    let (table, i) = file_with("collapse");
    let m = refusal(table.clone(), i, |c| {
        c.insert("symmetry".into(), "garbage==".into());
    });
    assert!(m.contains("symmetry"), "{m}");
    let m = refusal(table.clone(), i, |c| {
        c.insert("sweep".into(), toml::Value::Table(toml::Table::new()));
    });
    assert!(m.contains("sweep is empty"), "{m}");
    let m = refusal(table.clone(), i, |c| {
        c.insert("sweep".into(), toml::from_str::<toml::Table>("u = [1.0]").unwrap().into());
    });
    assert!(m.contains("sweep.u needs at least two"), "{m}");
    for (sizes, order, says) in [("[1.0]", "0.5", "at least two distinct"), ("[1.0, 4.0]", "0.0", "positive number")] {
        let m = refusal(table.clone(), i, |c| {
            let text = format!("scale = \"d=1\"\nsizes = {sizes}\norder = {order}\nreason = \"r\"");
            c.insert("finite_size".into(), toml::from_str::<toml::Table>(&text).unwrap().into());
        });
        assert!(m.contains("finite_size") && m.contains(says), "{m}");
    }
    let (table, i) = file_with("boundary");
    let m = refusal(table, i, |c| {
        c.insert("scan".into(), toml::from_str::<toml::Table>("param = \"gamma\"\nvalues = []").unwrap().into());
    });
    assert!(m.contains("scan.values"), "{m}");
    let (table, i) = file_with("simulation");
    let m = refusal(table.clone(), i, |c| {
        c.insert("method".into(), "nonsense".into());
    });
    assert!(m.contains("unknown method `nonsense`") && m.contains("power_law"), "{m}");
    let m = refusal(table, i, |c| {
        c.insert("grid".into(), toml::from_str::<toml::Table>("gamma = []").unwrap().into());
    });
    assert!(m.contains("grid.gamma is empty"), "{m}");
}

#[test]
fn the_cli_exits_2_naming_the_field() {
    let (table, i) = file_with("simulation");
    let mut table = table;
    let check = table.get_mut("check").unwrap().as_array_mut().unwrap()[i].as_table_mut().unwrap();
    check.insert("optimize_over".into(), "nonsense".into());
    let path = common::tmp("spec", "bad.toml");
    std::fs::write(&path, toml::to_string(&table).unwrap()).unwrap();
    let out = common::tlcheck(&["audit", "--theorems", path.parent().unwrap().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown field `optimize_over`") && stderr.lines().count() == 1, "{stderr}");
}
