//! `tlcheck merge`: combines shard files (audit, calibrate, and the sweeps `phase lauditi`, `phase
//! tahir`, `optimize richness`) into the output of the unsharded run.

use std::path::PathBuf;

use clap::Parser;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::args::{OptimizeCommand, Stage};
use super::calibrate::{calibration_exit_code, print_calibration};
use super::out::{out, outln};
use super::phase::PhaseCommand;
use super::richness::SourcePart;
use super::to_json;
use crate::analysis::calibration::{ClaimRun, summarise_runs};
use crate::analysis::phase::{GainRow, TahirRow};
use crate::analysis::shard::{ShardFile, ShardHeader, check_complete};
use crate::audit::{ClaimOutcome, audit_exit_code};
use crate::claim::Claim;
use crate::error::{Error, Result};
use crate::optimize::SweepPoint;
use crate::outcome::Verdict;
use crate::report::html::{HtmlClaim, Reproduce, html_claim, html_document};
use crate::report::{audit_document, audit_row, claim_evidence, claim_json, compose_audit_table};

/// One claim of an audit shard, rendered as the unsharded audit renders it (so that merging needs no
/// re-rendering and reproduces the unsharded output exactly).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditPart {
    pub id: String,
    /// The claim's JSON document.
    pub json: serde_json::Value,
    /// Its row of the audit table and its evidence block (when the table shows one).
    pub row: Vec<String>,
    pub evidence: Option<String>,
    /// Whether the verdict is as recorded, and the exit code of its error when it could not run.
    pub matches: bool,
    pub error_code: Option<i32>,
    /// Its row and section of the HTML report.
    pub html: HtmlClaim,
}

impl AuditPart {
    /// The parts of an audit's outcomes; `run` is what the HTML sections cite to reproduce a claim.
    pub fn of(pairs: &[(&Claim, &ClaimOutcome)], run: &Reproduce) -> Result<Vec<AuditPart>> {
        pairs
            .iter()
            .map(|&(claim, r)| {
                Ok(AuditPart {
                    id: r.id.clone(),
                    json: claim_json(r)?,
                    row: audit_row(r),
                    evidence: claim_evidence(r, false),
                    matches: r.matches,
                    error_code: r.error.as_ref().map(|e| e.exit_code),
                    html: html_claim(claim, r, run)?,
                })
            })
            .collect()
    }
}

/// Arguments of `tlcheck merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Shard files written by `audit`, `calibrate`, `phase lauditi`, `phase tahir` or `optimize
    /// richness` with `--shard K/N` (all N of one run).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print the merged output as JSON (the unsharded command's `--json` schema).
    #[arg(long)]
    pub json: bool,
    /// Merged audits: also write the HTML evidence report to FILE, as `audit --html FILE` would
    /// have [default: none].
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Merged sweeps (`phase`, `optimize richness`): also write the run's SVG figure to this file
    /// [default: none].
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Merged sweeps (`phase`, `optimize richness`): also write the run's CSV to this file [default: none].
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

fn read<T: DeserializeOwned>(path: &PathBuf) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::input(format!("shard file {} does not exist", path.display())),
        _ => Error::Io { path: path.display().to_string(), source },
    })?;
    serde_json::from_str(&text).map_err(|e| Error::input(format!("{}: not a tlcheck shard file: {e}", path.display())))
}

/// Runs `tlcheck merge`.
pub fn run(args: &MergeArgs, command: &str) -> Result<i32> {
    let headers: Vec<(PathBuf, ShardHeader)> = args
        .files
        .iter()
        .map(|p| read::<ShardFile<serde::de::IgnoredAny>>(p).map(|f| (p.clone(), f.tlcheck_shard)))
        .collect::<Result<_>>()?;
    check_complete(&headers)?;
    let first = &headers[0].1;
    let elapsed: f64 = headers.iter().map(|(_, h)| h.elapsed_s).sum();
    let sweep = SWEEPS.contains(&first.command.as_str());
    if !sweep && (args.svg.is_some() || args.csv.is_some()) {
        return Err(Error::input(format!(
            "--svg and --csv apply to merged sweeps ({}), not to `{}`",
            SWEEPS.join(", "),
            first.command
        )));
    }
    if first.command != "audit" && args.html.is_some() {
        return Err(Error::input(format!("--html applies to merged audits, not to `{}`", first.command)));
    }
    match first.command.as_str() {
        "audit" => merge_audit(args, &first.settings, elapsed, command),
        "calibrate" => merge_calibration(args, &first.settings, elapsed),
        _ if sweep => merge_sweep(args, &first.settings, elapsed),
        other => {
            Err(Error::input(format!("shards of `{other}` cannot be merged (audit, calibrate, {})", SWEEPS.join(", "))))
        }
    }
}

/// The sweep commands whose shards merge.
const SWEEPS: &[&str] = &["phase lauditi", "phase tahir", "optimize richness"];

/// The rows of every shard file (any order; the sweep checks that they are complete).
fn rows<T: DeserializeOwned>(files: &[PathBuf]) -> Result<Vec<T>> {
    let mut all = Vec::new();
    for path in files {
        all.extend(read::<ShardFile<Vec<T>>>(path)?.output);
    }
    Ok(all)
}

