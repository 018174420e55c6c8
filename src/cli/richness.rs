//! `tlcheck optimize richness`: the optimal pre-training richness gamma1* of the Lauditi transfer
//! setting, from the closed forms (default) or from simulations (`--simulate`), optionally as a
//! curve gamma1*(nu2) (`--grid nu2=RANGE`, `--svg`). The optimisation is
//! [`crate::analysis::richness::source_optimum`]; this module parses, prints and draws.

use crate::cli::out::{out, outln};
use std::fmt::Write as _;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::args::{
    GridAxisArg, LauditiPoint, Range, RichnessArgs, axis_values, envelope, num, parse_grids, parse_range, write_file,
};
use super::{progress_bar, to_json, write_sweep_shard};
use crate::analysis::richness::{RichnessAnswer, SourceSimulation, source_from_points, source_optimum, source_points};
use crate::closed_form::lauditi::Transfer;
use crate::error::{Error, Result};
use crate::optimize::{Interval, Location, LogGrid, Optimum, SIMULATED, SweepPoint};
use crate::plot::{Axis, Curve, Figure, Points, write_svg};
use crate::report::table;

/// gamma1* as JSON: a number (0 when lazy), "inf" when unbounded, null when flat (any gamma1).
pub fn star_json(o: &Optimum) -> Result<Value> {
    match (o.location, o.gamma1_star) {
        (Location::Unbounded, _) => Ok(json!("inf")),
        (_, Some(g)) => num(g),
        _ => Ok(Value::Null),
    }
}

/// A bootstrap interval as JSON (an end at infinity is "inf").
pub fn ci_json(ci: &Interval) -> Value {
    let end = |x: Option<f64>| x.map_or(json!("inf"), |v| json!(v));
    json!({"level": ci.level, "lo": end(ci.lo), "hi": end(ci.hi), "resamples": ci.resamples,
           "fraction_unbounded": ci.fraction_unbounded, "fraction_lazy": ci.fraction_lazy})
}

fn answer_json(a: &RichnessAnswer, gammas: &[f64], trials: usize) -> Result<Value> {
    let o = &a.optimum;
    let mut v = json!({
        "gamma1_star": star_json(o)?,
        "bounded": o.bounded(),
        "location": o.location,
        "loss_at_star": num(o.loss_at_star)?,
        "loss_lazy": num(a.lazy)?,
    });
    if let Some(rich) = a.rich {
        v["loss_infinite_richness"] = num(rich)?;
    }
    if let Some(s) = &a.sim {
        v["ci"] = ci_json(&s.ci);
        let points = gammas
            .iter()
            .zip(s.mean.iter().zip(&s.se))
            .map(|(g, (m, e))| {
                Ok(json!({"at": {"gamma1": g}, "loss": {"mean": num(*m)?, "se": num(*e)?, "trials": trials}}))
            })
            .collect::<Result<Vec<_>>>()?;
        v["points"] = json!(points);
    }
    Ok(v)
}

fn star_text(a: &RichnessAnswer) -> String {
    match (a.optimum.location, a.optimum.gamma1_star) {
        (Location::Interior, Some(g)) => format!("{g:.6}"),
        (Location::Lazy, _) => "0 (lazy)".to_string(),
        (Location::Flat, _) => "any (flat)".to_string(),
        _ => "unbounded".to_string(),
    }
}

/// The source-stage inputs: the fixed setting, the gamma1 grid and the nu2 values (one row each).
pub struct SourceInputs {
    pub base: LauditiPoint,
    pub grid: LogGrid,
    pub nu2s: Vec<f64>,
    /// Whether nu2 is swept (--grid nu2=RANGE).
    pub nu2_axis: bool,
    pub trials: usize,
}

/// The gamma1 grid: LO:HI:N, log-spaced (default 1e-3:1e3:61 closed form, 0.1:100:10 simulated).
fn gamma_grid(axes: &[GridAxisArg], simulate: bool) -> Result<LogGrid> {
    let default = if simulate { "0.1:100:10" } else { "1e-3:1e3:61" };
    let range = match axes.iter().find(|a| a.name == "gamma1") {
        Some(a) => a.range.clone(),
        None => parse_range(default).map_err(Error::input)?,
    };
    match range {
        Range::Span { lo, hi, n } => LogGrid::new(lo, hi, n).map_err(|e| Error::input(format!("--grid gamma1: {e}"))),
        Range::List(_) => Err(Error::input("--grid gamma1: the optimiser needs a log grid LO:HI:N, not a list")),
    }
}

