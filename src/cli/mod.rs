//! Command-line interface: argument parsing (clap) and dispatch. The binary is a thin wrapper:
//! errors travel up as values and are printed once, in [`run_args`].

pub mod args;
pub mod calibrate;
pub mod experiment;
pub mod formula;
mod merge;
pub mod mutate;

mod order_parameter;
mod out;
pub mod phase;
pub mod phase_lauditi;
pub mod plot_joint;
pub mod richness;
pub mod richness_target;

use crate::cli::out::{out, outln};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::analysis::shard::Shard;
use crate::audit::{ClaimOutcome, decide_claim, exit_code, planned_trials, select};
use crate::claim::{Claim, default_dir, load_dir};
use crate::engine::{Observer, Precision, Run};
use crate::error::{Error, Result};
use crate::observable::{find, registry, simulate};
use crate::params::split_assignment;
use crate::report::html::{Reproduce, claim_svg, html_report};
use crate::report::{audit_json, audit_settings, audit_table, envelope, list_table, observables_text, table};

/// The base seed of `audit` and `check` when none is given (also the first seed of `calibrate`).
pub const DEFAULT_SEED: u64 = 2025;

/// tlcheck decides printed closed-form claims of transfer-learning theory against simulations of
/// the learning procedures they describe, with statistical verdicts (holds / regime-limited / refuted).
#[derive(Parser, Debug)]
#[command(name = "tlcheck", version, about, long_about = None)]
pub struct Cli {
    /// Worker threads for Monte Carlo trials (default: all cores). Results do not depend on it.
    #[arg(long, global = true, value_name = "THREADS")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the claims with their source and recorded verdict.
    List {
        #[command(flatten)]
        dir: TheoremDir,
        /// Print JSON: {command, version, settings: {theorems}, elapsed_s, claims: [{id, title, status,
        /// source, expected, expected_quick, reason, theorem}]} (`theorem`: the whole file as read).
        #[arg(long)]
        json: bool,
    },
    /// List the observables with their parameters (domain, default, meaning) and outputs.
    Observables {
        /// Print JSON: {command, version, settings, elapsed_s, observables: [{name, doc, params: [{name,
        /// domain, integer, default, doc, used_when}], outputs: [{name, doc}]}]}.
        #[arg(long)]
        json: bool,
    },
    /// Simulate one observable and print mean, standard error and trial count of every output.
    Simulate {
        /// Observable name, e.g. lauditi.kernel_spike (see `tlcheck observables`).
        observable: String,
        /// Parameter assignment name=value (repeatable); unset parameters take their defaults.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// Number of independent trials (each with its own seed derived from --seed).
        #[arg(long, default_value_t = 100)]
        trials: usize,
        /// Base random seed (u64).
        #[arg(long, default_value_t = crate::cli::DEFAULT_SEED)]
        seed: u64,
        /// Print JSON: {command, version, seed, settings (every parameter, integers as integers),
        /// elapsed_s, observable, trials, output (the first), outputs: {name: {mean, se, trials}}}.
        #[arg(long)]
        json: bool,
    },
    /// Decide one claim and print its evidence. Exit 0 iff the verdict equals the recorded one.
    Check {
        /// Claim id, e.g. lauditi2025.finetune_population (see `tlcheck list`).
        claim: String,
        /// Also write the claim's figure (one panel per check) as an SVG file.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Also write a self-contained HTML evidence report (formula, figures, evidence, how to reproduce).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Decide every claim (or the given ones). Exit 0 iff every verdict equals the recorded one.
    Audit {
        /// Claim ids (default: all claims in the theorem directory).
        claims: Vec<String>,
        /// Also write a self-contained HTML evidence report (summary table; per claim its formula,
        /// figures, evidence and how to reproduce it).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Optimise over a setting, from closed forms or simulations (`optimize richness`).
    Optimize {
        #[command(subcommand)]
        command: args::OptimizeCommand,
    },
    /// Figures of simulated curves (`plot joint-rich`: target loss and forgetting along stage 2).
    Plot {
        #[command(subcommand)]
        command: plot_joint::PlotCommand,
    },
    /// Phase diagrams: where transfer helps (gain > 0) or hurts, with the zero contour.
    Phase {
        #[command(subcommand)]
        command: phase::PhaseCommand,
    },
    /// Order-parameter audit of a claim with a collapse check: fitted exponents (located on the
    /// reference sweep, extrapolated in size when the check declares it) with delta-method intervals
    /// next to the printed ones and their values at each size, transition location and width, scale
    /// audit. Default precision is the claim's own (about 10-30 s for a Yuan claim on 2 cores).
    OrderParameter {
        /// Claim id, e.g. yuan2025.gamma_order_parameter (must have a `collapse` check).
        claim: String,
        /// Also simulate the output on a 5 x 5 log-spaced grid of two constituents and write an SVG heat
        /// map with the printed and fitted Gamma contours at the transition (adds 25 points of simulation).
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Heat-map axes X,Y (swept constituents; default: the reference and the constituent with the
        /// largest printed exponent).
        #[arg(long, value_name = "X,Y")]
        axes: Option<String>,
        /// Four times the trials: intervals half as wide, about 4x longer (one to a few minutes for
        /// a Yuan claim on 2 cores).
        #[arg(long)]
        precise: bool,
        /// Which check of the claim (1-based, as in `tlcheck check`); default: its first collapse check.
        #[arg(long, value_name = "INDEX")]
        check: Option<usize>,
        /// Quick precision (fewer trials and sizes, as in `cargo test`): a smoke check, less power.
        #[arg(long)]
        quick: bool,
        /// Base random seed (u64); the check derives independent streams from it.
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Print JSON: {command, version, seed, settings: {quick, precise, axes}, elapsed_s, id, check,
        /// formula, verdict, evidence, collapse: {names, printed, fitted, ci, se, by_size, size_map,
        /// transition, scale, points}}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        dir: TheoremDir,
    },
    /// Audit a formula: equivalence with a claim's printed formula and agreement with its checks
    /// (--claim), or agreement with an observable on a grid (--observable --grid); optional
    /// --monotone, --at-most, --scaling statements. Exit 1 when refuted.
    Formula(formula::FormulaArgs),
    /// Checker power: run plausible typos of a claim's printed formula through its checks.
    Mutate(mutate::MutateArgs),
    /// Verdict stability over seeds: decide every claim (or the given ones) at N seeds and count each
    /// verdict, the seeds that reproduce the recorded one and the spread of the worst |z|. Exit 0 when
    /// every claim is stable and no claim recorded as holding is ever refuted, else 1.
    Calibrate(calibrate::CalibrateArgs),
    /// Combine the shard files of a sharded `audit` or `calibrate` run into the output the unsharded
    /// run would have printed (table, or JSON with --json) and its exit code. Refuses (exit 2)
    /// shards of different versions, settings or seeds, duplicated and missing shards.
    Merge(merge::MergeArgs),
    /// Experiments on real data (`experiment cifar`: transfer loss vs P2 on CIFAR-10 or CSV images).
    Experiment {
        #[command(subcommand)]
        command: experiment::ExperimentCommand,
    },
}

#[derive(clap::Args, Debug)]
struct TheoremDir {
    /// Directory of theorem files (default: $TLCHECK_THEOREMS, else ./theorems, else the crate's own).
    #[arg(long, value_name = "DIR")]
    theorems: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Quick precision (fewer trials and sizes, as in `cargo test`): a smoke check, less power.
    #[arg(long)]
    quick: bool,
    /// Base random seed (u64); every claim derives independent streams from it.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Print JSON: {command, version, seed, settings: {quick, claims}, elapsed_s, claims: [{id, verdict,
    /// expected, worst: {check, point}, max_abs_z, checks: [...]}], all_match, error_control}.
    #[arg(long)]
    json: bool,
    /// Run only shard K of N (e.g. 2/8): claims dealt round-robin in their order, each drawing the
    /// random numbers the unsharded run draws for it. Writes a shard file (JSON) to standard output
    /// and exits 0 unless a claim could not run; `tlcheck merge` combines the N files.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    #[command(flatten)]
    dir: TheoremDir,
}

/// Parses the process's command line and runs it; returns the process exit code.
pub fn main() -> i32 {
    run_args(std::env::args_os().map(|a| a.to_string_lossy().into_owned()))
}

/// Parses `args` (the first is the program name), runs, prints any error once; returns the exit code.
pub fn run_args(args: impl IntoIterator<Item = String>) -> i32 {
    let args: Vec<String> = args.into_iter().collect();
    let command = command_line(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render();
            return if e.use_stderr() {
                eprint!("{text}");
                2
            } else {
                // Help and version text; a closed pipe ends it quietly as well.
                let _ = out!("{text}");
                0
            };
        }
    };
    match run(cli, &command, &args) {
        Ok(code) => code,
        Err(Error::ClosedOutput) => 0,
        Err(e) => {
            eprintln!("tlcheck: error: {e}");
            e.exit_code()
        }
    }
}

/// The command line as one could type it again: the program as `tlcheck`, arguments with spaces or
/// quotes single-quoted.
fn command_line(args: &[String]) -> String {
    let quote = |a: &String| {
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
            format!("'{}'", a.replace('\'', "'\\''"))
        } else {
            a.clone()
        }
    };
    std::iter::once("tlcheck".to_string()).chain(args.iter().skip(1).map(quote)).collect::<Vec<_>>().join(" ")
}

fn run(cli: Cli, command: &str, argv: &[String]) -> Result<i32> {
    if let Some(n) = cli.threads {
        if n == 0 {
            return Err(Error::input("--threads must be at least 1"));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Error::input(format!("--threads: {e}")))?;
    }
    match cli.command {
        Command::List { dir, json } => {
            let claims = load_dir(&dir.theorems.unwrap_or_else(default_dir))?;
            if json {
                let list: Vec<_> = claims.iter().map(list_entry).collect::<Result<_>>()?;
                let settings = json!({ "theorems": dir_setting(&claims) });
                outln!("{}", to_json(&envelope("list", None, settings, 0.0, json!({ "claims": list })))?)?;
            } else {
                out!("{}", list_table(&claims))?;
            }
            Ok(0)
        }
        Command::Observables { json } => {
            if json {
                let list: Vec<_> = registry().iter().map(|o| observable_json(*o)).collect();
                outln!("{}", to_json(&envelope("observables", None, json!({}), 0.0, json!({ "observables": list })))?)?;
            } else {
                out!("{}", observables_text(registry()))?;
            }
            Ok(0)
        }
        Command::Simulate { observable, set, trials, seed, json } => {
            simulate_cmd(&observable, &set, trials, seed, json)
        }
        Command::Check { claim, svg, html, run } => {
            audit_cmd(&[claim], &run, &Files { html, svg, command: command.to_string() }, true)
        }
        Command::Audit { claims, html, run } => {
            audit_cmd(&claims, &run, &Files { html, svg: None, command: command.to_string() }, false)
        }
        Command::Optimize { command: args::OptimizeCommand::Richness(a) } => match a.stage {
            args::Stage::Source => richness::run(&a, argv),
            args::Stage::Target => richness_target::run(&a, argv),
        },
        Command::Plot { command } => plot_joint::run(&command),
        Command::Phase { command } => phase::run(command, argv),
        Command::OrderParameter { claim, svg, axes, precise, check, quick, seed, json, dir } => {
            let opts = order_parameter::Options {
                claim,
                check,
                json,
                svg,
                axes,
                precise,
                quick,
                seed,
                theorems: dir.theorems,
            };
            order_parameter::run(&opts, Some(progress_bar(0, "order-parameter audit")))
        }
        Command::Formula(args) => formula::run(&args),
        Command::Mutate(args) => mutate::run(&args),
        Command::Experiment { command } => experiment::run(&command),
        Command::Calibrate(args) => calibrate::run(&args),
        Command::Merge(args) => merge::run(&args, command),
    }
}

/// Writes a shard file for `reports` to standard output; exit code 0 (the merge reports verdicts).
pub fn write_shard<T: serde::Serialize>(
    command: &str,
    settings: serde_json::Value,
    shard: Shard,
    start: Instant,
    output: &T,
) -> Result<i32> {
    let header = crate::analysis::shard::ShardHeader::new(command, settings, shard, start.elapsed().as_secs_f64());
    outln!("{}", to_json(&crate::analysis::shard::ShardFile { tlcheck_shard: header, output })?)?;
    Ok(0)
}

/// The command line of a sharded sweep as its shard files record it: the arguments after the program
/// name without `--shard K/N` and `--threads N` (neither changes the numbers). `tlcheck merge` parses
/// it again to rebuild the unsharded run's outputs.
fn shard_argv(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--shard" | "--threads" => {
                it.next();
            }
            _ if a.starts_with("--shard=") || a.starts_with("--threads=") => {}
            _ => out.push(a.clone()),
        }
    }
    out
}

