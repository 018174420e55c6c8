//! `tlcheck phase lauditi`: the transfer gain G = lazy loss - transfer loss (G > 0: pre-training
//! helps) of the Lauditi setting over a grid of two settings (default nu2 across, gamma1 up), from
//! the closed forms, with the zero contour G = 0 located by Brent root finding along every column
//! where G changes sign between adjacent cells; optional simulated gains on top. The numerics are
//! [`crate::analysis::phase::gain_phase`]; this module parses, draws and prints.

use crate::cli::out::{out, outln};
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use serde_json::{Value, json};

use super::args::{
    GRID_VALUE, GridAxisArg, LAUDITI_SETTINGS, LauditiPoint, Range, VariantArg, envelope, estimate_json, num,
    parse_grids, parse_range, sets_help, write_file,
};
use super::{progress_bar, to_json, write_sweep_shard};
use crate::analysis::phase::{
    GainModel, GainPhase, GainPhaseRequest, GainRow, GainSimulation, GainSource, GridAxis, assemble_gain_phase,
    gain_rows,
};
use crate::analysis::shard::Shard;
use crate::closed_form::lauditi::Transfer;
use crate::error::{Error, Result};
use crate::optimize::SIMULATED;
use crate::plot::{Axis, Curve, Figure, HeatMap, Points, Scale, write_svg};
use crate::report::table;

/// The settings that can be put on an axis.
const AXES: &[&str] = &["nu2", "gamma1", "nu1", "alpha_s", "alpha_g", "sigma_s", "sigma", "lambda"];

/// gamma1 and the ridge lambda are spread and drawn on a log10 scale.
fn is_log(name: &str) -> bool {
    matches!(name, "gamma1" | "lambda")
}

/// Default RANGE of an axis (simulated-only grids keep the ends with 5 points).
fn default_range(name: &str) -> &'static str {
    match name {
        "nu2" => "0.05:1.95:39",
        "gamma1" => "0.01:100:41",
        "nu1" => "0.05:0.95:19",
        "alpha_s" | "alpha_g" => "-0.95:0.95:39",
        "lambda" => "1e-3:10:41",
        _ => "0:1:21",
    }
}

fn label(name: &str) -> String {
    let what = match name {
        "nu2" => "nu2 = P2/D (target data ratio)",
        "gamma1" => "gamma1 (source richness)",
        "nu1" => "nu1 = P1/D (source data ratio)",
        "alpha_s" => "alpha_s = b_s . b_t",
        "alpha_g" => "alpha_g = g_hat . b_t",
        "sigma_s" => "sigma_s (source noise std)",
        "sigma" => "sigma (target noise std)",
        _ => "ridge lambda",
    };
    if is_log(name) { format!("log10 {what}") } else { what.to_string() }
}

/// The `--set` names of `phase lauditi`, for its help.
pub fn sets_help_text() -> String {
    sets_help("--set names (a name on an axis is swept instead):", LAUDITI_SETTINGS, &[])
}

