//! `tlcheck plot joint-rich`: target test loss and forgetting (rise of the source test loss) against
//! stage-2 time for several stage-2 richnesses gamma2 of the joint-rich network, mean +- se over
//! trials. Each gamma2 is one run of the executor [`observable::simulate`] on `lauditi.joint_rich` with
//! the same seed, so trial t of every gamma2 draws its data and initial network from
//! `trial_rng(seed, t)` and continues from the same stage-1 network (common random numbers); the
//! curves are the observable's `time`, `target_loss` and `forgetting`. This module parses the
//! arguments and renders the table, JSON and SVG.

use crate::cli::out::{out, outln};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::args::{GRID_VALUE, axis_values, envelope, num, parse_grids, resolve_sets, sets_help, settings_json};
use super::{progress_bar, to_json};
use crate::error::{Error, Result};
use crate::observable::{self, Observable, Sample, find};
use crate::params::{ParamSet, ParamSpec, split_assignment};
use crate::plot::{Axis, Figure, Points, write_panels_svg};
use crate::report::table;
use crate::stats::Estimate;

/// Nested subcommands of `tlcheck plot`.
#[derive(Subcommand, Debug)]
pub enum PlotCommand {
    /// Target test loss and forgetting against stage-2 time for several gamma2 (lauditi.joint_rich).
    ///
    /// Left panel: target test MSE along stage 2; right panel: forgetting = source test MSE minus its
    /// value at the end of stage 1. Mean +- standard error over trials; every gamma2 starts from the
    /// same data and stage-1 network in a trial. Also prints the curves as a table (time x gamma2).
    #[command(after_help = plot_help())]
    JointRich(JointPlotArgs),
}

/// The swept axis.
const SWEPT: &[&str] = &["gamma2"];

/// The `--set` table: the parameters of lauditi.joint_rich, with 40 recorded times by default.
fn plot_specs(obs: &dyn Observable) -> Vec<ParamSpec> {
    obs.params().iter().map(|p| if p.name == "points" { ParamSpec { default: "40", ..*p } } else { *p }).collect()
}

fn plot_help() -> String {
    find("lauditi.joint_rich").map_or(String::new(), |o| {
        sets_help("--set names (lauditi.joint_rich; gamma2 is swept; t_early is not drawn):", &plot_specs(o), SWEPT)
    })
}