/// Writes the shard file of a sharded sweep (`phase`, `optimize richness`): its command line in the
/// header's settings, its rows as output. Refuses the whole-run outputs (--json, --svg, --csv).
pub fn write_sweep_shard<T: serde::Serialize>(
    command: &str,
    argv: &[String],
    shard: Shard,
    start: Instant,
    rows: &T,
) -> Result<i32> {
    let args = shard_argv(argv);
    if args.iter().any(|a| ["--json", "--svg", "--csv"].iter().any(|o| a == o || a.starts_with(&format!("{o}=")))) {
        return Err(Error::input(
            "--json, --svg and --csv report the whole run: give them to `tlcheck merge`, not with --shard",
        ));
    }
    write_shard(command, json!({ "args": args }), shard, start, rows)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| Error::numerical(format!("JSON encoding: {e}")))
}

fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>32} [{bar:30}] {pos}/{len} trials, {elapsed} elapsed, eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn simulate_cmd(name: &str, set: &[String], trials: usize, seed: u64, json: bool) -> Result<i32> {
    let obs = find(name)?;
    let given = set.iter().map(|s| split_assignment(s)).collect::<Result<Vec<_>>>()?;
    let params = obs.resolve(&given)?;
    let start = Instant::now();
    let bar = progress_bar(trials as u64, name);
    let sample = simulate(obs, &params, trials, seed, Some(&bar))?;
    bar.finish_and_clear();
    let elapsed = start.elapsed().as_secs_f64();
    let estimates = sample.outputs.iter().map(|o| Ok((*o, sample.estimate(o)?))).collect::<Result<Vec<_>>>()?;
    if json {
        let outputs: serde_json::Map<String, serde_json::Value> =
            estimates.iter().map(|(o, e)| (o.to_string(), json!(e))).collect();
        let payload = json!({ "observable": name, "trials": trials, "output": estimates[0].0, "outputs": outputs });
        outln!("{}", to_json(&envelope("simulate", Some(seed), json!(params), elapsed, payload))?)?;
    } else {
        outln!("{name} at {params}")?;
        let rows: Vec<Vec<String>> = estimates
            .iter()
            .map(|(o, e)| vec![o.to_string(), format!("{:.6}", e.mean), format!("{:.2e}", e.se)])
            .collect();
        out!("{}", table(&["output", "mean", "se"], &rows))?;
        outln!("{trials} trials, seed {seed}, {elapsed:.2}s")?;
    }
    Ok(0)
}

