//! `tlcheck experiment cifar`: the regression transfer experiment on real images (Lauditi et al.,
//! experiments of claim 6): target test loss against the number P2 of target training images for
//! several source richnesses gamma1, each point the mean +- standard error over trials of the
//! observable `lauditi.real_transfer`. Every (gamma1, P2) uses the same trial seeds, so at a given P2
//! the curves share their splits and initial draws (common random numbers). The experiment itself is
//! [`crate::analysis::experiment::real_transfer`]; this module parses, prints and draws.

use crate::cli::out::{out, outln};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::{progress_bar, to_json};
use crate::analysis::experiment::{REAL_TRANSFER, RealTransferCurves, RealTransferRequest, real_transfer};
use crate::error::{Error, Result};
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

/// Activation of the hidden layer.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhiArg {
    Identity,
    Relu,
    Tanh,
}

/// Hidden-layer representation.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SolverArg {
    /// Finite-width network of width --n.
    Network,
    /// DMFT single-site population of --n neurons.
    Dmft,
}

/// `experiment cifar` options.
#[derive(Args, Debug)]
pub struct CifarArgs {
    /// Images: a CIFAR-10 binary directory (data_batch_1.bin .. data_batch_5.bin, test_batch.bin), one
    /// CIFAR-10 .bin file, or a CSV file with header `label,p0,p1,..` (e.g. 8 x 8 digits).
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// Target training-set sizes P2 (images), comma-separated.
    #[arg(long, value_name = "LIST", default_value = "5,10,20,40,80")]
    pub p2: String,
    /// Source richnesses gamma1 (> 0, unit-coefficient convention), comma-separated: one curve each.
    #[arg(long, value_name = "LIST", default_value = "0.1,1,4")]
    pub gamma1: String,
    /// Target richness gamma2 (>= 0; 0 = fine-tuning on frozen features) [default: 0].
    #[arg(long, value_name = "X")]
    pub gamma2: Option<f64>,
    /// Hidden-layer activation.
    #[arg(long, value_enum, default_value = "relu")]
    pub phi: PhiArg,
    /// Source class pair PLUS,MINUS (labels +1, -1).
    #[arg(long, value_name = "A,B", default_value = "0,1")]
    pub source: String,
    /// Target class pair PLUS,MINUS (labels +1, -1).
    #[arg(long, value_name = "A,B", default_value = "0,9")]
    pub target: String,
    /// Source training images P1 [default: the observable's, 50].
    #[arg(long, value_name = "N")]
    pub p1: Option<u64>,
    /// Network width N or DMFT population M [default: the observable's, 128].
    #[arg(long, value_name = "N")]
    pub n: Option<u64>,
    /// Hidden-layer representation.
    #[arg(long, value_enum, default_value = "network")]
    pub solver: SolverArg,
    /// Stage-1 (source) training time, joint engine time units [default: the observable's, 10].
    #[arg(long, value_name = "T")]
    pub t1: Option<f64>,
    /// Stage-2 (target) training time, joint engine time units [default: the observable's, 10].
    #[arg(long, value_name = "T")]
    pub t2: Option<f64>,
    /// Independent trials (split + initialisation) per point.
    #[arg(long, value_name = "K", default_value_t = 20)]
    pub trials: usize,
    /// Base random seed (u64); every point uses the same trial seeds.
    #[arg(long, default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
    /// Print JSON: {data, phi, gamma2, trials, seed, p2, curves: [{gamma1, mean, se}], elapsed_s}.
    #[arg(long)]
    pub json: bool,
    /// Draw the curves (loss vs P2, error bars = 1 se) to this SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// Runs `tlcheck experiment ...`.
pub fn run(command: &ExperimentCommand) -> Result<i32> {
    match command {
        ExperimentCommand::Cifar(args) => cifar(args),
    }
}

/// Comma-separated list of values parsed by `parse`.
fn list<T>(text: &str, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>> {
    let values: Option<Vec<T>> = text.split(',').map(|s| parse(s.trim())).collect();
    match values {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(Error::input(format!("{what} {text:?}: expected a comma-separated list"))),
    }
}

fn pair(text: &str, what: &str) -> Result<[String; 2]> {
    let v = list(text, what, |s| s.parse::<u8>().ok())?;
    match v.as_slice() {
        [a, b] => Ok([a.to_string(), b.to_string()]),
        _ => Err(Error::input(format!("{what} {text:?}: expected two classes A,B"))),
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
        outln!("{}", to_json(&json_doc(args, &req, &curves, elapsed)?)?)?;
    } else {
        print_table(&req, &curves, elapsed)?;
    }
    if let Some(path) = &args.svg {
        write_svg(&figure(args, &req, &curves), path)?;
        if !args.json {
            outln!("wrote {}", path.display())?;
        }
    }
    Ok(0)
}

fn phi_name(phi: PhiArg) -> &'static str {
    match phi {
        PhiArg::Identity => "identity",
        PhiArg::Relu => "relu",
        PhiArg::Tanh => "tanh",
    }
}

/// Parses the lists and class pairs into the experiment's request.
fn request(args: &CifarArgs) -> Result<RealTransferRequest> {
    let p2s = list(&args.p2, "--p2", |s| s.parse::<u64>().ok().filter(|&p| p >= 1))?;
    let gammas = list(&args.gamma1, "--gamma1", |s| s.parse::<f64>().ok().filter(|g| g.is_finite() && *g > 0.0))?;
    if args.trials < 2 {
        return Err(Error::input("--trials must be at least 2 (a standard error needs two trials)"));
    }
    let [sp, sm] = pair(&args.source, "--source")?;
    let [tp, tm] = pair(&args.target, "--target")?;
    let solver = match args.solver {
        SolverArg::Network => "network",
        SolverArg::Dmft => "dmft",
    };
    let mut base: Vec<(String, String)> = vec![
        ("data".into(), args.data.display().to_string()),
        ("phi".into(), phi_name(args.phi).into()),
        ("solver".into(), solver.into()),
        ("source_plus".into(), sp),
        ("source_minus".into(), sm),
        ("target_plus".into(), tp),
        ("target_minus".into(), tm),
    ];
    let optional = [
        ("gamma2", args.gamma2.map(|v| v.to_string())),
        ("p1", args.p1.map(|v| v.to_string())),
        ("n", args.n.map(|v| v.to_string())),
        ("t1", args.t1.map(|v| v.to_string())),
        ("t2", args.t2.map(|v| v.to_string())),
    ];
    base.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))));
    Ok(RealTransferRequest { base, gammas, p2s, trials: args.trials, seed: args.seed })
}

