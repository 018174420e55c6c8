//! `tlcheck optimize richness --stage target`: the optimal stage-2 richness gamma2* of the joint-rich
//! network (`lauditi.joint_rich`), located by the same simulated optimiser as gamma1*
//! ([`crate::optimize::minimize_simulated`]: log grid, common random numbers across gamma2, parabola refinement in
//! log gamma2, percentile bootstrap over trials; a minimum at the grid's top end is unbounded).

use std::time::Instant;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::richness::{RichnessArgs, VariantArg, real};
use super::{progress_bar, to_json};
use crate::error::{Error, Result};
use crate::optimize::{Location, LogGrid, SimOptimum, SimTarget};
use crate::params::{ParamSet, split_assignment};
use crate::plot::{Axis, Curve, Figure, Points, write_svg};
use crate::report::table;

/// Which richness `optimize richness` optimises.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum Stage {
    /// gamma1* of pre-training (fine-tuning on the frozen kernel; closed forms or --simulate).
    Source,
    /// gamma2* of stage 2 of `lauditi.joint_rich` (always simulated).
    Target,
}

/// Loss minimised over gamma2 (an output of `lauditi.joint_rich`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum Objective {
    /// Target test MSE at the end of stage 2 (time t2).
    TargetLoss,
    /// Target plus source test MSE at the end of stage 2 (target loss and forgetting together).
    Joint,
    /// Target test MSE at the early stage-2 time t_early.
    TargetEarly,
}

impl Objective {
    fn output(self) -> &'static str {
        match self {
            Objective::TargetLoss => "target_loss",
            Objective::Joint => "joint",
            Objective::TargetEarly => "target_early",
        }
    }
}

/// Hidden activation of the joint-rich network.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum PhiArg {
    Identity,
    Relu,
    Tanh,
}

impl PhiArg {
    /// The observable's name of the activation.
    pub fn name(self) -> &'static str {
        match self {
            PhiArg::Identity => "identity",
            PhiArg::Relu => "relu",
            PhiArg::Tanh => "tanh",
        }
    }
}

/// Options of `optimize richness --stage target` (refused with --stage source).
#[derive(Args, Debug)]
#[command(next_help_heading = "Stage target (gamma2* of lauditi.joint_rich)")]
pub struct TargetArgs {
    /// Loss minimised over gamma2 [default: target_loss].
    #[arg(long, value_enum)]
    pub objective: Option<Objective>,
    /// Hidden activation phi [default: relu, the observable's].
    #[arg(long, value_enum)]
    pub phi: Option<PhiArg>,
    /// Stage-1 richness gamma1 > 0 [default: 2, the observable's].
    #[arg(long, value_name = "G", value_parser = real, allow_hyphen_values = true)]
    pub gamma1: Option<f64>,
    /// Log-spaced gamma2 range LO,HI with 0 < LO < HI [default: 0.125,8]; gamma2 >= 5 needs many
    /// Euler steps (slow).
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    pub gamma2_range: Option<String>,
    /// Number of gamma2 grid points, >= 3 [default: 7, i.e. factors of 2 over 0.125..8].
    #[arg(long, value_name = "N")]
    pub gamma2_points: Option<usize>,
    /// Any other parameter of lauditi.joint_rich as NAME=VALUE (repeatable), e.g. n=500, test=200,
    /// t2=10, solver=network, target=he2; see `tlcheck observables`. gamma2 is swept, not set.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

impl TargetArgs {
    /// Refuses stage-target options given with --stage source.
    pub fn refuse_for_source(&self) -> Result<()> {
        let given = [
            ("--objective", self.objective.is_some()),
            ("--phi", self.phi.is_some()),
            ("--gamma1", self.gamma1.is_some()),
            ("--gamma2-range", self.gamma2_range.is_some()),
            ("--gamma2-points", self.gamma2_points.is_some()),
            ("--set", !self.set.is_empty()),
        ];
        match given.iter().find(|(_, g)| *g) {
            Some((name, _)) => Err(Error::input(format!("{name} only applies with --stage target"))),
            None => Ok(()),
        }
    }

