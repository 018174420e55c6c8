//! Every example output in README.md is produced by the command that a test runs.
//!
//! An example is a fenced block preceded by a marker line `<!-- example: COMMAND -->`: COMMAND is
//! run by `sh -c` in a scratch directory that links `theorems/`, `tests/` and `data/` of this
//! repository, with the built `tlcheck` first on `PATH`, and its standard output must equal the
//! block's text up to timings (numbers of seconds, `elapsed_s` values) and column alignment.
//! The claims table after `<!-- verdicts: tlcheck list --json -->` must equal the one generated from
//! `tlcheck list --json` (id, recorded verdict, the reason's first clause).
//!
//! `TLCHECK_BLESS=1 cargo test --release --test readme` rewrites the blocks and the table with what
//! the commands print now.

use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLE: &str = "<!-- example: ";
const VERDICTS: &str = "<!-- verdicts: tlcheck list --json -->";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory with links to the repository's inputs, for one example.
fn scratch(i: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlcheck-readme-{}-{i}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["theorems", "tests", "data"] {
        let link = dir.join(name);
        if !link.exists() {
            std::os::unix::fs::symlink(root().join(name), link).unwrap();
        }
    }
    dir
}

/// Runs an example's command; its standard output.
fn run(command: &str, i: usize) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_tlcheck")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let dir = scratch(i);
    let out = Command::new("sh").args(["-c", command]).current_dir(&dir).env("PATH", path).output().expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{command}: exit {:?}: {stderr}", out.status.code());
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Text with timings replaced (`12.3s` -> `Ns`, `"elapsed_s": 0.12` -> `"elapsed_s": N`) and
/// alignment removed (runs of spaces -> one, runs of dashes -> two).
fn normalise(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit() && (i == 0 || !is_word(chars[i - 1]));
        let digits =
            |from: usize| (from..chars.len()).take_while(|&j| chars[j].is_ascii_digit() || chars[j] == '.').count();
        if starts_number {
            let n = digits(i);
            let end = i + n;
            if end < chars.len() && chars[end] == 's' && (end + 1 == chars.len() || !is_word(chars[end + 1])) {
                out += "Ns";
                i = end + 1;
                continue;
            }
        }
        if out.ends_with("\"elapsed_s\": ") {
            let n = (i..chars.len()).take_while(|&j| !matches!(chars[j], ',' | '\n' | '}')).count();
            out += "N";
            i += n;
            continue;
        }
        match chars[i] {
            ' ' if out.ends_with(' ') => {}
            '-' if out.ends_with("--") => {}
            c => out.push(c),
        }
        i += 1;
    }
    out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '_'
}

/// One example: the marker's command and the line range of its block's text.
struct Example {
    command: String,
    body: std::ops::Range<usize>,
}

/// The examples of the README's lines.
fn examples(lines: &[&str]) -> Vec<Example> {
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(rest) = line.strip_prefix(EXAMPLE) {
            let command = rest.strip_suffix("-->").expect("marker ends with -->").trim().to_string();
            assert!(
                lines.get(i + 1).is_some_and(|l| l.starts_with("```")),
                "marker `{command}` not followed by a fence"
            );
            let end = (i + 2..lines.len()).find(|&j| lines[j] == "```").expect("fence closed");
            found.push(Example { command, body: i + 2..end });
        }
    }
    found
}

/// The claims table generated from `tlcheck list --json`.
fn verdict_table() -> Vec<String> {
    let list: serde_json::Value = serde_json::from_str(&run("tlcheck list --json", 0)).unwrap();
    let mut rows = vec!["| claim | recorded | reason (first clause; full text in `tlcheck list --json`) |".to_string()];
    rows.push("|---|---|---|".into());
    for c in list["claims"].as_array().unwrap() {
        let reason = first_clause(c["reason"].as_str().unwrap());
        rows.push(format!("| {} | {} | {} |", c["id"].as_str().unwrap(), c["expected"].as_str().unwrap(), reason));
    }
    rows
}

/// A reason's first clause (up to the first "; "), at most about 140 characters, cut at a word.
fn first_clause(reason: &str) -> String {
    let clause = reason.split("; ").next().unwrap_or(reason).replace('|', "\\|");
    if clause.chars().count() <= 140 {
        return clause;
    }
    let cut: String = clause.chars().take(140).collect();
    format!("{} ...", &cut[..cut.rfind(' ').unwrap_or(cut.len())])
}

#[test]
fn readme_examples_are_what_the_commands_print() {
    let path = root().join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let bless = std::env::var("TLCHECK_BLESS").is_ok_and(|v| v == "1");
    let mut replacements: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
    let mut failures = Vec::new();
    let found = examples(&lines);
    assert!(found.len() >= 8, "only {} examples found", found.len());
    for (i, ex) in found.iter().enumerate() {
        let printed = run(&ex.command, i + 1);
        let shown = lines[ex.body.clone()].join("\n");
        if bless {
            replacements.push((ex.body.clone(), printed.trim_end().lines().map(String::from).collect()));
        } else if normalise(&printed) != normalise(&shown) {
            failures.push(format!("`{}`:\n--- README\n{shown}\n--- printed\n{printed}", ex.command));
        }
    }
    let start = lines.iter().position(|l| *l == VERDICTS).expect("verdicts marker") + 1;
    let end = (start..lines.len()).find(|&j| !lines[j].starts_with('|')).unwrap_or(lines.len());
    let table = verdict_table();
    if bless {
        replacements.push((start..end, table));
        replacements.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        let mut new: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        for (range, body) in replacements {
            new.splice(range, body);
        }
        std::fs::write(&path, new.join("\n") + "\n").unwrap();
        return;
    }
    if lines[start..end] != table {
        failures.push(format!("verdict table differs from `tlcheck list --json`:\n{}", table.join("\n")));
    }
    assert!(
        failures.is_empty(),
        "README examples out of date (TLCHECK_BLESS=1 rewrites them):\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn normalising_ignores_timings_and_alignment() {
    assert_eq!(normalise("a  0.2s   b\n---- 12.50s"), normalise("a 13.1s b\n-- 0s"));
    assert_eq!(normalise("\"elapsed_s\": 0.0123,"), "\"elapsed_s\": N,");
    assert_ne!(normalise("gamma=0.5"), normalise("gamma=0.6"));
    assert_eq!(normalise("d2s 3rds"), "d2s 3rds");
}
