//! Claims: a theorem file ([`crate::spec::TheoremFile`]) compiled into its statement and runnable
//! checks ([`crate::engine::Check`]), validated at load time (formulas parse, every variable is
//! known, every grid point resolves at both precisions).

use std::path::{Path, PathBuf};

use crate::engine::Check;
use crate::error::{Error, Result};
use crate::methods::{Context, compile};
use crate::observable::find;
use crate::params::Kind;
use crate::spec::TheoremFile;
use crate::statement::Statement;

/// A validated claim with its compiled checks.
pub struct Claim {
    pub file: TheoremFile,
    pub path: PathBuf,
    pub statement: Statement,
    pub checks: Vec<Check>,
}

impl Claim {
    /// Reads, validates and compiles one theorem file.
    pub fn load(path: &Path) -> Result<Claim> {
        Claim::compile(TheoremFile::read(path)?, path.to_path_buf())
    }

    /// Validates and compiles a theorem file given as text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Claim> {
        Claim::compile(TheoremFile::parse(text, path)?, path.to_path_buf())
    }

    /// Compiles a parsed theorem file; errors name the file and the check. Relative file paths in
    /// settings (parameters that take a path, e.g. `data`) are relative to the theorem file.
    pub fn compile(mut file: TheoremFile, path: PathBuf) -> Result<Claim> {
        resolve_paths(&mut file, path.parent().unwrap_or(Path::new("")));
        let fail = |message: String| Error::Theorem { file: path.display().to_string(), message };
        let statement = Statement::compile(&file).map_err(|e| fail(bare(e)))?;
        let checks = file
            .checks
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                let cx = Context { claim_id: &file.id, index, statement: &statement };
                compile(spec, &cx).map_err(|e| fail(format!("check {} ({}): {}", index + 1, spec.method(), bare(e))))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Claim { file, path, statement, checks })
    }

    pub fn id(&self) -> &str {
        &self.file.id
    }
}

/// Rewrites relative values of path parameters in every check's settings as `dir`/value.
fn resolve_paths(file: &mut TheoremFile, dir: &Path) {
    for check in &mut file.checks {
        let Some((name, maps)) = check.settings_mut() else { continue };
        let Ok(observable) = find(name) else { continue };
        let is_path = |k: &str| observable.params().iter().any(|p| p.name == k && matches!(p.kind, Kind::Text("path")));
        for map in maps {
            for (k, v) in map.iter_mut() {
                if let toml::Value::String(text) = v
                    && is_path(k)
                    && Path::new(text.as_str()).is_relative()
                {
                    *text = dir.join(text.as_str()).display().to_string();
                }
            }
        }
    }
}

/// An error's message without its kind prefix (the file names the kind).
fn bare(e: Error) -> String {
    match e {
        Error::Input(m) | Error::Numerical(m) => m,
        other => other.to_string(),
    }
}

/// The `*.toml` files in `dir`, sorted by path.
pub fn theorem_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::input(format!("theorem directory {} does not exist", dir.display())),
        _ => Error::Io { path: dir.display().to_string(), source },
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Loads every `*.toml` theorem file in `dir`, sorted by id; ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<Claim>> {
    let mut claims = theorem_paths(dir)?.iter().map(|p| Claim::load(p)).collect::<Result<Vec<_>>>()?;
    claims.sort_by(|a, b| a.id().cmp(b.id()));
    for w in claims.windows(2) {
        if w[0].id() == w[1].id() {
            return Err(Error::Theorem {
                file: w[1].path.display().to_string(),
                message: format!("duplicate claim id `{}`", w[1].id()),
            });
        }
    }
    Ok(claims)
}

/// The theorem directory: `$TLCHECK_THEOREMS`, else `./theorems`, else the one shipped with the crate.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TLCHECK_THEOREMS") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("theorems");
    if local.is_dir() { local } else { PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("theorems") }
}