/// One claim of `tlcheck list --json`: `id`, `title`, `status`, `source`, `expected` (the recorded
/// verdict), `expected_quick` (at the quick precision, when it differs), `reason`, and the whole
/// theorem file as read (`theorem`).
fn list_entry(c: &Claim) -> Result<serde_json::Value> {
    let f = &c.file;
    Ok(json!({
        "id": f.id, "title": f.title, "status": f.status, "source": f.source,
        "expected": f.verdict.expected, "expected_quick": f.verdict.quick, "reason": f.verdict.reason,
        "theorem": serde_json::to_value(f).map_err(|e| Error::numerical(format!("JSON encoding: {e}")))?,
    }))
}

/// The theorem directory a listing read (the directory of its first file).
fn dir_setting(claims: &[Claim]) -> Option<String> {
    claims.first().and_then(|c| c.path.parent()).map(|d| d.display().to_string())
}

/// One observable of `tlcheck observables --json`: parameters with their domain, whether it is
/// integer (such parameters are JSON integers in `settings`), default (typed as in `settings`),
/// meaning and condition; outputs with their meaning.
fn observable_json(o: &dyn crate::observable::Observable) -> serde_json::Value {
    let param = |p: &crate::params::ParamSpec| {
        let integer = matches!(p.kind, crate::params::Kind::Count(..) | crate::params::Kind::CountOrInf(..));
        let default = p.parse(p.default).map_or_else(|_| json!(p.default), |v| json!(v));
        let used_when = p.used_when.map(|(k, v)| json!({ k: v }));
        json!({"name": p.name, "domain": p.domain(), "integer": integer, "default": default, "doc": p.doc, "used_when": used_when})
    };
    json!({
        "name": o.name(), "doc": o.doc(),
        "params": o.params().iter().map(param).collect::<Vec<_>>(),
        "outputs": o.outputs().iter().map(|x| json!({"name": x.name, "doc": x.doc})).collect::<Vec<_>>(),
    })
}

