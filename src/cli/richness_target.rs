//! `tlcheck optimize richness --stage target`: the optimal stage-2 richness gamma2* of the joint-rich
//! network (`lauditi.joint_rich`), located by the same simulated optimiser as gamma1*
//! ([`crate::optimize::minimize_simulated`]: log grid, common random numbers across gamma2, parabola refinement in
//! log gamma2, percentile bootstrap over trials; a minimum at the grid's top end is unbounded). The
//! sweep is [`crate::analysis::richness::target_optimum`]; this module parses, prints and draws.

use crate::cli::out::{out, outln};
use std::time::Instant;

use serde_json::{Value, json};

use super::args::{Objective, RichnessArgs, VariantArg, without_gamma2};
use super::{progress_bar, to_json};
use crate::analysis::richness::{JOINT_RICH_GAMMA2, TargetAnswer, TargetRequest, target_optimum};
use crate::error::{Error, Result};
use crate::optimize::{Location, SimOptimum};
use crate::params::split_assignment;
use crate::plot::{Axis, Curve, Figure, Points, write_svg};
use crate::report::table;

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
    let output = args.target.objective.unwrap_or(Objective::TargetLoss).output();
    let (trials, seed) = (args.sim.trials.unwrap_or(32), args.sim.seed);
    if trials < 2 {
        return Err(Error::input(format!("--trials {trials}: the bootstrap needs at least 2")));
    }
    let req = TargetRequest { settings, output, grid, trials, seed };
    let bar = progress_bar(req.trials_run() as u64, "gamma2 sweep");
    let answer = target_optimum(&req, Some(&bar));
    bar.finish_and_clear();
    let answer = answer?;
    let elapsed = start.elapsed().as_secs_f64();
    if let Some(path) = &args.svg {
        let params = &answer.params;
        let title = format!(
            "gamma2* of lauditi.joint_rich: phi = {}, gamma1 = {}, D = {}, {} n = {}, {trials} trials",
            params.text("phi")?,
            params.num("gamma1")?,
            params.size("d")?,
            params.text("solver")?,
            params.size("n")?
        );
        write_svg(&figure(&answer, output, title)?, path)?;
    }
    if args.json {
        outln!("{}", to_json(&json_doc(&req, &answer, elapsed)?)?)?;
    } else {
        print_text(&req, &answer, elapsed)?;
    }
    Ok(0)
}

/// The JSON document of `--stage target --json`.
fn json_doc(req: &TargetRequest, a: &TargetAnswer, elapsed: f64) -> Result<Value> {
    let (o, sim, lazy) = (&a.sim.optimum, &a.sim, &a.lazy);
    let (_, inputs) = without_gamma2(&a.params)?;
    Ok(json!({
        "stage": "target", "observable": JOINT_RICH_GAMMA2.observable, "objective": req.output,
        "gamma2_star": o.gamma1_star.map_or(Value::Null, number), "bounded": o.bounded(),
        "location": o.location, "loss_at_star": number(o.loss_at_star),
        "loss_gamma2_zero": {"mean": number(lazy.mean), "se": number(lazy.se)},
        "ci": sim.ci, "grid": a.gammas, "mean": sim.mean, "se": sim.se,
        "inputs": inputs, "trials": req.trials, "seed": req.seed, "elapsed_s": elapsed,
    }))
}

/// The table of the output per gamma2 (and at gamma2 = 0), gamma2* and its interval.
fn print_text(req: &TargetRequest, a: &TargetAnswer, elapsed: f64) -> Result<()> {
    let (sim, lazy) = (&a.sim, &a.lazy);
    let (inputs_text, _) = without_gamma2(&a.params)?;
    outln!(
        "optimal stage-2 richness gamma2*, simulation of {} ({} minimised, {} trials, seed {}, \
         common random numbers across gamma2, 95% bootstrap CI)",
        JOINT_RICH_GAMMA2.observable,
        req.output,
        req.trials,
        req.seed
    )?;
    outln!("inputs: {inputs_text}")?;
    let body: Vec<Vec<String>> = a
        .gammas
        .iter()
        .zip(sim.mean.iter().zip(&sim.se))
        .map(|(g, (m, s))| vec![format!("{g:.4}"), format!("{m:.6}"), format!("{s:.2e}")])
        .chain([vec!["0 (frozen)".to_string(), format!("{:.6}", lazy.mean), format!("{:.2e}", lazy.se)]])
        .collect();
    out!("{}", table(&["gamma2", req.output, "se"], &body))?;
    outln!("gamma2* = {}, {} there = {:.6}", star_text(sim), req.output, sim.optimum.loss_at_star)?;
    outln!("95% CI of gamma2*: {}", ci_text(sim))?;
    outln!("{elapsed:.1}s")?;
    Ok(())
}

/// Loss against log10 gamma2 (mean +- se), the gamma2 = 0 loss, and gamma2* with its interval.
fn figure(a: &TargetAnswer, output: &str, title: String) -> Result<Figure> {
    let (gammas, sim, lazy) = (&a.gammas, &a.sim, a.lazy.mean);
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
    let mut points = vec![Points { label: format!("{output} (mean +- se)"), points: zip3(&xs, &sim.mean, &sim.se) }];
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
        y: Axis::new(format!("{output} (test MSE)"), lo - pad, hi + pad),
        heat: None,
        curves,
        points,
        point_colours: Vec::new(),
    })
}

fn zip3(x: &[f64], y: &[f64], e: &[f64]) -> Vec<(f64, f64, f64)> {
    x.iter().zip(y).zip(e).map(|((&x, &y), &e)| (x, y, e)).collect()
}
