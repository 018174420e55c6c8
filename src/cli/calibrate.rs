//! `tlcheck calibrate`: the audit's verdicts over many seeds ([`crate::analysis::calibration`]).

use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;

use super::{BarObserver, DEFAULT_SEED, progress_bar, to_json, write_shard};
use crate::analysis::calibration::{
    Calibration, ClaimCalibration, allowed_mismatches, calibrate, jobs, run_jobs, seed_range,
};
use crate::analysis::shard::Shard;
use crate::audit::{planned_trials, select};
use crate::claim::{default_dir, load_dir};
use crate::cli::out::{out, outln};
use crate::engine::Precision;
use crate::error::Result;
use crate::outcome::Verdict;
use crate::report::{envelope, table};

/// Arguments of `tlcheck calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// Claim ids (default: every claim in the theorem directory).
    pub claims: Vec<String>,
    /// Number N of seeds: every claim is decided at seeds S, S+1, ..., S+N-1 (N >= 1). A claim is
    /// stable when at most one of the N seeds disagrees with its recorded verdict (none when N = 1).
    #[arg(long, value_name = "COUNT")]
    pub seeds: usize,
    /// First seed S (u64); the default is the audit's default seed, so seed S reproduces `audit`.
    #[arg(long, value_name = "SEED", default_value_t = DEFAULT_SEED)]
    pub first_seed: u64,
    /// Quick precision (fewer trials and sizes, as in `cargo test`) at every seed.
    #[arg(long)]
    pub quick: bool,
    /// Run only shard K of N (e.g. 2/8) of the (claim, seed) runs, dealt round-robin claim by claim,
    /// seed by seed; writes a shard file (JSON) to standard output; `tlcheck merge` combines them.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Print JSON: {command, version, seed (the first), settings: {quick, seeds}, elapsed_s, claims: [{id, expected, counts: {holds, regime-limited, refuted,
    /// inconclusive, error}, matching: {count, of, rate, se, ci95}, stable, holds_refuted, max_abs_z: {min,
    /// median, max}, elapsed_s, seeds: [{seed, verdict, max_abs_z, elapsed_s}]}], stable,
    /// holds_refuted, passed} (times in seconds).
    #[arg(long)]
    pub json: bool,
    /// Directory of theorem files (default: $TLCHECK_THEOREMS, else ./theorems, else the crate's own);
    /// `tests/calibration` holds synthetic claims whose truth is known by construction.
    #[arg(long, value_name = "DIR")]
    pub theorems: Option<PathBuf>,
}

/// Runs `tlcheck calibrate`: exit code 0 when every claim is stable and no claim recorded as holding
/// is ever refuted, else 1.
pub fn run(args: &CalibrateArgs) -> Result<i32> {
    let start = Instant::now();
    let seeds = seed_range(args.first_seed, args.seeds)?;
    let claims = load_dir(&args.theorems.clone().unwrap_or_else(default_dir))?;
    let selected = select(&claims, &args.claims)?;
    let precision = Precision { quick: args.quick, seed: args.first_seed };
    let total: u64 = selected.iter().map(|c| planned_trials(c, &precision)).sum::<u64>() * seeds.len() as u64;
    let observer = BarObserver(progress_bar(total, "calibrating"));
    if let Some(shard) = args.shard {
        let expected: Vec<(&str, Verdict)> = selected.iter().map(|c| (c.id(), c.file.verdict.at(args.quick))).collect();
        let settings = json!({ "quick": args.quick, "seeds": seeds, "expected": expected });
        let runs = run_jobs(&shard.select(jobs(&selected, &seeds)), args.quick, &observer);
        observer.0.finish_and_clear();
        return write_shard("calibrate", settings, shard, start, &runs?);
    }
    let result = calibrate(&selected, &seeds, args.quick, &observer);
    observer.0.finish_and_clear();
    let calibration = result?;
    print_calibration(&calibration, args.json)?;
    Ok(calibration_exit_code(&calibration))
}

/// Prints a calibration (table or JSON).
pub fn print_calibration(c: &Calibration, json: bool) -> Result<()> {
    if json { outln!("{}", to_json(&calibration_json(c)?)?) } else { out!("{}", text(c)) }
}

/// A calibration as JSON: the envelope (`seed` the first seed; `settings` {quick, seeds: N}) with
/// `claims`, `stable`, `holds_refuted`, `passed`.
fn calibration_json(c: &Calibration) -> Result<serde_json::Value> {
    let mut payload =
        serde_json::to_value(c).map_err(|e| crate::error::Error::numerical(format!("JSON encoding: {e}")))?;
    if let Some(fields) = payload.as_object_mut() {
        for key in ["quick", "seeds", "elapsed_s"] {
            fields.remove(key);
        }
    }
    let settings = json!({ "quick": c.quick, "seeds": c.seeds.len() });
    Ok(envelope("calibrate", c.seeds.first().copied(), settings, c.elapsed_s, payload))
}

/// 0 when every claim is stable and no claim recorded as holding is ever refuted, else 1.
pub fn calibration_exit_code(c: &Calibration) -> i32 {
    if c.passed { 0 } else { 1 }
}

fn text(c: &Calibration) -> String {
    let n = c.seeds.len();
    let (first, last) = (c.seeds[0], c.seeds[n - 1]);
    let precision = if c.quick { "quick" } else { "default" };
    let mut out = format!("calibration over {n} seeds ({first}..={last}), {precision} precision\n");
    let rows: Vec<Vec<String>> = c.claims.iter().map(row).collect();
    out += &table(
        &[
            "claim",
            "recorded",
            "holds",
            "regime-limited",
            "refuted",
            "inconclusive",
            "as recorded",
            "rate +- se",
            "95% CI",
            "max|z| min/median/max",
            "time",
        ],
        &rows,
    );
    out += &format!(
        "\n{} of {} claims stable (as recorded on >= {} of {n} seeds); {} recorded-holds claims ever refuted{}\n",
        c.stable,
        c.claims.len(),
        n - allowed_mismatches(n),
        c.holds_refuted.len(),
        if c.holds_refuted.is_empty() { String::new() } else { format!(": {}", c.holds_refuted.join(", ")) },
    );
    out += &format!("calibration: {} ({:.1}s)\n", if c.passed { "passed" } else { "FAILED" }, c.elapsed_s);
    out
}

fn row(c: &ClaimCalibration) -> Vec<String> {
    let count = |v: Verdict| c.counts.get(v).to_string();
    let m = &c.matching;
    vec![
        format!("{}{}", c.id, if c.stable { "" } else { " (!)" }),
        c.expected.to_string(),
        count(Verdict::Holds),
        count(Verdict::RegimeLimited),
        count(Verdict::Refuted),
        count(Verdict::Inconclusive),
        format!("{}/{}", m.count, m.of),
        format!("{:.3} +- {:.3}", m.rate, m.se),
        format!("[{:.3}, {:.3}]", m.ci95.0, m.ci95.1),
        c.max_abs_z.map_or_else(|| "-".into(), |s| format!("{:.2} / {:.2} / {:.2}", s.min, s.median, s.max)),
        format!("{:.2}s", c.elapsed_s),
    ]
}
