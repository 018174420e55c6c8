use crate::cli::out::{out, outln};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::claim::{default_dir, theorem_paths};
use crate::engine::alpha::check_alpha;
use crate::engine::{Check, Observer, Precision, Run, run_check};
use crate::error::{Error, Result};
use crate::methods::Context;
use crate::methods::collapse::Collapse;
use crate::methods::order::{Env, Sweeps};
use crate::outcome::Details;
use crate::outcome::details::CollapseDetails;
use crate::plot::{Axis, Curve, Figure, HeatMap, Scale, write_svg};
use crate::report::evidence::{evidence, fmt_num};
use crate::report::table;
use crate::spec::{CheckSpec, CollapseSpec, TheoremFile};
use crate::statement::Statement;

/// Options of the subcommand.
pub struct Options {
    pub claim: String,
    /// 1-based check index; None: the first collapse check.
    pub check: Option<usize>,
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

/// Advances the progress bar by the simulated trials.
struct Bar(Option<indicatif::ProgressBar>);

impl Observer for Bar {
    fn trials_done(&self, trials: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(trials);
        }
    }
}

/// The theorem file with id `claim` in `dir`.
fn find_claim(dir: &Path, claim: &str) -> Result<TheoremFile> {
    for path in theorem_paths(dir)? {
        let file = TheoremFile::read(&path)?;
        if file.id == claim {
            return Ok(file);
        }
    }
    Err(Error::input(format!("unknown claim `{claim}` (see `tlcheck list`)")))
}

/// The claim's collapse check number `check` (1-based), or its first, with its 0-based index.
fn collapse_spec(file: &TheoremFile, check: Option<usize>) -> Result<(usize, &CollapseSpec)> {
    fn collapse(check: (usize, &CheckSpec)) -> Option<(usize, &CollapseSpec)> {
        match check {
            (i, CheckSpec::Collapse(c)) => Some((i, c)),
            _ => None,
        }
    }
    match check {
        Some(n) => file.checks.get(n.wrapping_sub(1)).map(|s| (n - 1, s)).and_then(collapse).ok_or_else(|| {
            Error::input(format!("--check {n}: claim `{}` has no collapse check with that number", file.id))
        }),
        None => file
            .checks
            .iter()
            .enumerate()
            .find_map(collapse)
            .ok_or_else(|| Error::input(format!("claim `{}` has no collapse check", file.id))),
    }
}

/// The collapse audit as JSON, with the field names of the audit's `collapse` object.
fn collapse_json(r: &CollapseDetails) -> serde_json::Value {
    let e = &r.exponents;
    let scale = r.scale.as_ref().map(|s| {
        let symmetry: serde_json::Map<String, serde_json::Value> =
            s.symmetry.iter().map(|(k, w)| (k.clone(), json!(w))).collect();
        json!({"symmetry": symmetry, "weight": s.weight, "change": s.change, "predicted": s.predicted,
            "z": s.z})
    });
    json!({
        "names": e.iter().map(|x| x.name.clone()).collect::<Vec<_>>(),
        "printed": e.iter().map(|x| x.printed).collect::<Vec<_>>(),
        "fitted": e.iter().map(|x| x.fitted).collect::<Vec<_>>(),
        "ci": e.iter().map(|x| x.ci).collect::<Vec<_>>(),
        "se": e.iter().map(|x| x.se).collect::<Vec<_>>(),
        "by_size": e.iter().map(|x| json!(x)["by_size"].clone()).collect::<Vec<_>>(),
        "size_map": r.size_map,
        "beyond_reference": r.beyond_reference,
        "reference": e.iter().find(|x| x.fixed).map(|x| x.name.clone()),
        "spread_fitted": r.spread_fitted,
        "spread_printed": r.spread_printed,
        "gamma_base": r.gamma_base,
        "transition": r.transition,
        "printed_location": r.printed_location,
        "drop": r.drop,
        "scale": scale,
        "points": r.points.iter().map(|p| json!(p)).collect::<Vec<_>>(),
    })
}