/// Checks the options of `--stage source` and parses its grids.
pub fn inputs(args: &RichnessArgs) -> Result<SourceInputs> {
    if args.objective.is_some() {
        return Err(Error::input("--objective only applies with --stage target"));
    }
    let axes = parse_grids(&args.grid, &["gamma1", "nu2"])?;
    let nu2_axis = axes.iter().any(|a| a.name == "nu2");
    let swept: &[&str] = if nu2_axis { &["gamma1", "nu2"] } else { &["gamma1"] };
    let base = LauditiPoint::from_sets(&args.set, swept, args.variant, args.simulate)?;
    if !args.simulate && args.trials.is_some() {
        return Err(Error::input("--trials needs --simulate"));
    }
    if args.svg.is_some() && !nu2_axis {
        return Err(Error::input("--svg draws gamma1*(nu2): it needs --grid nu2=RANGE"));
    }
    if !args.simulate
        && let Some(why) = base.no_closed_form()
    {
        return Err(Error::input(why));
    }
    let grid = gamma_grid(&axes, args.simulate)?;
    let nu2s = if nu2_axis { axis_values(&axes, "nu2", "", false)? } else { vec![base.get("nu2")] };
    let trials = args.trials.unwrap_or(100);
    if args.simulate && trials < 2 {
        return Err(Error::input("--trials must be at least 2 (the bootstrap needs two trials)"));
    }
    Ok(SourceInputs { base, grid, nu2s, nu2_axis, trials })
}

/// The transfer setting at `nu2` and its simulation.
fn simulation(args: &RichnessArgs, inp: &SourceInputs, nu2: f64) -> (Transfer, SourceSimulation) {
    let mut p = inp.base.clone();
    p.set("nu2", nu2);
    let sim = SourceSimulation {
        settings: p.sim_settings(),
        trials: inp.trials,
        seed: args.seed,
        closed_form: p.no_closed_form().is_none(),
    };
    (p.transfer(), sim)
}

/// gamma1* at one nu2, with a progress bar on the simulated path.
pub fn optimum(args: &RichnessArgs, inp: &SourceInputs, nu2: f64) -> Result<RichnessAnswer> {
    let (t, sim) = simulation(args, inp, nu2);
    if !args.simulate {
        return source_optimum(&t, &inp.grid, None, None);
    }
    let bar = progress_bar(sim.trials_run(&inp.grid) as u64, &format!("{} sweep", SIMULATED.richness));
    let answer = source_optimum(&t, &inp.grid, Some(&sim), Some(&bar));
    bar.finish_and_clear();
    answer
}

/// The simulated runs of one nu2 row that a shard computed (the unit of its shard file).
#[derive(Debug, Serialize, Deserialize)]
pub struct SourcePart {
    pub row: usize,
    pub points: Vec<SweepPoint>,
}

/// Runs `tlcheck optimize richness --stage source`.
pub fn run(args: &RichnessArgs, argv: &[String]) -> Result<i32> {
    let start = Instant::now();
    let inp = inputs(args)?;
    if let Some(shard) = args.shard {
        if !args.simulate {
            return Err(Error::input("--shard splits simulated sweeps: it needs --simulate"));
        }
        // Run k of row i is item i * runs + k of the unsharded order, dealt round-robin.
        let runs = SIMULATED.sweep_runs(inp.grid.n);
        let parts = inp
            .nu2s
            .iter()
            .enumerate()
            .map(|(i, &nu2)| {
                let (t, sim) = simulation(args, &inp, nu2);
                let points = source_points(&t, &inp.grid, &sim, &|k| shard.owns(i * runs + k), None)?;
                Ok(SourcePart { row: i, points })
            })
            .collect::<Result<Vec<_>>>()?;
        return write_sweep_shard("optimize richness", argv, shard, start, &parts);
    }
    let rows = inp.nu2s.iter().map(|&nu2| optimum(args, &inp, nu2)).collect::<Result<Vec<_>>>()?;
    finish(args, &inp, rows, start.elapsed().as_secs_f64())
}