    /// The gamma2 grid.
    fn grid(&self) -> Result<LogGrid> {
        let text = self.gamma2_range.as_deref().unwrap_or("0.125,8");
        let bad = || Error::input(format!("--gamma2-range {text:?}: expected LO,HI with 0 < LO < HI < inf"));
        let (lo, hi) = text.split_once(',').ok_or_else(bad)?;
        let (lo, hi) = (real(lo).map_err(|_| bad())?, real(hi).map_err(|_| bad())?);
        if !(lo > 0.0 && hi > lo) {
            return Err(bad());
        }
        let n = self.gamma2_points.unwrap_or(7);
        if n < 3 {
            return Err(Error::input(format!("--gamma2-points {n} must be at least 3")));
        }
        LogGrid::new(lo, hi, n)
    }
}

/// Every parameter of `lauditi.joint_rich` except the swept gamma2.
const JOINT_PARAMS: &[&str] = &[
    "d", "gamma1", "nu1", "nu2", "alpha_s", "source", "target", "sigma_s", "sigma", "phi", "t1", "t2", "t_early",
    "solver", "n", "test", "eta0", "readout",
];

/// The stage-2 sweep: gamma2 of `lauditi.joint_rich`, lazy baseline = a rerun at gamma2 = 0 (features
/// frozen in stage 2) with the same seeds.
pub const JOINT_RICH_GAMMA2: SimTarget = SimTarget {
    observable: "lauditi.joint_rich",
    richness: "gamma2",
    from_gamma1: |g| g,
    output: "target_loss",
    gain_output: None,
    lazy_output: None,
    accepts: JOINT_PARAMS,
    implied: &[],
    fixed: &[],
};

/// Settings (observable name, text) from the command line; source-stage-only options are refused.
fn settings(args: &RichnessArgs) -> Result<Vec<(String, String)>> {
    let s = &args.setting;
    let refused = [
        ("--nu2-grid", args.nu2_grid.is_some()),
        ("--gamma-grid (use --gamma2-range)", args.gamma_grid.is_some()),
        ("--alpha-g", s.alpha_g.is_some()),
        ("--variant", s.variant != VariantArg::Readout),
        ("--ridge", s.ridge.is_some()),
        ("--steps", s.steps.is_some()),
        ("--lambda-wd", s.lambda_wd.is_some()),
    ];
    if let Some((name, _)) = refused.iter().find(|(_, r)| *r) {
        return Err(Error::input(format!("{name} does not apply with --stage target")));
    }
    let mut out = Vec::new();
    for text in &args.target.set {
        let (name, value) = split_assignment(text)?;
        if name == "gamma2" {
            return Err(Error::input("gamma2 is swept by --stage target: set its range with --gamma2-range"));
        }
        out.push((name, value));
    }
    let t = &args.target;
    let options = [
        ("d", args.sim.d.map(|d| d.to_string())),
        ("phi", t.phi.map(|p| p.name().to_string())),
        ("gamma1", t.gamma1.map(|g| g.to_string())),
        ("nu1", args.nu1.map(|x| x.to_string())),
        ("nu2", args.nu2.map(|x| x.to_string())),
        ("alpha_s", args.alpha_s.map(|x| x.to_string())),
        ("sigma_s", s.sigma_s.map(|x| x.to_string())),
        ("sigma", s.sigma.map(|x| x.to_string())),
    ];
    out.extend(options.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))));
    Ok(out)
}

/// The parameters as text (name=value ...) and JSON, without the swept gamma2.
pub fn without_gamma2(params: &ParamSet) -> Result<(String, Value)> {
    let text = params.to_string().split(' ').filter(|p| !p.starts_with("gamma2=")).collect::<Vec<_>>().join(" ");
    let mut value = serde_json::to_value(params).map_err(|e| Error::numerical(format!("JSON encoding: {e}")))?;
    if let Some(map) = value.as_object_mut() {
        map.remove("gamma2");
    }
    Ok((text, value))
}

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn star_text(o: &SimOptimum) -> String {
    match (o.optimum.location, o.optimum.gamma1_star) {
        (Location::Interior, Some(g)) => format!("{g:.4}"),
        (Location::Lazy, _) => "0 (minimum at the grid's low end)".to_string(),
        (Location::Flat, _) => "any (flat)".to_string(),
        _ => "unbounded (minimum at the grid's top end)".to_string(),
    }
}

fn ci_text(o: &SimOptimum) -> String {
    let end = |x: Option<f64>| x.map_or("inf".to_string(), |g| format!("{g:.4}"));
    format!(
        "[{}, {}] ({:.0}% of resamples unbounded, {:.0}% at the low end)",
        end(o.ci.lo),
        end(o.ci.hi),
        100.0 * o.ci.fraction_unbounded,
        100.0 * o.ci.fraction_lazy
    )
}