/// The exponent table: constituent, printed, fitted, interval, value at each size, printed inside.
fn exponent_rows(r: &CollapseDetails) -> Vec<Vec<String>> {
    r.exponents
        .iter()
        .map(|e| {
            let (lo, hi) = e.ci;
            let sizes: Vec<String> = e
                .by_size
                .iter()
                .map(|(l, v, se)| format!("{}: {} +- {}", fmt_num(*l), fmt_num(*v), fmt_num(*se)))
                .collect();
            vec![
                e.name.clone(),
                fmt_num(e.printed),
                fmt_num(e.fitted),
                if e.fixed { "held fixed".into() } else { format!("[{}, {}]", fmt_num(lo), fmt_num(hi)) },
                if sizes.is_empty() { "-".into() } else { sizes.join("; ") },
                if e.fixed || (lo <= e.printed && e.printed <= hi) { "yes".into() } else { "NO".into() },
            ]
        })
        .collect()
}

/// Runs the subcommand; exit code 0.
pub fn run(opts: &Options, progress: Option<indicatif::ProgressBar>) -> Result<i32> {
    let start = std::time::Instant::now();
    let file = find_claim(&opts.theorems.clone().unwrap_or_else(default_dir), &opts.claim)?;
    let statement = Statement::compile(&file)?;
    let (i, spec) = collapse_spec(&file, opts.check)?;
    let cx = Context { claim_id: &file.id, index: i, statement: &statement };
    let compile = || -> Result<Collapse> {
        let c = Collapse::compile(spec, &cx)?;
        Ok(if opts.precise { c.with_precision_factor(PRECISE_FACTOR) } else { c })
    };
    let collapse = compile()?;
    let check = Check {
        index: i + 1,
        method_name: "collapse",
        describe: spec.describe.clone(),
        regime: spec.regime.clone(),
        consistency: spec.consistency.clone(),
        method: Box::new(compile()?),
    };
    let precision = Precision { quick: opts.quick, seed: opts.seed };
    if let Some(bar) = &progress {
        let cells = if opts.svg.is_some() { (CELLS * CELLS) as u64 } else { 0 };
        bar.set_length(check.planned_trials(&precision) + cells * collapse.sweeps().trials(opts.quick) as u64);
    }
    let observer = Bar(progress);
    let run = Run::new(precision, &observer);
    let outcome = run_check(&check, &run, check_alpha(file.checks.len()))?;
    let Details::Collapse(r) = &outcome.details else {
        return Err(Error::numerical("a collapse check gave no collapse details"));
    };
    let figure = match &opts.svg {
        Some(path) => Some(heat_map(&collapse, r, opts.axes.as_deref(), &run, &file.id, path)?),
        None => None,
    };
    if let Some(bar) = &observer.0 {
        bar.finish_and_clear();
    }
    let (verdict, text) = (outcome.verdict, evidence(&outcome));
    if opts.json {
        let payload = json!({"id": file.id, "check": i + 1, "formula": file.claim.formula, "verdict": verdict,
            "evidence": text, "collapse": collapse_json(r), "svg": opts.svg});
        let settings = json!({"quick": opts.quick, "precise": opts.precise, "axes": opts.axes});
        let doc = crate::report::envelope(
            "order-parameter",
            Some(opts.seed),
            settings,
            start.elapsed().as_secs_f64(),
            payload,
        );
        outln!("{}", serde_json::to_string_pretty(&doc).map_err(|e| Error::numerical(e.to_string()))?)?;
    } else {
        outln!("{} check {} ({}) -- {verdict}\n  Gamma = {}", file.id, i + 1, spec.describe, file.claim.formula)?;
        let header = ["constituent", "printed", "fitted", "interval", "at each size lambda", "printed inside"];
        out!("{}", table(&header, &exponent_rows(r)))?;
        outln!("  {text}")?;
        if let Some(m) = &r.size_map {
            outln!("  finite size: exponents extrapolated to lambda -> infinity; {m}")?;
        }
        if !r.beyond_reference.is_empty() {
            outln!("  located beyond the reference sweep (extrapolated): {}", r.beyond_reference.join(", "))?;
        }
        if let Some(p) = figure {
            outln!("  figure: {}", p.display())?;
        }
    }
    Ok(0)
}

/// Axis constituents: `--axes X,Y`, else the reference and the other constituent with the largest
/// |printed exponent| (the last in name order on ties).
fn axes(r: &CollapseDetails, text: Option<&str>) -> Result<(usize, usize)> {
    let e = &r.exponents;
    let find = |n: &str| {
        e.iter()
            .position(|x| x.name == n)
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
            let x = e.iter().position(|x| x.fixed).ok_or_else(|| Error::input("the collapse has no reference"))?;
            let y = (0..e.len())
                .filter(|&k| k != x)
                .fold(None, |best: Option<usize>, k| match best {
                    Some(b) if e[b].printed.abs() > e[k].printed.abs() => Some(b),
                    _ => Some(k),
                })
                .ok_or_else(|| Error::input("a heat map needs two swept constituents"))?;
            Ok((x, y))
        }
    }
}