/// {data, phi, gamma2, trials, seed, p2, curves: [{gamma1, mean, se}], elapsed_s, output, observable}.
fn json_doc(args: &CifarArgs, req: &RealTransferRequest, c: &RealTransferCurves, elapsed: f64) -> Result<Value> {
    let n = req.p2s.len();
    let curves: Vec<_> = req
        .gammas
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            json!({
                "gamma1": g,
                "mean": (0..n).map(|pi| c.at(gi, pi).mean).collect::<Vec<_>>(),
                "se": (0..n).map(|pi| c.at(gi, pi).se).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "data": args.data.display().to_string(), "phi": phi_name(args.phi), "gamma2": c.params[0].num("gamma2")?,
        "trials": req.trials, "seed": req.seed, "p2": req.p2s, "curves": curves, "elapsed_s": elapsed,
        "output": "loss", "observable": REAL_TRANSFER,
    }))
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
fn figure(args: &CifarArgs, req: &RealTransferRequest, c: &RealTransferCurves) -> Figure {
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
    Figure {
        title: format!("Real-data transfer ({}): target test loss vs P2", phi_name(args.phi)),
        x: Axis::new("P2 (target training images)", xmin - xpad, xmax + xpad),
        y: Axis::new("target test MSE", (lo - pad).max(0.0), hi + pad),
        heat: None,
        curves: Vec::new(),
        points,
        point_colours: Vec::new(),
    }
}