/// Runs `tlcheck optimize richness --stage target`.
pub fn run(args: &RichnessArgs) -> Result<i32> {
    let start = Instant::now();
    let settings = settings(args)?;
    let grid = args.target.grid()?;
    let objective = args.target.objective.unwrap_or(Objective::TargetLoss);
    let target = SimTarget { output: objective.output(), ..JOINT_RICH_GAMMA2 };
    let (trials, seed) = (args.sim.trials.unwrap_or(32), args.sim.seed);
    if trials < 2 {
        return Err(Error::input(format!("--trials {trials}: the bootstrap needs at least 2")));
    }
    let gammas = grid.points();
    let params = target.params(&settings, 0.0)?; // refuse what the observable cannot simulate before running
    let bar = progress_bar((trials * target.sweep_runs(gammas.len())) as u64, "gamma2 sweep");
    let (sim, lazy) = target.sweep(&settings, &gammas, trials, seed, Some(&bar))?;
    bar.finish_and_clear();
    let lazy = crate::stats::Estimate::from_samples(&lazy);
    let elapsed = start.elapsed().as_secs_f64();
    if let Some(path) = &args.svg {
        let title = format!(
            "gamma2* of lauditi.joint_rich: phi = {}, gamma1 = {}, D = {}, {} n = {}, {trials} trials",
            params.text("phi")?,
            params.num("gamma1")?,
            params.size("d")?,
            params.text("solver")?,
            params.size("n")?
        );
        write_svg(&figure(&gammas, &sim, lazy.mean, objective, title)?, path)?;
    }
    let o = &sim.optimum;
    let (inputs_text, inputs) = without_gamma2(&params)?;
    if args.json {
        let doc = json!({
            "stage": "target", "observable": target.observable, "objective": target.output,
            "gamma2_star": o.gamma1_star.map_or(Value::Null, number), "bounded": o.bounded(),
            "location": o.location, "loss_at_star": number(o.loss_at_star),
            "loss_gamma2_zero": {"mean": number(lazy.mean), "se": number(lazy.se)},
            "ci": sim.ci, "grid": gammas, "mean": sim.mean, "se": sim.se,
            "inputs": inputs, "trials": trials, "seed": seed, "elapsed_s": elapsed,
        });
        println!("{}", to_json(&doc)?);
        return Ok(0);
    }
    println!(
        "optimal stage-2 richness gamma2*, simulation of {} ({} minimised, {trials} trials, seed {seed}, \
         common random numbers across gamma2, 95% bootstrap CI)",
        target.observable, target.output
    );
    println!("inputs: {inputs_text}");
    let body: Vec<Vec<String>> = gammas
        .iter()
        .zip(sim.mean.iter().zip(&sim.se))
        .map(|(g, (m, s))| vec![format!("{g:.4}"), format!("{m:.6}"), format!("{s:.2e}")])
        .chain([vec!["0 (frozen)".to_string(), format!("{:.6}", lazy.mean), format!("{:.2e}", lazy.se)]])
        .collect();
    print!("{}", table(&["gamma2", target.output, "se"], &body));
    println!("gamma2* = {}, {} there = {:.6}", star_text(&sim), target.output, o.loss_at_star);
    println!("95% CI of gamma2*: {}", ci_text(&sim));
    println!("{elapsed:.1}s");
    Ok(0)
}

/// Loss against log10 gamma2 (mean +- se), the gamma2 = 0 loss, and gamma2* with its interval.
fn figure(gammas: &[f64], sim: &SimOptimum, lazy: f64, objective: Objective, title: String) -> Result<Figure> {
    let xs: Vec<f64> = gammas.iter().map(|g| g.log10()).collect();
    let (x0, x1) = (xs[0], xs[xs.len() - 1]);
    let ys = sim.mean.iter().zip(&sim.se).flat_map(|(m, s)| [m - s, m + s]).chain([lazy]);
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    let pad = 0.08 * (hi - lo).max(1e-6);
    let o = &sim.optimum;
    let mut curves = vec![Curve {
        label: "gamma2 = 0 (features frozen in stage 2)".into(),
        points: vec![(x0, lazy), (x1, lazy)],
        dashed: true,
    }];
    let mut points =
        vec![Points { label: format!("{} (mean +- se)", objective.output()), points: zip3(&xs, &sim.mean, &sim.se) }];
    match (o.location, o.gamma1_star) {
        (Location::Interior, Some(g)) => {
            let lo = sim.ci.lo.map_or(x0, |v| v.max(gammas[0]).log10());
            let hi = sim.ci.hi.map_or(x1, |v| v.min(gammas[gammas.len() - 1]).log10());
            curves.push(Curve {
                label: "95% bootstrap interval of gamma2*".into(),
                points: vec![(lo, o.loss_at_star), (hi, o.loss_at_star)],
                dashed: false,
            });
            points.push(Points { label: format!("gamma2* = {g:.3}"), points: vec![(g.log10(), o.loss_at_star, 0.0)] });
        }
        (Location::Unbounded, _) => points.push(Points {
            label: "unbounded: loss still falling at the top end".into(),
            points: vec![(x1, o.loss_at_star, 0.0)],
        }),
        (Location::Lazy, _) => points
            .push(Points { label: "minimum at the grid's low end".into(), points: vec![(x0, o.loss_at_star, 0.0)] }),
        _ => {}
    }
    Ok(Figure {
        title,
        x: Axis::new("log10 gamma2 (stage-2 richness)", x0 - 0.05 * (x1 - x0), x1 + 0.05 * (x1 - x0)),
        y: Axis::new(format!("{} (test MSE)", objective.output()), lo - pad, hi + pad),
        heat: None,
        curves,
        points,
    })
}

fn zip3(x: &[f64], y: &[f64], e: &[f64]) -> Vec<(f64, f64, f64)> {
    x.iter().zip(y).zip(e).map(|((&x, &y), &e)| (x, y, e)).collect()
}