/// The outputs of the unsharded run from the parts of all its shards.
pub fn merge(args: &RichnessArgs, parts: Vec<SourcePart>, elapsed: f64) -> Result<i32> {
    let inp = inputs(args)?;
    let answers = inp
        .nu2s
        .iter()
        .enumerate()
        .map(|(i, &nu2)| {
            let (t, sim) = simulation(args, &inp, nu2);
            let points = parts.iter().filter(|p| p.row == i).flat_map(|p| p.points.clone()).collect();
            source_from_points(&t, &inp.grid, &sim, points)
        })
        .collect::<Result<Vec<_>>>()?;
    finish(args, &inp, answers, elapsed)
}

/// Writes the outputs of a whole run from its rows (one answer per nu2).
pub fn finish(args: &RichnessArgs, inp: &SourceInputs, answers: Vec<RichnessAnswer>, elapsed: f64) -> Result<i32> {
    let rows: Vec<(Transfer, RichnessAnswer)> = inp
        .nu2s
        .iter()
        .zip(answers)
        .map(|(&nu2, a)| {
            let mut p = inp.base.clone();
            p.set("nu2", nu2);
            (p.transfer(), a)
        })
        .collect();
    let method = if args.simulate { "simulation" } else { "closed-form" };
    if let Some(path) = &args.svg {
        write_svg(&curve_figure(args, &rows, &inp.grid, method)?, path)?;
    }
    if let Some(path) = &args.csv {
        write_file(path, &csv(&rows))?;
    }
    if args.json {
        outln!("{}", to_json(&json_doc(args, inp, &rows, elapsed)?)?)?;
    } else {
        print_table(args, inp, &rows, elapsed)?;
    }
    Ok(0)
}

/// The fixed settings as JSON.
pub fn settings_json(args: &RichnessArgs, inp: &SourceInputs) -> Result<Value> {
    let mut skip = vec!["gamma1"];
    if inp.nu2_axis {
        skip.push("nu2");
    }
    if !args.simulate {
        skip.push("d");
    }
    let mut s = inp.base.json(&skip)?;
    s.insert("stage".into(), json!("source"));
    s.insert("method".into(), json!(if args.simulate { "simulation" } else { "closed-form" }));
    if args.simulate {
        s.insert("trials".into(), json!(inp.trials));
        s.insert("observable".into(), json!(SIMULATED.observable));
    }
    s.insert("grid".into(), json!({"gamma1": {"lo": inp.grid.lo, "hi": inp.grid.hi, "n": inp.grid.n}}));
    Ok(Value::Object(s))
}

/// The JSON document: one row per nu2 with gamma1*, its losses and (simulated) interval and points.
fn json_doc(
    args: &RichnessArgs,
    inp: &SourceInputs,
    rows: &[(Transfer, RichnessAnswer)],
    elapsed: f64,
) -> Result<Value> {
    let gammas = inp.grid.points();
    let rows = rows
        .iter()
        .map(|(t, a)| {
            let mut v = answer_json(a, &gammas, inp.trials)?;
            v["at"] = json!({"nu2": t.nu2});
            Ok(v)
        })
        .collect::<Result<Vec<_>>>()?;
    let seed = args.simulate.then_some(args.seed);
    Ok(envelope("optimize richness", seed, settings_json(args, inp)?, elapsed, json!({"rows": rows})))
}

fn csv(rows: &[(Transfer, RichnessAnswer)]) -> String {
    let mut text = String::from("nu2,gamma1_star,location,loss_at_star,loss_lazy,loss_infinite_richness,ci_lo,ci_hi\n");
    let end = |x: Option<f64>| x.map_or("inf".to_string(), |v| v.to_string());
    for (t, a) in rows {
        let o = &a.optimum;
        let star = match (o.location, o.gamma1_star) {
            (Location::Unbounded, _) => "inf".to_string(),
            (_, g) => g.map_or(String::new(), |g| g.to_string()),
        };
        let (lo, hi) = a.sim.as_ref().map_or((String::new(), String::new()), |s| (end(s.ci.lo), end(s.ci.hi)));
        let rich = a.rich.map_or(String::new(), |r| r.to_string());
        let location =
            serde_json::to_value(o.location).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        let _ = writeln!(text, "{},{star},{location},{},{},{rich},{lo},{hi}", t.nu2, o.loss_at_star, a.lazy);
    }
    text
}

