//! `tlcheck optimize richness`: the optimal pre-training richness gamma1* of the Lauditi transfer
//! setting, from the closed forms (default) or from simulations (`--simulate`), optionally as a
//! curve gamma1*(nu2) (`--nu2-grid`, `--svg`). The optimisation is
//! [`crate::analysis::richness::source_optimum`]; this module parses, prints and draws.

use crate::cli::out::{out, outln};
use std::time::Instant;

use clap::ValueEnum;
use serde_json::{Value, json};

use super::args::{RichnessArgs, linspace, range};
use super::{progress_bar, to_json};
use crate::analysis::richness::{RichnessAnswer, SourceSimulation, source_optimum};
use crate::closed_form::lauditi::Transfer;
use crate::error::{Error, Result};
use crate::optimize::{Location, LogGrid, SIMULATED};
use crate::plot::{Axis, Curve, Figure, Points, write_svg};
use crate::report::table;

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn inputs_json(args: &RichnessArgs, t: &Transfer) -> Value {
    let s = &args.setting;
    let nu2 = args.nu2_grid.as_ref().map_or(number(t.nu2), |g| json!(g));
    json!({
        "nu1": if t.nu1.is_infinite() { json!("inf") } else { number(t.nu1) },
        "nu2": nu2, "alpha_s": t.alpha_s, "alpha_g": t.alpha_g, "sigma_s": t.sigma_s,
        "sigma": t.sigma, "variant": s.variant.to_possible_value().map(|v| v.get_name().to_string()),
        "ridge": s.ridge, "steps": s.steps, "lambda_wd": s.lambda_wd.unwrap_or(0.0),
    })
}

fn answer_json(a: &RichnessAnswer) -> Value {
    let o = &a.optimum;
    let mut v = json!({
        "gamma1_star": o.gamma1_star.map_or(Value::Null, number),
        "bounded": o.bounded(),
        "location": o.location,
        "loss_at_star": number(o.loss_at_star),
        "loss_lazy": number(a.lazy),
        "loss_infinite_richness": a.rich.map_or(Value::Null, number),
    });
    if let Some(s) = &a.sim {
        v["ci"] = json!(s.ci);
        v["mean"] = json!(s.mean);
        v["se"] = json!(s.se);
    }
    v
}

fn star_text(a: &RichnessAnswer) -> String {
    match (a.optimum.location, a.optimum.gamma1_star) {
        (Location::Interior, Some(g)) => format!("{g:.6}"),
        (Location::Lazy, _) => "0 (lazy)".to_string(),
        (Location::Flat, _) => "any (flat)".to_string(),
        _ => "unbounded".to_string(),
    }
}

/// The source-stage inputs: nu1, alpha_s, the gamma1 grid and the nu2 values.
struct SourceInputs {
    nu1: f64,
    alpha_s: f64,
    grid: LogGrid,
    nu2s: Vec<f64>,
}

/// Checks the options of `--stage source` and parses its grids.
fn inputs(args: &RichnessArgs) -> Result<SourceInputs> {
    args.target.refuse_for_source()?;
    args.sim.check(args.sim.simulate)?;
    let missing = |name: &str| Error::input(format!("--stage source needs --{name}"));
    let nu1 = args.nu1.ok_or_else(|| missing("nu1"))?;
    let alpha_s = args.alpha_s.ok_or_else(|| missing("alpha-s"))?;
    if args.svg.is_some() && args.nu2_grid.is_none() {
        return Err(Error::input("--svg needs --nu2-grid with --stage source"));
    }
    if !args.sim.simulate
        && let Some(why) = args.setting.no_closed_form()
    {
        return Err(Error::input(why));
    }
    let default_grid = if args.sim.simulate { "0.1:100:10" } else { "1e-3:1e3:61" };
    let (lo, hi, n) = range(args.gamma_grid.as_deref().unwrap_or(default_grid), "--gamma-grid")?;
    let grid = LogGrid::new(lo, hi, n)?;
    let nu2s = match &args.nu2_grid {
        Some(text) => {
            let (a, b, n) = range(text, "--nu2-grid")?;
            linspace(a, b, n)
        }
        None => vec![args.nu2.ok_or_else(|| Error::input("give --nu2 or --nu2-grid"))?],
    };
    Ok(SourceInputs { nu1, alpha_s, grid, nu2s })
}

