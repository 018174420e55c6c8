//! The repository is self-contained: no file (outside `target/` and `.git/`) points at material a
//! user does not have, i.e. contains a path into a sibling `shared` folder or mentions private
//! notes (the word is assembled in `forbidden`). Conventions and derivations live in
//! `docs/conventions.md` and `docs/derivations.md`.

use std::path::{Path, PathBuf};

/// The forbidden strings, lower case (assembled so that this file does not contain them itself).
fn forbidden() -> Vec<String> {
    vec![format!("{}/shared", ".."), format!("/work/{}", "shared"), ["bri", "ef"].concat()]
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            if name != "target" && name != ".git" {
                files(&p, out);
            }
        } else if name != ".git" {
            out.push(p);
        }
    }
}

#[test]
fn no_file_refers_to_material_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(root, &mut all);
    assert!(all.len() > 50, "found only {} files under {}", all.len(), root.display());
    let needles = forbidden();
    let mut bad = Vec::new();
    for p in &all {
        let text = String::from_utf8_lossy(&std::fs::read(p).unwrap()).to_lowercase();
        for n in needles.iter().filter(|n| text.contains(n.as_str())) {
            bad.push(format!("{}: contains {n:?}", p.strip_prefix(root).unwrap().display()));
        }
    }
    assert!(bad.is_empty(), "the repository must be self-contained:\n{}", bad.join("\n"));
}
