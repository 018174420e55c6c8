//! `tlcheck order-parameter`: the collapse audit of one claim in detail (exponent table, transition,
//! scale audit), optionally as JSON and as an SVG heat map of the output over two constituents with
//! the printed and the fitted transition contours.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::check::{Check, RunContext, fmt_num};
use crate::error::{Error, Result};
use crate::order::{CollapseResult, OrderCheck};
use crate::plot::{Axis, Curve, Figure, HeatMap, Scale, write_svg};
use crate::report::table;
use crate::theorem::{CheckMethod, Claim, default_dir, load_dir};

/// Options of the subcommand.
pub struct Options {
    pub claim: String,
    pub json: bool,
    pub svg: Option<PathBuf>,
    pub axes: Option<String>,
    pub precise: bool,
    pub quick: bool,
    pub seed: u64,
    pub theorems: Option<PathBuf>,
}

/// Heat-map cells per axis.
const CELLS: usize = 5;
/// Trial multiplier of `--precise`.
const PRECISE_FACTOR: usize = 4;

/// Runs the subcommand; exit code 0.
pub fn run(opts: &Options, progress: Option<indicatif::ProgressBar>) -> Result<i32> {
    let claims = load_dir(&opts.theorems.clone().unwrap_or_else(default_dir))?;
    let claim: &Claim = claims
        .iter()
        .find(|c| c.id() == opts.claim)
        .ok_or_else(|| Error::input(format!("unknown claim `{}` (see `tlcheck list`)", opts.claim)))?;
    let (i, spec) = claim
        .file
        .checks
        .iter()
        .enumerate()
        .find(|(_, s)| s.method == CheckMethod::Collapse)
        .ok_or_else(|| Error::input(format!("claim `{}` has no collapse check", opts.claim)))?;
    let mut check = OrderCheck::compile(claim.id(), i, spec, &claim.statement)?;
    if opts.precise {
        check.precise(PRECISE_FACTOR);
    }
    let ctx = RunContext { quick: opts.quick, seed: opts.seed, progress };
    if let Some(bar) = &ctx.progress {
        let cells = if opts.svg.is_some() { (CELLS * CELLS) as u64 } else { 0 };
        bar.set_length(check.trials(&ctx) + cells * (check.trials(&ctx) / check.sweep().len().max(1) as u64));
    }
    let r = check.collapse(&ctx)?;
    let (verdict, evidence) = check.verdict(&r);
    let figure = match &opts.svg {
        Some(path) => Some(heat_map(&check, &r, opts.axes.as_deref(), &ctx, claim, path)?),
        None => None,
    };
    if let Some(bar) = &ctx.progress {
        bar.finish_and_clear();
    }
    if opts.json {
        let doc = json!({"claim": claim.id(), "formula": claim.file.claim.formula, "verdict": verdict,
            "evidence": evidence, "collapse": r, "svg": opts.svg});
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| Error::numerical(e.to_string()))?);
    } else {
        println!("{} -- {verdict}\n  Gamma = {}", claim.id(), claim.file.claim.formula);
        let rows: Vec<Vec<String>> = (0..r.names.len())
            .map(|k| {
                let (lo, hi) = r.ci[k];
                let fixed = r.names[k] == r.reference;
                vec![
                    r.names[k].clone(),
                    fmt_num(r.printed[k]),
                    fmt_num(r.fitted[k]),
                    if fixed { "held fixed".into() } else { format!("[{}, {}]", fmt_num(lo), fmt_num(hi)) },
                    if fixed || (lo <= r.printed[k] && r.printed[k] <= hi) { "yes".into() } else { "NO".into() },
                ]
            })
            .collect();
        print!("{}", table(&["constituent", "printed", "fitted", "bootstrap CI", "printed inside"], &rows));
        println!("  {evidence}");
        if let Some(p) = figure {
            println!("  figure: {}", p.display());
        }
    }
    Ok(0)
}