/// Progress of an audit on a terminal bar (hidden when stderr is not a terminal).
struct BarObserver(ProgressBar);

impl Observer for BarObserver {
    fn claim_started(&self, id: &str) {
        self.0.set_message(id.to_string());
    }
    fn trials_done(&self, trials: u64) {
        self.0.inc(trials);
    }
}

/// Report files an audit or check writes besides its output, and the command line that ran it.
struct Files {
    html: Option<PathBuf>,
    svg: Option<PathBuf>,
    command: String,
}

/// Creates (empties) `path` before a run, so that an unwritable path fails at once, not after it.
fn writable(path: &Option<PathBuf>) -> Result<()> {
    match path {
        Some(p) => std::fs::File::create(p).map(drop).map_err(|source| io_error(p, source)),
        None => Ok(()),
    }
}

fn io_error(path: &std::path::Path, source: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source }
}

/// Writes the HTML report and the SVG figure that `files` asks for.
fn write_files(files: &Files, args: &RunArgs, pairs: &[(&Claim, &ClaimOutcome)], elapsed_s: f64) -> Result<()> {
    if let Some(path) = &files.html {
        std::fs::write(path, html_report(pairs, &reproduce(files, args), elapsed_s)?).map_err(|e| io_error(path, e))?;
    }
    if let (Some(path), Some((claim, outcome))) = (&files.svg, pairs.first()) {
        std::fs::write(path, claim_svg(claim, outcome, args.quick)?).map_err(|e| io_error(path, e))?;
    }
    Ok(())
}