/// `phase lauditi` options.
#[derive(Args, Debug)]
pub struct PhaseLauditiArgs {
    /// Grid axis NAME=RANGE, given twice: the first across (x), the second up (y) [default: nu2 and
    /// gamma1]. Names: nu2, gamma1, nu1, alpha_s, alpha_g, sigma_s, sigma, lambda; gamma1 and lambda
    /// are log-spaced and drawn as log10. LO:HI:N = N points, ends included [defaults: nu2
    /// 0.05:1.95:39, gamma1 0.01:100:41, nu1 0.05:0.95:19, alpha -0.95:0.95:39, noise 0:1:21, lambda
    /// 1e-3:10:41; 5 points when the grid is simulated].
    #[arg(long, value_name = GRID_VALUE)]
    pub grid: Vec<String>,
    /// Fixed parameter NAME=VALUE (repeatable), listed below with units and defaults.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Fine-tuning variant.
    #[arg(long, value_enum, default_value = "readout")]
    pub variant: VariantArg,
    /// Also simulate the gain at every grid point (lauditi.transfer_loss, common random numbers).
    #[arg(long)]
    pub simulate: bool,
    /// Independent trials per simulated grid point [default: 100].
    #[arg(long, value_name = "TRIALS")]
    pub trials: Option<usize>,
    /// Base random seed (u64); every grid point uses the same trial seeds (common random numbers).
    #[arg(long, value_name = "SEED", default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
    /// Write the phase diagram (heat map of the gain, zero contour, simulated points) to this SVG
    /// file [default: none].
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Write the grid as CSV (columns source, x, y, gain, se; source = closed_form | simulated)
    /// [default: none].
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Print JSON {command, version, seed, settings, elapsed_s, points: [{at, gain, ...}], zero_contour}.
    #[arg(long)]
    pub json: bool,
    /// Run only shard K of N: grid rows (y values) dealt round-robin, each drawing the numbers the
    /// unsharded run draws; writes a shard file for `tlcheck merge` [default: whole run].
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
}

/// The setting at every grid point: the fixed values with the two axes set.
pub struct Model {
    pub base: LauditiPoint,
    pub x: &'static str,
    pub y: &'static str,
}

impl Model {
    fn at(&self, x: f64, y: f64) -> LauditiPoint {
        let mut p = self.base.clone();
        p.set(self.x, x);
        p.set(self.y, y);
        p
    }
}

impl GainModel for Model {
    /// The transfer setting and gamma1 at grid point (x, y).
    fn transfer(&self, x: f64, y: f64) -> Result<(Transfer, f64)> {
        let p = self.at(x, y);
        Ok((p.transfer(), p.get("gamma1")))
    }

    /// Observable settings and gamma1 at grid point (x, y).
    fn settings(&self, x: f64, y: f64) -> Result<(Vec<(String, String)>, f64)> {
        let p = self.at(x, y);
        Ok((p.sim_settings(), p.get("gamma1")))
    }
}

/// The axis names: the first --grid across, the second up (defaults nu2, gamma1).
fn axis_names(axes: &[GridAxisArg]) -> Result<(&'static str, &'static str)> {
    let name = |i: usize, default: &'static str| -> &'static str {
        axes.get(i).and_then(|a| AXES.iter().find(|n| **n == a.name).copied()).unwrap_or(default)
    };
    match axes.len() {
        0 => Ok(("nu2", "gamma1")),
        1 => Ok((name(0, "nu2"), if name(0, "nu2") == "gamma1" { "nu2" } else { "gamma1" })),
        2 => Ok((name(0, "nu2"), name(1, "gamma1"))),
        n => Err(Error::input(format!("phase lauditi takes two --grid axes (x then y), got {n}"))),
    }
}

/// Grid of one axis from its --grid RANGE or the default (`small`: 5 points).
fn axis_grid(axes: &[GridAxisArg], name: &str, small: bool) -> Result<GridAxis> {
    let range = match axes.iter().find(|a| a.name == name) {
        Some(a) => a.range.clone(),
        None => match parse_range(default_range(name)).map_err(Error::input)? {
            Range::Span { lo, hi, .. } if small => Range::Span { lo, hi, n: 5 },
            r => r,
        },
    };
    GridAxis::from_values(name, range.values(is_log(name)), is_log(name))
}

fn csv_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "undefined".to_string() }
}

/// Runs `tlcheck phase lauditi`.
pub fn run(args: &PhaseLauditiArgs, argv: &[String]) -> Result<i32> {
    let start = Instant::now();
    let (req, model) = request(args)?;
    let owns = |iy: usize| args.shard.is_none_or(|s| s.owns(iy));
    let bar = req.simulation().map(|_| progress_bar(req.simulated_trials(&owns) as u64, "simulated gains"));
    let rows = gain_rows(&req, &model, &owns, bar.as_ref());
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match args.shard {
        Some(shard) => write_sweep_shard("phase lauditi", argv, shard, start, &rows?),
        None => finish(args, &req, &model, rows?, start.elapsed().as_secs_f64()),
    }
}

