//! `tlcheck optimize richness --stage target`: the optimal stage-2 richness gamma2* of the joint-rich
//! network (`lauditi.joint_rich`), located by the same simulated optimiser as gamma1*
//! ([`crate::optimize::minimize_simulated`]: log grid, common random numbers across gamma2, parabola refinement in
//! log gamma2, percentile bootstrap over trials; a minimum at the grid's top end is unbounded). The
//! sweep is [`crate::analysis::richness::target_optimum`]; this module parses, prints and draws.

use crate::cli::out::{out, outln};
use std::time::Instant;

use serde_json::{Value, json};

use super::args::{
    Objective, Range, RichnessArgs, VariantArg, envelope, estimate_json, num, parse_grids, parse_range, resolve_sets,
    settings_json, write_file,
};
use super::richness::{ci_json, star_json};
use super::{progress_bar, to_json, write_sweep_shard};
use crate::analysis::richness::{
    JOINT_RICH_GAMMA2, TargetAnswer, TargetRequest, target_from_points, target_optimum, target_points,
};
use crate::error::{Error, Result};
use crate::observable::find;
use crate::optimize::{Location, LogGrid, SimOptimum, SweepPoint};
use crate::params::split_assignment;
use crate::plot::{Axis, Curve, Figure, Points, write_svg};
use crate::report::table;

/// The swept axis of the target stage.
const SWEPT: &[&str] = &["gamma2"];

/// Checks the options of `--stage target`: source-stage-only options are refused, `--set` names are
/// those of lauditi.joint_rich except gamma2. Returns the given settings (name, text).
fn settings(args: &RichnessArgs) -> Result<Vec<(String, String)>> {
    let refused = [
        ("--variant (fine-tuning variants are --stage source)", args.variant != VariantArg::Readout),
        ("--simulate (--stage target always simulates)", args.simulate),
    ];
    if let Some((name, _)) = refused.iter().find(|(_, r)| *r) {
        return Err(Error::input(format!("{name} does not apply with --stage target")));
    }
    resolve_sets(&args.set, find(JOINT_RICH_GAMMA2.observable)?.params(), SWEPT)?;
    args.set.iter().map(|s| split_assignment(s)).collect()
}

/// The gamma2 grid: LO:HI:N, log-spaced, 0 < LO (default 0.125:8:7, factors of 2).
fn grid(args: &RichnessArgs) -> Result<LogGrid> {
    let axes = parse_grids(&args.grid, SWEPT)?;
    let range = match axes.first() {
        Some(a) => a.range.clone(),
        None => parse_range("0.125:8:7").map_err(Error::input)?,
    };
    match range {
        Range::Span { lo, hi, n } => LogGrid::new(lo, hi, n).map_err(|e| Error::input(format!("--grid gamma2: {e}"))),
        Range::List(_) => Err(Error::input("--grid gamma2: the optimiser needs a log grid LO:HI:N, not a list")),
    }
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

/// Checks the options and builds the request.
fn request(args: &RichnessArgs) -> Result<TargetRequest> {
    let settings = settings(args)?;
    let grid = grid(args)?;
    let output = args.objective.unwrap_or(Objective::TargetLoss).output();
    let (trials, seed) = (args.trials.unwrap_or(32), args.seed);
    if trials < 2 {
        return Err(Error::input(format!("--trials {trials}: the bootstrap needs at least 2")));
    }
    Ok(TargetRequest { settings, output, grid, trials, seed })
}

/// Runs `tlcheck optimize richness --stage target`.
pub fn run(args: &RichnessArgs, argv: &[String]) -> Result<i32> {
    let start = Instant::now();
    let req = request(args)?;
    if let Some(shard) = args.shard {
        let points = target_points(&req, &|i| shard.owns(i), None)?;
        return write_sweep_shard("optimize richness", argv, shard, start, &points);
    }
    let bar = progress_bar(req.trials_run() as u64, "gamma2 sweep");
    let answer = target_optimum(&req, Some(&bar));
    bar.finish_and_clear();
    finish(args, &req, answer?, start.elapsed().as_secs_f64())
}

/// The outputs of the unsharded run from the runs of all its shards.
pub fn merge(args: &RichnessArgs, points: Vec<SweepPoint>, elapsed: f64) -> Result<i32> {
    let req = request(args)?;
    let answer = target_from_points(&req, points)?;
    finish(args, &req, answer, elapsed)
}

/// Writes the outputs of a whole run from its answer.
pub fn finish(args: &RichnessArgs, req: &TargetRequest, answer: TargetAnswer, elapsed: f64) -> Result<i32> {
    let (output, trials) = (req.output, req.trials);
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
    if let Some(path) = &args.csv {
        write_file(path, &csv(req, &answer))?;
    }
    if args.json {
        outln!("{}", to_json(&json_doc(req, &answer, elapsed)?)?)?;
    } else {
        print_text(req, &answer, elapsed)?;
    }
    Ok(0)
}

/// The fixed settings: stage, objective, observable, trials and every parameter but gamma2.
fn settings_doc(req: &TargetRequest, a: &TargetAnswer) -> Result<Value> {
    let obs = find(JOINT_RICH_GAMMA2.observable)?;
    let mut s = settings_json(obs.params(), &a.params, SWEPT)?;
    s.insert("stage".into(), json!("target"));
    s.insert("objective".into(), json!(req.output));
    s.insert("observable".into(), json!(JOINT_RICH_GAMMA2.observable));
    s.insert("trials".into(), json!(req.trials));
    s.insert("grid".into(), json!({"gamma2": {"lo": req.grid.lo, "hi": req.grid.hi, "n": req.grid.n}}));
    Ok(Value::Object(s))
}

/// The JSON document of `--stage target --json`.
fn json_doc(req: &TargetRequest, a: &TargetAnswer, elapsed: f64) -> Result<Value> {
    let (o, sim, lazy) = (&a.sim.optimum, &a.sim, &a.lazy);
    let points = a
        .gammas
        .iter()
        .zip(sim.mean.iter().zip(&sim.se))
        .map(|(g, (m, s))| {
            Ok(json!({"at": {"gamma2": g}, req.output: {"mean": num(*m)?, "se": num(*s)?, "trials": req.trials}}))
        })
        .collect::<Result<Vec<_>>>()?;
    let payload = json!({
        "gamma2_star": star_json(o)?, "bounded": o.bounded(), "location": o.location,
        "loss_at_star": num(o.loss_at_star)?, "loss_gamma2_zero": estimate_json(lazy)?,
        "ci": ci_json(&sim.ci), "points": points,
    });
    Ok(envelope("optimize richness", Some(req.seed), settings_doc(req, a)?, elapsed, payload))
}

/// CSV rows gamma2,mean,se (the gamma2 = 0 baseline first).
fn csv(req: &TargetRequest, a: &TargetAnswer) -> String {
    let mut text = format!("gamma2,{}_mean,{}_se\n0,{},{}\n", req.output, req.output, a.lazy.mean, a.lazy.se);
    for (g, (m, s)) in a.gammas.iter().zip(a.sim.mean.iter().zip(&a.sim.se)) {
        text.push_str(&format!("{g},{m},{s}\n"));
    }
    text
}

/// The table of the output per gamma2 (and at gamma2 = 0), gamma2* and its interval.
fn print_text(req: &TargetRequest, a: &TargetAnswer, elapsed: f64) -> Result<()> {
    let (sim, lazy) = (&a.sim, &a.lazy);
    let inputs_text =
        a.params.to_string().split(' ').filter(|p| !p.starts_with("gamma2=")).collect::<Vec<_>>().join(" ");
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