/// The table of gamma1* per nu2, with the unbounded note and the elapsed time.
fn print_table(
    args: &RichnessArgs,
    inp: &SourceInputs,
    rows: &[(Transfer, RichnessAnswer)],
    elapsed: f64,
) -> Result<()> {
    let what = if args.simulate {
        format!(
            "simulation of {} (its {} set from gamma1, D = {}, {} trials, seed {}, 95% bootstrap CI)",
            SIMULATED.observable,
            SIMULATED.richness,
            inp.base.d(),
            inp.trials,
            args.seed
        )
    } else {
        "closed forms (derived, D -> infinity)".to_string()
    };
    outln!("optimal richness gamma1*, {what}")?;
    outln!("settings: {}", settings_json(args, inp)?)?;
    let fmt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.6}"));
    let header = ["nu2", "gamma1*", "loss at gamma1*", "lazy loss", "gamma1 -> inf", "95% CI"];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(t, a)| {
            let ci = a.sim.as_ref().map_or("-".to_string(), |s| {
                format!(
                    "[{}, {}] ({:.0}% unbounded)",
                    s.ci.lo.map_or("inf".to_string(), |h| format!("{h:.4}")),
                    s.ci.hi.map_or("inf".to_string(), |h| format!("{h:.4}")),
                    100.0 * s.ci.fraction_unbounded
                )
            });
            let (star, loss, lazy) = (star_text(a), format!("{:.6}", a.optimum.loss_at_star), format!("{:.6}", a.lazy));
            vec![format!("{}", t.nu2), star, loss, lazy, fmt(a.rich), ci]
        })
        .collect();
    out!("{}", table(&header, &body))?;
    if rows.iter().any(|(_, a)| a.optimum.location == Location::Unbounded) {
        outln!(
            "unbounded: minimum at the top end of the gamma1 grid (up to {:e}) with the loss still falling: gamma1* = infinity{}",
            inp.grid.hi,
            if args.simulate { "" } else { "; loss at gamma1* = the gamma1 -> inf limit" }
        )?;
    }
    outln!("{:.3}s", elapsed)?;
    Ok(())
}

/// gamma1*(nu2) as log10 gamma1* against nu2; unbounded / lazy optima as marked points at the top / bottom.
fn curve_figure(
    args: &RichnessArgs,
    rows: &[(Transfer, RichnessAnswer)],
    grid: &LogGrid,
    method: &str,
) -> Result<Figure> {
    let (ylo, yhi) = (grid.lo.log10(), grid.hi.log10());
    let interior: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|(t, a)| a.optimum.gamma1_star.filter(|g| *g > 0.0).map(|g| (t.nu2, g.log10().clamp(ylo, yhi))))
        .collect();
    let marked = |loc: Location, y: f64| -> Vec<(f64, f64, f64)> {
        rows.iter().filter(|(_, a)| a.optimum.location == loc).map(|(t, _)| (t.nu2, y, 0.0)).collect()
    };
    let mut points = Vec::new();
    for (loc, y, label) in [
        (Location::Unbounded, yhi, "unbounded: gamma1* = inf (drawn at top)"),
        (Location::Lazy, ylo, "lazy: gamma1* = 0 (drawn at bottom)"),
        (Location::Flat, (ylo + yhi) / 2.0, "flat: loss independent of gamma1"),
    ] {
        let p = marked(loc, y);
        if !p.is_empty() {
            points.push(Points { label: label.to_string(), points: p });
        }
    }
    let mut curves = Vec::new();
    if !interior.is_empty() {
        curves.push(Curve { label: format!("gamma1* ({method})"), points: interior, dashed: false });
    }
    let (x0, x1) = (rows[0].0.nu2, rows[rows.len() - 1].0.nu2);
    Ok(Figure {
        title: format!(
            "optimal richness, {} fine-tuning, nu1 = {}, alpha_s = {}",
            args.variant.name(),
            rows[0].0.nu1,
            rows[0].0.alpha_s
        ),
        x: Axis::new("nu2 = P2/D", x0, x1),
        y: Axis::new("log10 gamma1*", ylo, yhi),
        heat: None,
        curves,
        points,
        point_colours: Vec::new(),
    })
}