/// Writes the outputs of a whole run from its rows (of one run or merged shards).
pub fn finish(
    args: &PhaseLauditiArgs,
    req: &GainPhaseRequest,
    model: &Model,
    rows: Vec<GainRow>,
    elapsed: f64,
) -> Result<i32> {
    let phase = assemble_gain_phase(req, model, rows)?;
    if let Some(path) = &args.svg {
        write_svg(&figure(args, req, model, &phase), path)?;
    }
    if let Some(path) = &args.csv {
        write_file(path, &csv(req, model, &phase))?;
    }
    if args.json {
        outln!("{}", to_json(&json_doc(args, req, model, &phase, elapsed)?)?)?;
        return Ok(0);
    }
    print_summary(args, req, model, &phase)?;
    let files: Vec<String> = [&args.svg, &args.csv].into_iter().flatten().map(|p| p.display().to_string()).collect();
    if !files.is_empty() {
        outln!("wrote {}", files.join(" and "))?;
    }
    outln!("{elapsed:.2}s")?;
    Ok(0)
}

/// Checks the options and builds the request and the model: axis grids (data ratios snapped to
/// whole sample counts when simulating) and the source of the gains.
pub fn request(args: &PhaseLauditiArgs) -> Result<(GainPhaseRequest, Model)> {
    let axes = parse_grids(&args.grid, AXES)?;
    let (xn, yn) = axis_names(&axes)?;
    if xn == yn {
        return Err(Error::input("the two --grid axes must be different settings"));
    }
    let base = LauditiPoint::from_sets(&args.set, &[xn, yn], args.variant, args.simulate)?;
    if !args.simulate && args.trials.is_some() {
        return Err(Error::input("--trials needs --simulate"));
    }
    let closed = base.no_closed_form().is_none();
    if !closed && !args.simulate {
        let why = base.no_closed_form().unwrap_or_default();
        return Err(Error::input(format!("{why} (the whole grid is then simulated)")));
    }
    if (xn == "lambda" || yn == "lambda") && args.variant != VariantArg::Ridge {
        return Err(Error::input("a lambda axis needs --variant ridge"));
    }
    let mut x = axis_grid(&axes, xn, !closed)?;
    let mut y = axis_grid(&axes, yn, !closed)?;
    let sim = GainSimulation { trials: args.trials.unwrap_or(100), seed: args.seed };
    if args.simulate {
        if sim.trials < 2 {
            return Err(Error::input("--trials must be at least 2 (a standard error needs two trials)"));
        }
        // Simulated data ratios need whole sample counts: snap nu1, nu2 to multiples of 1/d.
        for (name, axis) in [(xn, &mut x), (yn, &mut y)] {
            if matches!(name, "nu1" | "nu2") {
                axis.snap_to_counts(base.d());
            }
        }
    }
    let source = match (closed, args.simulate) {
        (true, simulate) => GainSource::ClosedForm { overlay: simulate.then_some(sim) },
        (false, _) => GainSource::Simulated(sim),
    };
    Ok((GainPhaseRequest { x, y, source }, Model { base, x: xn, y: yn }))
}

/// The fixed settings as JSON (the shard header's and the document's).
pub fn settings_json(req: &GainPhaseRequest, model: &Model) -> Result<Value> {
    let mut skip = vec![model.x, model.y];
    if req.simulation().is_none() {
        skip.push("d");
    }
    let mut s = model.base.json(&skip)?;
    s.insert("source".into(), json!(if req.closed_form() { "closed_form" } else { "simulation" }));
    if let Some(sim) = req.simulation() {
        s.insert("trials".into(), json!(sim.trials));
    }
    s.insert("grid".into(), json!({"x": model.x, "y": model.y, model.x: req.x.values, model.y: req.y.values}));
    Ok(Value::Object(s))
}