/// Merges the shards of a sweep: parses the recorded command line again, points its outputs at
/// merge's --json, --svg and --csv, and renders the unsharded run's outputs from the shards' rows.
fn merge_sweep(args: &MergeArgs, settings: &serde_json::Value, elapsed: f64) -> Result<i32> {
    let argv: Vec<String> = serde_json::from_value(settings["args"].clone())
        .map_err(|e| Error::input(format!("shard settings: no command line: {e}")))?;
    let cli = super::Cli::try_parse_from(std::iter::once("tlcheck".to_string()).chain(argv)).map_err(|e| {
        Error::input(format!("shard command line: {}", e.to_string().lines().next().unwrap_or_default()))
    })?;
    let (json, svg, csv, files) = (args.json, args.svg.clone(), args.csv.clone(), &args.files);
    match cli.command {
        super::Command::Phase { command: PhaseCommand::Lauditi(mut a) } => {
            (a.json, a.svg, a.csv, a.shard) = (json, svg, csv, None);
            let (req, model) = super::phase_lauditi::request(&a)?;
            super::phase_lauditi::finish(&a, &req, &model, rows::<GainRow>(files)?, elapsed)
        }
        super::Command::Phase { command: PhaseCommand::Tahir(mut a) } => {
            (a.json, a.svg, a.csv, a.shard) = (json, svg, csv, None);
            let req = super::phase::tahir_request(&a)?;
            super::phase::finish_tahir(&a, &req, rows::<TahirRow>(files)?, elapsed)
        }
        super::Command::Optimize { command: OptimizeCommand::Richness(mut a) } => {
            (a.json, a.svg, a.csv, a.shard) = (json, svg, csv, None);
            match a.stage {
                Stage::Source => super::richness::merge(&a, rows::<SourcePart>(files)?, elapsed),
                Stage::Target => super::richness_target::merge(&a, rows::<SweepPoint>(files)?, elapsed),
            }
        }
        _ => Err(Error::input("shard command line is not a sweep (phase, optimize richness)")),
    }
}

/// The claim ids of a run's settings, in the unsharded order.
fn ids(settings: &serde_json::Value) -> Result<Vec<String>> {
    serde_json::from_value(settings["claims"].clone()).map_err(|e| Error::input(format!("shard settings: {e}")))
}

fn merge_audit(args: &MergeArgs, settings: &serde_json::Value, elapsed: f64, command: &str) -> Result<i32> {
    let mut parts: Vec<AuditPart> = Vec::new();
    for path in &args.files {
        parts.extend(read::<ShardFile<Vec<AuditPart>>>(path)?.output);
    }
    let order = ids(settings)?;
    parts.sort_by_key(|p| order.iter().position(|id| *id == p.id).unwrap_or(usize::MAX));
    if let Some(path) = &args.html {
        let run = Reproduce {
            quick: settings["quick"].as_bool().unwrap_or(false),
            seed: settings["seed"].as_u64().unwrap_or_default(),
            theorems: None,
            command: command.to_string(),
        };
        let html: Vec<HtmlClaim> = parts.iter().map(|p| p.html.clone()).collect();
        std::fs::write(path, html_document(&html, &run, elapsed))
            .map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    if args.json {
        let claims = parts.iter().map(|p| p.json.clone()).collect();
        outln!("{}", to_json(&audit_document("audit", settings, claims, elapsed))?)?;
    } else {
        let rows: Vec<Vec<String>> = parts.iter().map(|p| p.row.clone()).collect();
        let evidence: Vec<String> = parts.iter().filter_map(|p| p.evidence.clone()).collect();
        let mismatches = parts.iter().filter(|p| !p.matches).count();
        let errors = parts.iter().filter(|p| p.error_code.is_some()).count();
        out!("{}", compose_audit_table(&rows, &evidence, mismatches, errors))?;
    }
    Ok(audit_exit_code(parts.iter().filter_map(|p| p.error_code), parts.iter().all(|p| p.matches)))
}

fn merge_calibration(args: &MergeArgs, settings: &serde_json::Value, elapsed: f64) -> Result<i32> {
    let mut runs: Vec<ClaimRun> = Vec::new();
    for path in &args.files {
        runs.extend(read::<ShardFile<Vec<ClaimRun>>>(path)?.output);
    }
    let parse = |key: &str| settings[key].clone();
    let claims: Vec<(String, Verdict)> =
        serde_json::from_value(parse("expected")).map_err(|e| Error::input(format!("shard settings: {e}")))?;
    let seeds: Vec<u64> =
        serde_json::from_value(parse("seeds")).map_err(|e| Error::input(format!("shard settings: {e}")))?;
    let quick = parse("quick").as_bool().unwrap_or(false);
    let key = |r: &ClaimRun| {
        let c = claims.iter().position(|(id, _)| *id == r.claim).unwrap_or(usize::MAX);
        (c, seeds.iter().position(|s| *s == r.outcome.seed).unwrap_or(usize::MAX))
    };
    runs.sort_by_key(key);
    let calibration = summarise_runs(&claims, &seeds, runs, quick, elapsed);
    print_calibration(&calibration, args.json)?;
    Ok(calibration_exit_code(&calibration))
}