/// `plot joint-rich` options.
#[derive(Args, Debug)]
pub struct JointPlotArgs {
    /// Write the two-panel figure to this SVG file [default: none].
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Swept stage-2 richness gamma2=RANGE, values >= 0 (0 = features frozen in stage 2)
    /// [default: gamma2=0,0.5,1,2,4]. LO:HI:N = N evenly spaced values, ends included.
    #[arg(long, value_name = GRID_VALUE)]
    pub grid: Vec<String>,
    /// Fixed parameter of lauditi.joint_rich NAME=VALUE (repeatable), listed below with units and
    /// defaults, e.g. d=32, n=500, test=200, gamma1=2, t2=10, points=40, solver=network.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Independent trials (seeds derived from --seed and the trial index) [default: 16].
    #[arg(long, value_name = "TRIALS", default_value_t = 16)]
    pub trials: usize,
    /// Base random seed (u64).
    #[arg(long, value_name = "SEED", default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
    /// Print JSON {command, version, seed, settings, elapsed_s, points: [{at: {gamma2, t}, target_loss,
    /// forgetting}]} instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Mean and se curves of one quantity, `[gamma2][time]`.
struct Bands {
    mean: Vec<Vec<f64>>,
    se: Vec<Vec<f64>>,
}

impl Bands {
    /// Estimates over trials (in trial order) of the curve `name` at each recorded time, one sample
    /// per gamma2.
    fn of(samples: &[Sample], name: &str) -> Result<Bands> {
        let per_gamma = samples.iter().map(|s| s.curve(name)).collect::<Result<Vec<_>>>()?;
        let est =
            |curves: &[Vec<f64>], j: usize| Estimate::from_samples(&curves.iter().map(|c| c[j]).collect::<Vec<_>>());
        let all: Vec<Vec<Estimate>> = per_gamma.iter().map(|c| (0..c[0].len()).map(|j| est(c, j)).collect()).collect();
        Ok(Bands {
            mean: all.iter().map(|r| r.iter().map(|e| e.mean).collect()).collect(),
            se: all.iter().map(|r| r.iter().map(|e| e.se).collect()).collect(),
        })
    }
}

/// What to simulate: the stage-2 richnesses, the parameters as the user gave them (printed), and the
/// parameters of `lauditi.joint_rich` simulated for each gamma2.
struct Plan {
    gammas: Vec<f64>,
    shown: ParamSet,
    runs: Vec<ParamSet>,
}

impl Plan {
    /// Checks the arguments. Each run records exactly the `points` grid and t_early = t2 (the plot
    /// shows no `target_early`; a t_early off the grid would end an Euler step there and move the
    /// trajectory by a discretisation error). The user's parameters, t_early included, are still
    /// checked as the observable would.
    fn from(args: &JointPlotArgs, obs: &dyn Observable) -> Result<Plan> {
        let axes = parse_grids(&args.grid, SWEPT)?;
        let gammas = axis_values(&axes, "gamma2", "0,0.5,1,2,4", false)?;
        if let Some(g) = gammas.iter().find(|g| **g < 0.0) {
            return Err(Error::input(format!("--grid gamma2: gamma2 = {g} must be >= 0")));
        }
        if args.trials < 2 {
            return Err(Error::input(format!("--trials {} must be at least 2 (for standard errors)", args.trials)));
        }
        let shown = resolve_sets(&args.set, &plot_specs(obs), SWEPT)?;
        obs.prepare(&shown, args.seed)?;
        let given = args.set.iter().map(|s| split_assignment(s)).collect::<Result<Vec<_>>>()?;
        let mut base: Vec<(String, String)> =
            given.into_iter().filter(|(k, _)| k != "t_early" && k != "points").collect();
        base.push(("points".into(), shown.size("points")?.to_string()));
        base.push(("t_early".into(), shown.num("t2")?.to_string()));
        let runs = gammas
            .iter()
            .map(|g| obs.resolve(&[&base[..], &[("gamma2".into(), g.to_string())]].concat()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Plan { gammas, shown, runs })
    }

    /// The parameters as printed, without gamma2.
    fn inputs_text(&self) -> String {
        self.shown.to_string().split(' ').filter(|p| !p.starts_with("gamma2=")).collect::<Vec<_>>().join(" ")
    }
}

/// The curves of one plot: recorded times and, per gamma2, target loss and forgetting.
struct Curves {
    times: Vec<f64>,
    target: Bands,
    forgetting: Bands,
}

/// Runs the executor once per gamma2 with the same seed (common random numbers across gamma2).
fn simulate(obs: &dyn Observable, plan: &Plan, args: &JointPlotArgs) -> Result<Curves> {
    let bar = progress_bar((args.trials * plan.gammas.len()) as u64, "joint-rich curves");
    let samples = plan
        .runs
        .iter()
        .map(|p| observable::simulate(obs, p, args.trials, args.seed, Some(&bar)))
        .collect::<Result<Vec<Sample>>>()?;
    bar.finish_and_clear();
    let times = samples[0].curve("time")?.into_iter().next().unwrap_or_default();
    Ok(Curves { times, target: Bands::of(&samples, "target_loss")?, forgetting: Bands::of(&samples, "forgetting")? })
}

/// Runs `tlcheck plot ...`.
pub fn run(cmd: &PlotCommand) -> Result<i32> {
    let PlotCommand::JointRich(args) = cmd;
    let start = Instant::now();
    let obs = find("lauditi.joint_rich")?;
    let plan = Plan::from(args, obs)?;
    let curves = simulate(obs, &plan, args)?;
    if let Some(path) = &args.svg {
        write_figure(args, path, &plan, &curves)?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    if args.json {
        outln!("{}", to_json(&json_doc(args, obs, &plan, &curves, elapsed)?)?)?;
        return Ok(0);
    }
    outln!("lauditi.joint_rich stage-2 curves at {}, {} trials, seed {}", plan.inputs_text(), args.trials, args.seed)?;
    print_tables(&plan.gammas, &curves)?;
    if let Some(path) = &args.svg {
        outln!("wrote {}", path.display())?;
    }
    outln!("{elapsed:.1}s")?;
    Ok(0)
}

/// The JSON document: one point per (gamma2, recorded time) with both estimates.
fn json_doc(args: &JointPlotArgs, obs: &dyn Observable, plan: &Plan, c: &Curves, elapsed: f64) -> Result<Value> {
    let mut settings = settings_json(&plot_specs(obs), &plan.shown, SWEPT)?;
    settings.insert("observable".into(), json!(obs.name()));
    settings.insert("trials".into(), json!(args.trials));
    settings.insert("grid".into(), json!({"gamma2": plan.gammas}));
    let est = |b: &Bands, k: usize, j: usize| -> Result<Value> {
        Ok(json!({"mean": num(b.mean[k][j])?, "se": num(b.se[k][j])?, "trials": args.trials}))
    };
    let mut points = Vec::new();
    for (k, g) in plan.gammas.iter().enumerate() {
        for (j, t) in c.times.iter().enumerate() {
            points.push(json!({"at": {"gamma2": g, "t": t}, "target_loss": est(&c.target, k, j)?,
                               "forgetting": est(&c.forgetting, k, j)?}));
        }
    }
    Ok(envelope("plot joint-rich", Some(args.seed), Value::Object(settings), elapsed, json!({"points": points})))
}

/// The two-panel SVG: target loss and forgetting against stage-2 time.
fn write_figure(args: &JointPlotArgs, path: &std::path::Path, plan: &Plan, curves: &Curves) -> Result<()> {
    let params = &plan.shown;
    let title = |what: &str| {
        format!(
            "{what}: phi = {}, gamma1 = {}, {} -> {}, {} trials",
            params.text("phi").unwrap_or("?"),
            params.num("gamma1").unwrap_or(f64::NAN),
            params.text("source").unwrap_or("?"),
            params.text("target").unwrap_or("?"),
            args.trials
        )
    };
    let (times, gammas) = (&curves.times, &plan.gammas);
    let panels = [
        panel(&title("target loss"), "target test MSE", times, gammas, &curves.target),
        panel(&title("forgetting"), "source test MSE - its value after stage 1", times, gammas, &curves.forgetting),
    ];
    write_panels_svg(&panels, path)
}

/// Both curves as tables (time x gamma2) at about ten of the recorded times, the last included.
fn print_tables(gammas: &[f64], curves: &Curves) -> Result<()> {
    let (times, n) = (&curves.times, curves.times.len());
    let step = (n - 1).div_ceil(10).max(1);
    let rows: Vec<usize> = (0..n).step_by(step).chain((!(n - 1).is_multiple_of(step)).then_some(n - 1)).collect();
    for (what, b) in [("target test MSE", &curves.target), ("forgetting (source test MSE rise)", &curves.forgetting)] {
        outln!("{what}, mean +- se (every {step}-th recorded time; --json for all):")?;
        let mut header = vec!["t".to_string()];
        header.extend(gammas.iter().map(|g| format!("gamma2={g}")));
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|&j| {
                let mut row = vec![format!("{:.3}", times[j])];
                row.extend((0..gammas.len()).map(|k| format!("{:.4} +- {:.4}", b.mean[k][j], b.se[k][j])));
                row
            })
            .collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        out!("{}", table(&header, &body))?;
    }
    Ok(())
}

/// One panel: mean +- se against stage-2 time, one legend entry per gamma2.
fn panel(title: &str, ylabel: &str, times: &[f64], gammas: &[f64], b: &Bands) -> Figure {
    let values = b.mean.iter().zip(&b.se).flat_map(|(m, s)| m.iter().zip(s).flat_map(|(m, s)| [m - s, m + s]));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), v| (a.min(v), c.max(v)));
    let pad = 0.05 * (hi - lo).max(1e-6);
    let points = gammas
        .iter()
        .enumerate()
        .map(|(k, g)| Points {
            label: format!("gamma2 = {g}"),
            points: times.iter().enumerate().map(|(j, &t)| (t, b.mean[k][j], b.se[k][j])).collect(),
        })
        .collect();
    Figure {
        title: title.to_string(),
        x: Axis::new("stage-2 time t (foundation's time units)", 0.0, times[times.len() - 1]),
        y: Axis::new(ylabel, lo - pad, hi + pad),
        heat: None,
        curves: Vec::new(),
        points,
        point_colours: Vec::new(),
    }
}