/// The JSON document: settings, one point per grid cell (gain, se, simulated overlay), the zero
/// contour as lists of `at` points, and the sign counts.
fn json_doc(
    args: &PhaseLauditiArgs,
    req: &GainPhaseRequest,
    model: &Model,
    phase: &GainPhase,
    elapsed: f64,
) -> Result<Value> {
    let nx = req.x.values.len();
    let overlay =
        |ix: usize, iy: usize| phase.simulated.iter().find(|s| s.x == req.x.values[ix] && s.y == req.y.values[iy]);
    let mut points = Vec::new();
    for (iy, &y) in req.y.values.iter().enumerate() {
        for (ix, &x) in req.x.values.iter().enumerate() {
            let mut p = json!({"at": {model.x: x, model.y: y}});
            let (g, se) = (phase.values[iy * nx + ix], phase.ses[iy * nx + ix]);
            if g.is_finite() {
                p["gain"] = json!(g)
            } else {
                p["undefined"] = json!(true)
            }
            if se.is_finite() {
                p["se"] = json!(se);
                p["trials"] = json!(req.simulation().map_or(0, |s| s.trials));
            }
            if let Some(s) = overlay(ix, iy) {
                p["simulated"] = estimate_json(&s.estimate)?;
            }
            points.push(p);
        }
    }
    let contour: Vec<Vec<Value>> = phase
        .branches
        .iter()
        .map(|b| {
            b.iter().map(|&(xd, yd)| json!({"at": {model.x: req.x.value(xd), model.y: req.y.value(yd)}})).collect()
        })
        .collect();
    let s = phase.summary();
    let summary = json!({"min": num(s.min)?, "max": num(s.max)?, "positive": s.positive, "negative": s.negative,
                         "zero": s.zero, "undefined": s.undefined});
    let seed = req.simulation().map(|_| args.seed);
    let payload = json!({"points": points, "zero_contour": contour, "summary": summary});
    Ok(envelope("phase lauditi", seed, settings_json(req, model)?, elapsed, payload))
}

/// Heat map of the gain, zero-contour branches and the simulated overlay by sign (2 se).
fn figure(args: &PhaseLauditiArgs, req: &GainPhaseRequest, model: &Model, phase: &GainPhase) -> Figure {
    let closed = req.closed_form();
    let mut title = format!("transfer gain, {} fine-tuning, {}", variant_name(args), source(req));
    if phase.branches.is_empty() {
        let s = phase.summary();
        let _ = write!(title, "; no zero contour: gain does not change sign (min {:.3e}, max {:.3e})", s.min, s.max);
    }
    let contour_label = if closed {
        "zero contour: gain = 0 (Brent roots)"
    } else {
        "zero contour: gain = 0 (interpolated simulated means)"
    };
    let curves = phase
        .branches
        .iter()
        .enumerate()
        .map(|(k, b)| Curve {
            label: if k == 0 { contour_label.to_string() } else { String::new() },
            points: b.clone(),
            dashed: false,
        })
        .collect();
    let mut points = Vec::new();
    for (label, sign) in [
        ("simulated gain > 2 se", Ordering::Greater),
        ("simulated gain < -2 se", Ordering::Less),
        ("simulated gain within 2 se of 0", Ordering::Equal),
    ] {
        let p: Vec<(f64, f64, f64)> = phase
            .simulated
            .iter()
            .filter(|s| s.significant_sign() == Some(sign))
            .map(|s| (s.x_drawn, s.y_drawn, 0.0))
            .collect();
        if !p.is_empty() {
            points.push(Points { label: label.to_string(), points: p });
        }
    }
    let edge = |d: &[f64]| {
        let h = if d.len() > 1 { (d[1] - d[0]) / 2.0 } else { 0.5 };
        (d[0] - h, d[d.len() - 1] + h)
    };
    let ((x0, x1), (y0, y1)) = (edge(&req.x.drawn), edge(&req.y.drawn));
    Figure {
        title,
        x: Axis::new(label(model.x), x0, x1),
        y: Axis::new(label(model.y), y0, y1),
        heat: Some(HeatMap {
            xs: req.x.drawn.clone(),
            ys: req.y.drawn.clone(),
            values: phase.values.clone(),
            label: "gain = lazy - transfer loss".to_string(),
            scale: Scale::Diverging,
        }),
        curves,
        points,
        point_colours: Vec::new(),
    }
}

