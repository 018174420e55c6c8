//! The layering stated in the README ("Architecture") is true of `src/`: a module imports only modules
//! of lower layers, so there is no import cycle between top-level modules; and no two sibling files
//! import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the README's `layers` block: the first line is the top; each line's modules may import
/// only modules on lines below it.
fn layers() -> BTreeMap<String, usize> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme.split("```layers\n").nth(1).expect("README has a ```layers block").split("```").next().unwrap();
    let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut rank = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let modules = line.split("  ").next().unwrap_or(line);
        for m in modules.split_whitespace() {
            rank.insert(m.to_string(), lines.len() - i);
        }
    }
    rank
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its test module and comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Identifiers following `prefix` in `text` (e.g. the module after every `crate::`).
fn after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(i, _)| text[i + prefix.len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
        .filter(|s: &String| !s.is_empty())
        .collect()
}

#[test]
fn modules_import_only_lower_layers() {
    let rank = layers();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(&own) = rank.get(&top) else {
            violations.push(format!("module `{top}` is not in the README's layers"));
            continue;
        };
        for m in after(&code(f), "crate::") {
            match rank.get(&m) {
                Some(&r) if m == top || r < own => {}
                Some(_) => violations.push(format!("{}: `{top}` imports `{m}` (same or higher layer)", rel.display())),
                None if m == "Result" || m == "Error" => {}
                None => violations.push(format!("{}: imports `{m}`, which is not in the layers", rel.display())),
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn no_two_sibling_files_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut imports: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        if f.file_name().is_some_and(|n| n == "mod.rs") {
            continue;
        }
        let rel = f.strip_prefix(&src).unwrap();
        let parent: Vec<String> =
            rel.parent().unwrap().components().map(|c| c.as_os_str().to_string_lossy().to_string()).collect();
        let text = code(f);
        let mut uses = after(&text, "super::");
        if !parent.is_empty() {
            uses.extend(after(&text, &format!("crate::{}::", parent.join("::"))));
        }
        imports.insert(f.clone(), uses);
    }
    let mut cycles = Vec::new();
    for (f, uses) in &imports {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        for other in uses {
            let sibling = f.with_file_name(format!("{other}.rs"));
            if imports.get(&sibling).is_some_and(|back| back.contains(&stem)) && f < &sibling {
                cycles.push(format!("{} <-> {}", f.display(), sibling.display()));
            }
        }
    }
    assert!(cycles.is_empty(), "{}", cycles.join("\n"));
}
