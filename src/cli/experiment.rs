//! `tlcheck experiment cifar`: the regression transfer experiment on real images (Lauditi et al.,
//! experiments of claim 6): target test loss against the number P2 of target training images for
//! several source richnesses gamma1, each point the mean +- standard error over trials of the
//! observable `lauditi.real_transfer`. Every (gamma1, P2) uses the same trial seeds, so at a given P2
//! the curves share their splits and initial draws (common random numbers). The experiment itself is
//! [`crate::analysis::experiment::real_transfer`]; this module parses, prints and draws.

use crate::cli::out::{out, outln};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::args::{
    GRID_VALUE, axis_values, envelope, estimate_json, parse_grids, resolve_sets, sets_help, settings_json,
};
use super::{progress_bar, to_json};
use crate::analysis::experiment::{REAL_TRANSFER, RealTransferCurves, RealTransferRequest, real_transfer};
use crate::error::{Error, Result};
use crate::observable::find;
use crate::params::{ParamSpec, split_assignment};
use crate::plot::{Axis, Figure, Points, write_svg};
use crate::report::table;

/// Nested subcommands of `tlcheck experiment`.
#[derive(Subcommand, Debug)]
pub enum ExperimentCommand {
    /// Real-data transfer: target test loss vs P2 for each gamma1 (source classes 0,1 -> target 0,9).
    ///
    /// A two-layer muP network (observable lauditi.real_transfer) is trained on the source class pair
    /// (labels +1/-1) with richness gamma1, then fine-tuned on P2 images of the target pair (readout reset,
    /// richness gamma2). Inputs are grey-scale (CIFAR-10: 0.299 R + 0.587 G + 0.114 B), centred per pixel and
    /// scaled so that the mean |x|^2 is D. Losses are test mean squared errors on +-1 labels (1 = the zero
    /// predictor). Nothing is downloaded: --data must point at files on disk.
    Cifar(CifarArgs),
}

/// The swept axes (`--grid`); the images come from `--data`.
const SWEPT: &[&str] = &["gamma1", "p2"];

/// The `--set` table: the parameters of lauditi.real_transfer but `data` (given by --data).
fn specs() -> Vec<ParamSpec> {
    find(REAL_TRANSFER).map_or(Vec::new(), |o| o.params().iter().filter(|p| p.name != "data").copied().collect())
}

fn cifar_help() -> String {
    sets_help("--set names (lauditi.real_transfer; gamma1 and p2 are swept, data is --data):", &specs(), SWEPT)
}