/// What reproduces this run (for the HTML report).
fn reproduce(files: &Files, args: &RunArgs) -> Reproduce {
    Reproduce {
        quick: args.quick,
        seed: args.seed,
        theorems: args.dir.theorems.as_ref().map(|d| d.display().to_string()),
        command: files.command.clone(),
    }
}

/// Runs claims; `all_evidence` prints every check's evidence, not only for claims that fail somewhere.
fn audit_cmd(ids: &[String], args: &RunArgs, files: &Files, all_evidence: bool) -> Result<i32> {
    let start = Instant::now();
    let claims = load_dir(&args.dir.theorems.clone().unwrap_or_else(default_dir))?;
    let mut selected: Vec<&Claim> = select(&claims, ids)?;
    if args.shard.is_some() && (files.html.is_some() || files.svg.is_some()) {
        return Err(Error::input(
            "--html and --svg report the whole run: not with --shard (`tlcheck merge --html FILE` writes the report)",
        ));
    }
    writable(&files.html)?;
    writable(&files.svg)?;
    let precision = Precision { quick: args.quick, seed: args.seed };
    let ids: Vec<&str> = selected.iter().map(|c| c.id()).collect();
    let settings = audit_settings(args.quick, args.seed, &ids);
    if let Some(shard) = args.shard {
        selected = shard.select(selected);
    }
    let total: u64 = selected.iter().map(|c| planned_trials(c, &precision)).sum();
    let observer = BarObserver(progress_bar(total, "auditing"));
    let run = Run::new(precision, &observer);
    let reports: Vec<ClaimOutcome> = selected.iter().map(|claim| decide_claim(claim, &run)).collect();
    observer.0.finish_and_clear();
    let pairs: Vec<(&Claim, &ClaimOutcome)> = selected.iter().copied().zip(&reports).collect();
    if let Some(shard) = args.shard {
        return write_shard("audit", settings, shard, start, &merge::AuditPart::of(&pairs, &reproduce(files, args))?);
    }
    write_files(files, args, &pairs, start.elapsed().as_secs_f64())?;
    let command = if all_evidence { "check" } else { "audit" };
    if args.json {
        outln!("{}", to_json(&audit_json(command, &settings, &reports, start.elapsed().as_secs_f64())?)?)?;
    } else {
        out!("{}", audit_table(&reports, all_evidence))?;
    }
    Ok(exit_code(&reports))
}