fn source(req: &GainPhaseRequest) -> &'static str {
    if req.closed_form() { "closed forms (derived, D -> infinity)" } else { "simulation" }
}

fn variant_name(args: &PhaseLauditiArgs) -> String {
    args.variant.name().to_string()
}

/// The grid as CSV (source, x, y, gain, se), then the simulated overlay.
fn csv(req: &GainPhaseRequest, model: &Model, phase: &GainPhase) -> String {
    let closed = req.closed_form();
    let mut text = format!("source,{},{},gain,se\n", model.x, model.y);
    let tag = if closed { "closed_form" } else { "simulated" };
    let nx = req.x.values.len();
    for (iy, y) in req.y.values.iter().enumerate() {
        for (ix, x) in req.x.values.iter().enumerate() {
            let se = if closed { String::new() } else { csv_num(phase.ses[iy * nx + ix]) };
            let _ = writeln!(text, "{tag},{x},{y},{},{se}", csv_num(phase.values[iy * nx + ix]));
        }
    }
    for s in &phase.simulated {
        let _ = writeln!(text, "simulated,{},{},{},{}", s.x, s.y, csv_num(s.estimate.mean), csv_num(s.estimate.se));
    }
    text
}

/// Prints the grid summary, the zero contour and the simulated gains against the closed form.
fn print_summary(args: &PhaseLauditiArgs, req: &GainPhaseRequest, model: &Model, phase: &GainPhase) -> Result<()> {
    let s = phase.summary();
    outln!("phase diagram of the transfer gain (lazy - transfer loss) from {}", source(req))?;
    outln!(
        "grid {} x {} ({} across, {} up): gain in [{:.6}, {:.6}], {} cells > 0, {} < 0, {} = 0, {} undefined",
        req.x.values.len(),
        req.y.values.len(),
        model.x,
        model.y,
        s.min,
        s.max,
        s.positive,
        s.negative,
        s.zero,
        s.undefined,
    )?;
    if let Some(e) = phase.first_error.as_ref().filter(|_| s.undefined > 0) {
        outln!("undefined cells (grey), e.g.: {e}")?;
    }
    let roots: usize = phase.branches.iter().map(Vec::len).sum();
    if roots == 0 {
        outln!("zero contour: none (the gain does not change sign between adjacent cells)")?;
    } else {
        outln!("zero contour: {roots} root(s) in {} branch(es)", phase.branches.len())?;
    }
    if phase.simulated.is_empty() {
        return Ok(());
    }
    outln!(
        "simulated gains ({} at D = {}, {} trials, seed {}) vs closed form:",
        SIMULATED.observable,
        model.base.d(),
        req.simulation().map_or(0, |s| s.trials),
        args.seed
    )?;
    let rows: Vec<Vec<String>> = phase
        .simulated
        .iter()
        .map(|p| {
            vec![
                format!("{:.4}", p.x),
                format!("{:.4}", p.y),
                format!("{:.6}", p.closed_form),
                format!("{:.6}", p.estimate.mean),
                format!("{:.1e}", p.estimate.se),
                format!("{:+.2}", p.z_vs_closed_form()),
            ]
        })
        .collect();
    out!("{}", table(&[model.x, model.y, "closed form", "simulated", "se", "z"], &rows))?;
    Ok(())
}
