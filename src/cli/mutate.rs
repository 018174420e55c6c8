//! `tlcheck mutate`: the checker's power against plausible typos of a claim's printed formula
//! ([`crate::analysis::mutation`]).

use crate::analysis::mutation::{DEFAULT_MAX, PowerReport, mutation_power};
use crate::audit::select;
use crate::claim::{default_dir, load_dir};
use crate::cli::out::{out, outln};
use crate::engine::{Precision, Run, Silent};
use crate::error::{Error, Result};

/// Arguments of `tlcheck mutate`.
#[derive(clap::Args, Debug)]
pub struct MutateArgs {
    /// Claim id (see `tlcheck list`).
    pub claim: String,
    /// Quick precision (fewer trials and sizes, as in `cargo test`).
    #[arg(long)]
    pub quick: bool,
    /// Mutants tested per mutated formula, taken round-robin over typo kinds in a fixed order.
    #[arg(long, default_value_t = DEFAULT_MAX, value_name = "MUTANTS")]
    pub max: usize,
    /// Base random seed (u64); the printed form and every mutant use the same simulation streams.
    #[arg(long, default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
    /// Print JSON: {command, version, seed, settings, elapsed_s, id, printed_verdict, power, not_applicable, generated, tested, rejected, mutants: [...]}.
    #[arg(long)]
    pub json: bool,
    /// Directory of theorem files (default: $TLCHECK_THEOREMS, else ./theorems, else the crate's own).
    #[arg(long, value_name = "DIR")]
    pub theorems: Option<std::path::PathBuf>,
}

/// Runs `tlcheck mutate`; exit code 0 (the power is a measurement, not a pass/fail).
pub fn run(args: &MutateArgs) -> Result<i32> {
    if args.max == 0 {
        return Err(Error::input("--max must be at least 1"));
    }
    let claims = load_dir(&args.theorems.clone().unwrap_or_else(default_dir))?;
    let claim = select(&claims, std::slice::from_ref(&args.claim))?[0];
    let run = Run::new(Precision { quick: args.quick, seed: args.seed }, &Silent);
    let start = std::time::Instant::now();
    let report = mutation_power(claim, &run, args.max)?;
    if args.json {
        let payload = serde_json::to_value(&report).map_err(|e| Error::numerical(e.to_string()))?;
        let settings = serde_json::json!({ "quick": args.quick, "max": args.max });
        let doc = crate::report::envelope("mutate", Some(args.seed), settings, start.elapsed().as_secs_f64(), payload);
        outln!("{}", serde_json::to_string_pretty(&doc).map_err(|e| Error::numerical(e.to_string()))?)?;
    } else {
        out!("{}", text(&report))?;
    }
    Ok(0)
}

fn text(r: &PowerReport) -> String {
    let mut out = format!("{} (printed form: {})\n", r.id, r.printed_verdict);
    let rows: Vec<Vec<String>> = r
        .mutants
        .iter()
        .map(|m| {
            vec![
                if m.rejected { "rejected" } else { "accepted" }.to_string(),
                m.target.clone(),
                m.change.clone(),
                m.formula.clone(),
                m.verdict.map_or_else(|| "-".to_string(), |v| v.to_string()),
            ]
        })
        .collect();
    out += &crate::report::table(&["outcome", "target", "change", "mutant", "verdict"], &rows);
    out += &match (r.power, &r.not_applicable) {
        (Some(p), _) => format!(
            "power: {:.1}% ({} of {} tested mutants rejected; {} non-equivalent mutants generated)\n",
            100.0 * p,
            r.rejected,
            r.tested,
            r.generated
        ),
        (None, why) => format!(
            "power: not applicable ({}); {} of {} tested mutants change the outcome\n",
            why.as_deref().unwrap_or("-"),
            r.rejected,
            r.tested
        ),
    };
    out
}