/// gamma1* of one setting, with a progress bar on the simulated path.
fn optimum(args: &RichnessArgs, t: &Transfer, grid: &LogGrid) -> Result<RichnessAnswer> {
    if !args.sim.simulate {
        return source_optimum(t, grid, None, None);
    }
    let sim = SourceSimulation {
        settings: args.setting.settings(t, args.sim.d()),
        trials: args.sim.trials(),
        seed: args.sim.seed,
        closed_form: args.setting.no_closed_form().is_none(),
    };
    let bar = progress_bar(sim.trials_run(grid) as u64, &format!("{} sweep", SIMULATED.richness));
    let answer = source_optimum(t, grid, Some(&sim), Some(&bar));
    bar.finish_and_clear();
    answer
}

/// Runs `tlcheck optimize richness --stage source`.
pub fn run(args: &RichnessArgs) -> Result<i32> {
    let start = Instant::now();
    let inp = inputs(args)?;
    let mut rows = Vec::new();
    for &nu2 in &inp.nu2s {
        let t = args.setting.transfer(inp.nu1, nu2, inp.alpha_s)?;
        let answer = optimum(args, &t, &inp.grid)?;
        rows.push((t, answer));
    }
    let method = if args.sim.simulate { "simulation" } else { "closed-form" };
    let elapsed = start.elapsed().as_secs_f64();
    if let Some(path) = &args.svg {
        write_svg(&curve_figure(args, &rows, &inp.grid, method)?, path)?;
    }
    if args.json {
        outln!("{}", to_json(&json_doc(args, &rows, &inp.grid, method, elapsed))?)?;
    } else {
        print_table(args, &rows, &inp.grid, elapsed)?;
    }
    Ok(0)
}

/// The JSON document: one answer with method, inputs, simulation and elapsed_s, or a curve over nu2.
fn json_doc(
    args: &RichnessArgs,
    rows: &[(Transfer, RichnessAnswer)],
    grid: &LogGrid,
    method: &str,
    elapsed: f64,
) -> Value {
    let sim_json = args.sim.simulate.then(|| {
        json!({"observable": SIMULATED.observable, "swept": SIMULATED.richness, "d": args.sim.d(),
               "trials": args.sim.trials(), "seed": args.sim.seed, "grid": grid.points()})
    });
    if args.nu2_grid.is_some() {
        let curve: Vec<Value> = rows
            .iter()
            .map(|(t, a)| {
                let mut v = answer_json(a);
                v["nu2"] = number(t.nu2);
                v
            })
            .collect();
        json!({"method": method, "inputs": inputs_json(args, &rows[0].0), "curve": curve,
               "simulation": sim_json, "elapsed_s": elapsed})
    } else {
        let (t, a) = &rows[0];
        let mut v = answer_json(a);
        v["method"] = json!(method);
        v["inputs"] = inputs_json(args, t);
        v["simulation"] = sim_json.unwrap_or(Value::Null);
        v["elapsed_s"] = json!(elapsed);
        v
    }
}

/// The table of gamma1* per nu2, with the unbounded note and the elapsed time.
fn print_table(args: &RichnessArgs, rows: &[(Transfer, RichnessAnswer)], grid: &LogGrid, elapsed: f64) -> Result<()> {
    let simulate = args.sim.simulate;
    let what = if simulate {
        format!(
            "simulation of {} (its {} set from gamma1, D = {}, {} trials, seed {}, 95% bootstrap CI)",
            SIMULATED.observable,
            SIMULATED.richness,
            args.sim.d(),
            args.sim.trials(),
            args.sim.seed
        )
    } else {
        "closed forms (derived, D -> infinity)".to_string()
    };
    outln!("optimal richness gamma1*, {what}")?;
    outln!("inputs: {}", inputs_json(args, &rows[0].0))?;
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
            grid.hi,
            if simulate { "" } else { "; loss at gamma1* = the gamma1 -> inf limit" }
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
            args.setting.variant.to_possible_value().map_or(String::new(), |v| v.get_name().to_string()),
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