/// Axis constituents: `--axes X,Y`, else the reference and the other constituent with the largest
/// |printed exponent| (the last in name order on ties).
fn axes(r: &CollapseResult, text: Option<&str>) -> Result<(usize, usize)> {
    let find = |n: &str| {
        r.names
            .iter()
            .position(|x| x == n)
            .ok_or_else(|| Error::input(format!("--axes: `{n}` is not a swept constituent")))
    };
    match text {
        Some(t) => {
            let (a, b) = t.split_once(',').ok_or_else(|| Error::input("--axes expects two names: X,Y"))?;
            let (a, b) = (find(a.trim())?, find(b.trim())?);
            if a == b {
                return Err(Error::input("--axes needs two different constituents"));
            }
            Ok((a, b))
        }
        None => {
            let x = find(&r.reference)?;
            let y = (0..r.names.len())
                .filter(|&k| k != x)
                .fold(None, |best: Option<usize>, k| match best {
                    Some(b) if r.printed[b].abs() > r.printed[k].abs() => Some(b),
                    _ => Some(k),
                })
                .ok_or_else(|| Error::input("a heat map needs two swept constituents"))?;
            Ok((x, y))
        }
    }
}

/// Simulates the output on a log-spaced grid over two constituents and draws it with the contours
/// Gamma_printed = Gamma*_printed and Gamma_fit = Gamma*_fit at the transition midpoints.
fn heat_map(
    check: &OrderCheck,
    r: &CollapseResult,
    axes_text: Option<&str>,
    ctx: &RunContext,
    claim: &Claim,
    path: &Path,
) -> Result<PathBuf> {
    let (ix, iy) = axes(r, axes_text)?;
    let base = check.base(ctx.quick)?;
    let range = |k: usize| {
        let name = &r.names[k];
        let vals = &check.sweep()[k].1;
        let lo = vals.iter().copied().fold(base[name], f64::min).log10();
        let hi = vals.iter().copied().fold(base[name], f64::max).log10();
        (0..CELLS).map(move |i| lo + (hi - lo) * i as f64 / (CELLS - 1) as f64).collect::<Vec<f64>>()
    };
    let (xs, ys) = (range(ix), range(iy));
    // Whole-number constituents (sample sizes, dimensions) are rounded to whole numbers.
    let value = |k: usize, t: f64| {
        let v = 10f64.powf(t);
        let whole = check.sweep()[k].1.iter().chain([&base[&r.names[k]]]).all(|x| x.fract() == 0.0);
        if whole { v.round() } else { v }
    };
    let mut values = Vec::with_capacity(CELLS * CELLS);
    for y in &ys {
        for x in &xs {
            let at = [(r.names[ix].clone(), value(ix, *x)), (r.names[iy].clone(), value(iy, *y))];
            values.push(check.mean_at(&at, ctx)?.mean);
        }
    }
    // Contour of exponents e through the transition midpoint: ln Gamma - ln Gamma_base = location.
    let contour = |e: &[f64], location: f64, label: &str, dashed: bool| {
        let (bx, by) = (base[&r.names[ix]].log10(), base[&r.names[iy]].log10());
        let points: Vec<(f64, f64)> = (0..=50)
            .map(|i| xs[0] + (xs[CELLS - 1] - xs[0]) * i as f64 / 50.0)
            .map(|x| (x, by + (location / 10f64.ln() - e[ix] * (x - bx)) / e[iy]))
            .filter(|(_, y)| y.is_finite())
            .collect();
        Curve { label: label.to_string(), points, dashed }
    };
    let mut curves = Vec::new();
    if let Some(t) = r.transition {
        curves.push(contour(&r.fitted, t.location, "fitted Gamma at the transition", false));
    }
    if let Some(loc) = r.printed_location {
        curves.push(contour(&r.printed, loc, "printed Gamma at the transition", true));
    }
    let half = |v: &[f64]| (v[1] - v[0]) / 2.0;
    let fig = Figure {
        title: format!("{}: {} ", claim.id(), "simulated output"),
        x: Axis::new(format!("log10 {}", r.names[ix]), xs[0] - half(&xs), xs[CELLS - 1] + half(&xs)),
        y: Axis::new(format!("log10 {}", r.names[iy]), ys[0] - half(&ys), ys[CELLS - 1] + half(&ys)),
        heat: Some(HeatMap { xs, ys, values, label: "test error".into(), scale: Scale::Sequential }),
        curves,
        points: Vec::new(),
    };
    write_svg(&fig, path)?;
    Ok(path.to_path_buf())
}
