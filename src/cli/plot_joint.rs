//! `tlcheck plot joint-rich`: target test loss and forgetting (rise of the source test loss) against
//! stage-2 time for several stage-2 richnesses gamma2 of the joint-rich network, mean +- se over
//! trials. Trial t draws its data and initial network from `trial_rng(seed, t)` exactly as
//! `lauditi.joint_rich` does, and every gamma2 continues from the same draws (common random numbers).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};
use rayon::prelude::*;
use serde_json::json;

use super::args::{PhiArg, linspace, real, without_gamma2};
use super::{progress_bar, to_json};
use crate::error::{Error, Result};
use crate::observable::find;
use crate::observable::lauditi_joint::Setup;
use crate::params::split_assignment;
use crate::plot::{Axis, Figure, Points, write_panels_svg};
use crate::report::table;
use crate::rng::trial_rng;
use crate::sim::lauditi::joint::{Curves, Schedule, simulate};
use crate::stats::Estimate;

/// Nested subcommands of `tlcheck plot`.
#[derive(Subcommand, Debug)]
pub enum PlotCommand {
    /// Target test loss and forgetting against stage-2 time for several gamma2 (lauditi.joint_rich).
    ///
    /// Left panel: target test MSE along stage 2; right panel: forgetting = source test MSE minus its
    /// value at the end of stage 1. Mean +- standard error over trials; every gamma2 starts from the
    /// same data and stage-1 network in a trial. Also prints the curves as a table (time x gamma2).
    JointRich(JointPlotArgs),
}

/// `plot joint-rich` options.
#[derive(Args, Debug)]
pub struct JointPlotArgs {
    /// Write the two-panel figure to this SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: PathBuf,
    /// Stage-2 richnesses gamma2 >= 0, comma-separated (0 = features frozen in stage 2).
    #[arg(long, value_name = "LIST", default_value = "0,0.5,1,2,4", allow_hyphen_values = true)]
    pub gamma2: String,
    /// Hidden activation phi [default: relu, the observable's].
    #[arg(long, value_enum)]
    pub phi: Option<PhiArg>,
    /// Any other parameter of lauditi.joint_rich as NAME=VALUE (repeatable), e.g. d=32, n=500,
    /// test=200, gamma1=2, t2=10 (stage-2 time span, foundation's time units), solver=network; see
    /// `tlcheck observables`. gamma2 comes from --gamma2.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Independent trials (seeds derived from --seed and the trial index).
    #[arg(long, value_name = "K", default_value_t = 16)]
    pub trials: usize,
    /// Recorded stage-2 times: K evenly spaced times from 0 to t2, K >= 2.
    #[arg(long, value_name = "K", default_value_t = 40)]
    pub points: usize,
    /// Base random seed (u64).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON: {observable, params, gamma2, times, target: [{mean, se} per gamma2], forgetting,
    /// trials, seed, elapsed_s} (means and ses as arrays over times).
    #[arg(long)]
    pub json: bool,
}

/// Mean and se curves of one quantity, `[gamma2][time]`.
struct Bands {
    mean: Vec<Vec<f64>>,
    se: Vec<Vec<f64>>,
}

impl Bands {
    /// Estimates over trials of `value(curves, time index)`; `runs[trial][gamma2]`.
    fn of(runs: &[Vec<Curves>], times: usize, value: impl Fn(&Curves, usize) -> f64) -> Bands {
        let gammas = runs[0].len();
        let est =
            |k: usize, j: usize| Estimate::from_samples(&runs.iter().map(|r| value(&r[k], j)).collect::<Vec<_>>());
        let all: Vec<Vec<Estimate>> = (0..gammas).map(|k| (0..times).map(|j| est(k, j)).collect()).collect();
        Bands {
            mean: all.iter().map(|r| r.iter().map(|e| e.mean).collect()).collect(),
            se: all.iter().map(|r| r.iter().map(|e| e.se).collect()).collect(),
        }
    }

    fn json(&self) -> serde_json::Value {
        json!(self.mean.iter().zip(&self.se).map(|(m, s)| json!({"mean": m, "se": s})).collect::<Vec<_>>())
    }
}

fn gamma_list(text: &str) -> Result<Vec<f64>> {
    let bad = |why: String| Error::input(format!("--gamma2 {text:?}: {why}"));
    let list = text
        .split(',')
        .map(|g| match real(g) {
            Ok(x) if x >= 0.0 => Ok(x),
            Ok(x) => Err(bad(format!("gamma2 = {x} must be >= 0"))),
            Err(e) => Err(bad(e)),
        })
        .collect::<Result<Vec<f64>>>()?;
    if list.iter().enumerate().any(|(i, g)| list[..i].contains(g)) {
        return Err(bad("values repeat".into()));
    }
    Ok(list)
}