/// `experiment cifar` options.
#[derive(Args, Debug)]
#[command(after_help = cifar_help())]
pub struct CifarArgs {
    /// Images: a CIFAR-10 binary directory (data_batch_1.bin .. data_batch_5.bin, test_batch.bin), one
    /// CIFAR-10 .bin file, or a CSV file with header `label,p0,..` (e.g. 8 x 8 digits).
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// Swept axis NAME=RANGE (repeatable): p2 = target training images (whole numbers; default
    /// 5,10,20,40,80) and gamma1 = source richness (> 0, one curve each; default 0.1,1,4).
    #[arg(long, value_name = GRID_VALUE)]
    pub grid: Vec<String>,
    /// Fixed parameter of lauditi.real_transfer NAME=VALUE (repeatable), listed below with units and
    /// defaults, e.g. gamma2=0.5, phi=tanh, n=64, t1=2, source_plus=3.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Independent trials (split + initialisation) per point [default: 20].
    #[arg(long, value_name = "TRIALS", default_value_t = 20)]
    pub trials: usize,
    /// Base random seed (u64); every point uses the same trial seeds.
    #[arg(long, value_name = "SEED", default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
    /// Print JSON {command, version, seed, settings, elapsed_s, points: [{at: {gamma1, p2}, loss}]}.
    #[arg(long)]
    pub json: bool,
    /// Draw the curves (loss vs P2, error bars = 1 se) to this SVG file [default: none].
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// Runs `tlcheck experiment ...`.
pub fn run(command: &ExperimentCommand) -> Result<i32> {
    match command {
        ExperimentCommand::Cifar(args) => cifar(args),
    }
}

fn cifar(args: &CifarArgs) -> Result<i32> {
    let start = Instant::now();
    let req = request(args)?;
    let bar = progress_bar(req.trials_run() as u64, "experiment cifar");
    let curves = real_transfer(&req, Some(&bar));
    bar.finish_and_clear();
    let curves = curves?;
    let elapsed = start.elapsed().as_secs_f64();
    if args.json {
        outln!("{}", to_json(&json_doc(&req, &curves, elapsed)?)?)?;
    } else {
        print_table(&req, &curves, elapsed)?;
    }
    if let Some(path) = &args.svg {
        write_svg(&figure(&req, &curves)?, path)?;
        if !args.json {
            outln!("wrote {}", path.display())?;
        }
    }
    Ok(0)
}

/// Parses the grids and settings into the experiment's request.
fn request(args: &CifarArgs) -> Result<RealTransferRequest> {
    let axes = parse_grids(&args.grid, SWEPT)?;
    let p2s = axis_values(&axes, "p2", "5,10,20,40,80", false)?;
    if let Some(p) = p2s.iter().find(|p| p.fract() != 0.0 || **p < 1.0) {
        return Err(Error::input(format!("--grid p2: P2 = {p} must be a whole number >= 1")));
    }
    let gammas = axis_values(&axes, "gamma1", "0.1,1,4", false)?;
    if let Some(g) = gammas.iter().find(|g| **g <= 0.0) {
        return Err(Error::input(format!("--grid gamma1: gamma1 = {g} must be > 0")));
    }
    if args.trials < 2 {
        return Err(Error::input("--trials must be at least 2 (a standard error needs two trials)"));
    }
    resolve_sets(&args.set, &specs(), SWEPT)?;
    let mut base = args.set.iter().map(|s| split_assignment(s)).collect::<Result<Vec<_>>>()?;
    base.push(("data".into(), args.data.display().to_string()));
    let p2s = p2s.into_iter().map(|p| p as u64).collect();
    Ok(RealTransferRequest { base, gammas, p2s, trials: args.trials, seed: args.seed })
}

/// The JSON document: settings (every parameter but the swept ones), one point per (gamma1, P2).
fn json_doc(req: &RealTransferRequest, c: &RealTransferCurves, elapsed: f64) -> Result<Value> {
    let obs = find(REAL_TRANSFER)?;
    let mut settings = settings_json(obs.params(), &c.params[0], SWEPT)?;
    settings.insert("observable".into(), json!(REAL_TRANSFER));
    settings.insert("output".into(), json!("loss"));
    settings.insert("trials".into(), json!(req.trials));
    settings.insert("grid".into(), json!({"gamma1": req.gammas, "p2": req.p2s}));
    let mut points = Vec::new();
    for (gi, g) in req.gammas.iter().enumerate() {
        for (pi, p) in req.p2s.iter().enumerate() {
            points.push(json!({"at": {"gamma1": g, "p2": p}, "loss": estimate_json(&c.at(gi, pi))?}));
        }
    }
    Ok(envelope("experiment cifar", Some(req.seed), Value::Object(settings), elapsed, json!({"points": points})))
}

/// The table P2 x gamma1 of mean +- se.
fn print_table(req: &RealTransferRequest, c: &RealTransferCurves, elapsed: f64) -> Result<()> {
    outln!("target test loss (MSE on +-1 labels; 1 = zero predictor), mean +- se over {} trials", req.trials)?;
    outln!("at {} (gamma1, p2 varied)", c.params[0])?;
    let mut header = vec!["P2".to_string()];
    header.extend(req.gammas.iter().map(|g| format!("gamma1={g}")));
    let rows: Vec<Vec<String>> = req
        .p2s
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let mut row = vec![p.to_string()];
            row.extend((0..req.gammas.len()).map(|gi| format!("{:.4} +- {:.4}", c.at(gi, pi).mean, c.at(gi, pi).se)));
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out!("{}", table(&header, &rows))?;
    outln!("seed {}, {elapsed:.1}s", req.seed)?;
    Ok(())
}

/// Loss against P2, one series per gamma1, error bars = 1 se.
fn figure(req: &RealTransferRequest, c: &RealTransferCurves) -> Result<Figure> {
    let p2s = &req.p2s;
    let points: Vec<Points> = req
        .gammas
        .iter()
        .enumerate()
        .map(|(gi, g)| Points {
            label: format!("gamma1 = {g}"),
            points: p2s.iter().enumerate().map(|(pi, &p)| (p as f64, c.at(gi, pi).mean, c.at(gi, pi).se)).collect(),
        })
        .collect();
    let ys = c.estimates.iter().flat_map(|e| [e.mean - e.se, e.mean + e.se]);
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let pad = 0.05 * (hi - lo).max(1e-3);
    let (xmin, xmax) = (p2s.iter().min().copied().unwrap_or(1) as f64, p2s.iter().max().copied().unwrap_or(1) as f64);
    let xpad = 0.05 * (xmax - xmin).max(1.0);
    Ok(Figure {
        title: format!("Real-data transfer ({}): target test loss vs P2", c.params[0].text("phi")?),
        x: Axis::new("P2 (target training images)", xmin - xpad, xmax + xpad),
        y: Axis::new("target test MSE", (lo - pad).max(0.0), hi + pad),
        heat: None,
        curves: Vec::new(),
        points,
        point_colours: Vec::new(),
    })
}