/// Log10-spaced values of constituent `k` over its swept range (base included); whole-number
/// constituents (sample sizes, dimensions) are rounded to whole numbers when simulated.
fn log_range(collapse: &Collapse, base: &Env, k: usize) -> Result<(Vec<f64>, bool)> {
    let (name, vals) = &collapse.sweeps().sweep[k];
    let b = Sweeps::at_base(base, name)?;
    let lo = vals.iter().copied().fold(b, f64::min).log10();
    let hi = vals.iter().copied().fold(b, f64::max).log10();
    let whole = vals.iter().chain([&b]).all(|x| x.fract() == 0.0);
    Ok(((0..CELLS).map(|i| lo + (hi - lo) * i as f64 / (CELLS - 1) as f64).collect(), whole))
}

/// Contour of exponents `e` through the transition midpoint (ln Gamma - ln Gamma_base = location)
/// over log10 x in `xs`, through the base point (bx, by).
fn contour(e: (f64, f64), (bx, by): (f64, f64), xs: &[f64], location: f64, label: &str, dashed: bool) -> Curve {
    let (x0, x1) = (xs[0], xs[xs.len() - 1]);
    let points: Vec<(f64, f64)> = (0..=50)
        .map(|i| x0 + (x1 - x0) * i as f64 / 50.0)
        .map(|x| (x, by + (location / 10f64.ln() - e.0 * (x - bx)) / e.1))
        .filter(|(_, y)| y.is_finite())
        .collect();
    Curve { label: label.to_string(), points, dashed }
}

/// Simulates the output on a log-spaced grid over two constituents and draws it with the contours
/// Gamma_printed = Gamma*_printed and Gamma_fit = Gamma*_fit at the transition midpoints.
fn heat_map(
    collapse: &Collapse,
    r: &CollapseDetails,
    axes_text: Option<&str>,
    run: &Run,
    claim: &str,
    path: &Path,
) -> Result<PathBuf> {
    let (ix, iy) = axes(r, axes_text)?;
    let base = collapse.sweeps().base(run.precision().quick)?;
    let (names, e) = (&r.exponents, &r.exponents);
    let ((xs, x_whole), (ys, y_whole)) = (log_range(collapse, &base, ix)?, log_range(collapse, &base, iy)?);
    let value = |t: f64, whole: bool| if whole { 10f64.powf(t).round() } else { 10f64.powf(t) };
    let mut values = Vec::with_capacity(CELLS * CELLS);
    for y in &ys {
        for x in &xs {
            let at = [(names[ix].name.clone(), value(*x, x_whole)), (names[iy].name.clone(), value(*y, y_whole))];
            values.push(collapse.mean_at(run, &at)?.mean);
        }
    }
    let b = (Sweeps::at_base(&base, &names[ix].name)?.log10(), Sweeps::at_base(&base, &names[iy].name)?.log10());
    let mut curves = Vec::new();
    if let Some(t) = r.transition {
        let fitted = (e[ix].fitted, e[iy].fitted);
        curves.push(contour(fitted, b, &xs, t.location, "fitted Gamma at the transition", false));
    }
    if let Some(loc) = r.printed_location {
        let printed = (e[ix].printed, e[iy].printed);
        curves.push(contour(printed, b, &xs, loc, "printed Gamma at the transition", true));
    }
    let half = |v: &[f64]| (v[1] - v[0]) / 2.0;
    let fig = Figure {
        title: format!("{claim}: {} ", "simulated output"),
        x: Axis::new(format!("log10 {}", names[ix].name), xs[0] - half(&xs), xs[CELLS - 1] + half(&xs)),
        y: Axis::new(format!("log10 {}", names[iy].name), ys[0] - half(&ys), ys[CELLS - 1] + half(&ys)),
        heat: Some(HeatMap { xs, ys, values, label: "test error".into(), scale: Scale::Sequential }),
        curves,
        points: Vec::new(),
        point_colours: Vec::new(),
    };
    write_svg(&fig, path)?;
    Ok(path.to_path_buf())
}