/// Runs `tlcheck plot ...`.
pub fn run(cmd: &PlotCommand) -> Result<i32> {
    let PlotCommand::JointRich(args) = cmd;
    let start = Instant::now();
    let gammas = gamma_list(&args.gamma2)?;
    if args.points < 2 {
        return Err(Error::input(format!("--points {} must be at least 2", args.points)));
    }
    if args.trials < 2 {
        return Err(Error::input(format!("--trials {} must be at least 2 (for standard errors)", args.trials)));
    }
    let mut given = args.set.iter().map(|s| split_assignment(s)).collect::<Result<Vec<_>>>()?;
    if given.iter().any(|(k, _)| k == "gamma2") {
        return Err(Error::input("gamma2 is set by --gamma2 LIST, not --set"));
    }
    if let Some(phi) = args.phi {
        given.push(("phi".into(), phi.name().into()));
    }
    let obs = find("lauditi.joint_rich")?;
    let params = obs.resolve(&given)?;
    let setup = Setup::from(&params)?;
    let mut times = linspace(0.0, setup.schedule.t2, args.points);
    if let Some(last) = times.last_mut() {
        *last = setup.schedule.t2; // linspace rounds; stage 2 ends exactly at t2
    }
    let schedules: Vec<Schedule> =
        gammas.iter().map(|&gamma2| Schedule { gamma2, record: times.clone(), ..setup.schedule.clone() }).collect();
    schedules.iter().try_for_each(Schedule::validate)?;
    let bar = progress_bar((args.trials * gammas.len()) as u64, "joint-rich curves");
    faer::set_global_parallelism(faer::Par::Seq);
    let runs = (0..args.trials as u64)
        .into_par_iter()
        .map(|t| {
            let mut rng = trial_rng(args.seed, t);
            let data = setup.pair.sample(&mut rng)?;
            schedules
                .iter()
                .map(|s| {
                    let c = simulate(&data, setup.phi, s, setup.solver, &mut rng.clone())?;
                    let finite = c.target_loss.iter().chain(&c.source_loss).all(|x| x.is_finite());
                    if !finite || !c.source_after_stage1.is_finite() {
                        return Err(Error::numerical(format!(
                            "non-finite loss in trial {t} at gamma2 = {} ({params}); try a smaller eta0",
                            s.gamma2
                        )));
                    }
                    bar.inc(1);
                    Ok(c)
                })
                .collect::<Result<Vec<Curves>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();
    let n = times.len();
    let target = Bands::of(&runs, n, |c, j| c.target_loss[j]);
    let forgetting = Bands::of(&runs, n, |c, j| c.source_loss[j] - c.source_after_stage1);
    let title = |what: &str| {
        format!(
            "{what}: phi = {}, gamma1 = {}, {} -> {}, {} trials",
            params.text("phi").unwrap_or("?"),
            setup.schedule.gamma1,
            params.text("source").unwrap_or("?"),
            params.text("target").unwrap_or("?"),
            args.trials
        )
    };
    let panels = [
        panel(&title("target loss"), "target test MSE", &times, &gammas, &target),
        panel(&title("forgetting"), "source test MSE - its value after stage 1", &times, &gammas, &forgetting),
    ];
    write_panels_svg(&panels, &args.svg)?;
    let elapsed = start.elapsed().as_secs_f64();
    let (inputs_text, inputs) = without_gamma2(&params)?;
    if args.json {
        let doc = json!({
            "observable": obs.name(), "params": inputs, "gamma2": gammas, "times": times,
            "target": target.json(), "forgetting": forgetting.json(),
            "trials": args.trials, "seed": args.seed, "svg": args.svg, "elapsed_s": elapsed,
        });
        println!("{}", to_json(&doc)?);
        return Ok(0);
    }
    println!("lauditi.joint_rich stage-2 curves at {inputs_text}, {} trials, seed {}", args.trials, args.seed);
    let step = (n - 1).div_ceil(10).max(1);
    let rows: Vec<usize> = (0..n).step_by(step).chain((!(n - 1).is_multiple_of(step)).then_some(n - 1)).collect();
    for (what, b) in [("target test MSE", &target), ("forgetting (source test MSE rise)", &forgetting)] {
        println!("{what}, mean +- se (every {step}-th recorded time; --json for all):");
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
        print!("{}", table(&header, &body));
    }
    println!("wrote {} ({elapsed:.1}s)", args.svg.display());
    Ok(0)
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
    }
}
