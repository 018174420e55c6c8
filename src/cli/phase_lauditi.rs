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

use clap::{Args, ValueEnum};

use super::args::{Setting, SimArgs, VariantArg, range, real, real_or_inf};
use super::progress_bar;
use crate::analysis::phase::{
    GainModel, GainPhase, GainPhaseRequest, GainSimulation, GainSource, GridAxis, gain_phase,
};
use crate::closed_form::lauditi::{Transfer, Variant};
use crate::error::{Error, Result};
use crate::optimize::SIMULATED;
use crate::plot::{Axis, Curve, Figure, HeatMap, Points, Scale, write_svg};
use crate::report::table;

/// A setting that can be put on an axis.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum Param {
    Nu2,
    Gamma1,
    Nu1,
    AlphaS,
    AlphaG,
    SigmaS,
    Sigma,
    Ridge,
}

impl Param {
    fn name(self) -> &'static str {
        match self {
            Param::Nu2 => "nu2",
            Param::Gamma1 => "gamma1",
            Param::Nu1 => "nu1",
            Param::AlphaS => "alpha_s",
            Param::AlphaG => "alpha_g",
            Param::SigmaS => "sigma_s",
            Param::Sigma => "sigma",
            Param::Ridge => "ridge",
        }
    }

    /// gamma1 and the ridge are spread and drawn on a log10 scale.
    fn log(self) -> bool {
        matches!(self, Param::Gamma1 | Param::Ridge)
    }

    fn default_range(self) -> &'static str {
        match self {
            Param::Nu2 => "0.05:1.95:39",
            Param::Gamma1 => "0.01:100:41",
            Param::Nu1 => "0.05:0.95:19",
            Param::AlphaS | Param::AlphaG => "-0.95:0.95:39",
            Param::SigmaS | Param::Sigma => "0:1:21",
            Param::Ridge => "1e-3:10:41",
        }
    }

    fn label(self) -> String {
        let what = match self {
            Param::Nu2 => "nu2 = P2/D (target data ratio)",
            Param::Gamma1 => "gamma1 (source richness)",
            Param::Nu1 => "nu1 = P1/D (source data ratio)",
            Param::AlphaS => "alpha_s = b_s . b_t",
            Param::AlphaG => "alpha_g = g_hat . b_t",
            Param::SigmaS => "sigma_s (source noise std)",
            Param::Sigma => "sigma (target noise std)",
            Param::Ridge => "ridge lambda",
        };
        if self.log() { format!("log10 {what}") } else { what.to_string() }
    }
}

/// `phase lauditi` options.
#[derive(Args, Debug)]
pub struct PhaseLauditiArgs {
    /// Setting across (x axis).
    #[arg(long, value_enum, default_value = "nu2")]
    pub x: Param,
    /// Setting up (y axis); gamma1 and ridge are log-spaced and drawn as log10.
    #[arg(long, value_enum, default_value = "gamma1")]
    pub y: Param,
    /// x grid lo:hi:n (defaults: nu2 0.05:1.95:39, gamma1 0.01:100:41, nu1 0.05:0.95:19, alpha -0.95:0.95:39,
    /// noise 0:1:21, ridge 1e-3:10:41; simulated-only grids default to 5 points).
    #[arg(long, value_name = "LO:HI:N")]
    pub x_range: Option<String>,
    /// y grid lo:hi:n (defaults as for --x-range).
    #[arg(long, value_name = "LO:HI:N")]
    pub y_range: Option<String>,
    /// Source data ratio P1/D, or inf (population), where not on an axis.
    #[arg(long, value_name = "A", value_parser = real_or_inf, default_value = "inf")]
    pub nu1: f64,
    /// Target data ratio P2/D, where not on an axis.
    #[arg(long, value_name = "B", value_parser = real, default_value_t = 0.5)]
    pub nu2: f64,
    /// Source richness gamma1, where not on an axis.
    #[arg(long, value_name = "G", value_parser = real, default_value_t = 1.0)]
    pub gamma1: f64,
    /// Alignment b_s . b_t, where not on an axis.
    #[arg(long, value_name = "C", value_parser = real, default_value_t = 0.5, allow_hyphen_values = true)]
    pub alpha_s: f64,
    #[command(flatten)]
    pub setting: Setting,
    /// Write the phase diagram (heat map of the gain, zero contour, simulated points) to this SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: PathBuf,
    /// Also write the grid as CSV (columns source, x, y, gain, se; source = closed_form | simulated).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// With --simulate: simulate an n x n subset of the grid, spread evenly (ignored for early_stop /
    /// --lambda-wd, which have no closed form: then the whole grid is simulated).
    #[arg(long, value_name = "N", default_value_t = 3, requires = "simulate")]
    pub points: usize,
}

impl GainModel for PhaseLauditiArgs {
    /// The transfer setting and gamma1 at grid point (x, y).
    fn transfer(&self, x: f64, y: f64) -> Result<(Transfer, f64)> {
        let (mut nu1, mut nu2, mut gamma1, mut alpha_s) = (self.nu1, self.nu2, self.gamma1, self.alpha_s);
        let mut s = self.setting.clone();
        for (p, v) in [(self.x, x), (self.y, y)] {
            match p {
                Param::Nu2 => nu2 = v,
                Param::Gamma1 => gamma1 = v,
                Param::Nu1 => nu1 = v,
                Param::AlphaS => alpha_s = v,
                Param::AlphaG => s.alpha_g = Some(v),
                Param::SigmaS => s.sigma_s = Some(v),
                Param::Sigma => s.sigma = Some(v),
                Param::Ridge => s.ridge = Some(v),
            }
        }
        Ok((s.transfer(nu1, nu2, alpha_s)?, gamma1))
    }

    /// Observable settings and gamma1 at grid point (x, y).
    fn settings(&self, x: f64, y: f64) -> Result<(Vec<(String, String)>, f64)> {
        let (t, g) = self.transfer(x, y)?;
        let mut s = self.setting.clone();
        if let Variant::Ridge { lambda } = t.variant {
            s.ridge = Some(lambda);
        }
        s.alpha_g = Some(t.alpha_g);
        s.sigma_s = Some(t.sigma_s);
        s.sigma = Some(t.sigma);
        Ok((s.settings(&t, self.sim.d()), g))
    }
}

/// Grid of one axis from its --x-range / --y-range text (or the default; `small`: 5 points).
fn axis_grid(p: Param, text: Option<&str>, small: bool) -> Result<GridAxis> {
    let default = p.default_range();
    let text = match (text, small) {
        (Some(t), _) => t.to_string(),
        (None, true) => format!("{}:5", default.rsplit_once(':').map_or(default, |(a, _)| a)),
        (None, false) => default.to_string(),
    };
    let (lo, hi, n) = range(&text, &format!("--{}-range", p.name()))?;
    GridAxis::new(p.name(), lo, hi, n, p.log())
}

fn csv_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "undefined".to_string() }
}

/// Runs `tlcheck phase lauditi`.
pub fn run(args: &PhaseLauditiArgs) -> Result<i32> {
    let start = Instant::now();
    let req = request(args)?;
    let bar = args.sim.simulate.then(|| progress_bar(req.simulated_trials() as u64, "simulated gains"));
    let phase = gain_phase(&req, args, bar.as_ref());
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let phase = phase?;
    write_svg(&figure(args, &req, &phase), &args.svg)?;
    if let Some(path) = &args.csv {
        std::fs::write(path, csv(args, &req, &phase))
            .map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
    }
    print_summary(args, &req, &phase)?;
    outln!(
        "wrote {}{} in {:.2}s",
        args.svg.display(),
        args.csv.as_ref().map_or(String::new(), |p| format!(" and {}", p.display())),
        start.elapsed().as_secs_f64()
    )?;
    Ok(0)
}

/// Checks the options and builds the request: axis grids (data ratios snapped to whole sample counts
/// when simulating) and the source of the gains.
fn request(args: &PhaseLauditiArgs) -> Result<GainPhaseRequest> {
    args.sim.check(args.sim.simulate)?;
    if args.x == args.y {
        return Err(Error::input("--x and --y must be different settings"));
    }
    let closed = args.setting.no_closed_form().is_none();
    if !closed && !args.sim.simulate {
        let why = args.setting.no_closed_form().unwrap_or_default();
        return Err(Error::input(format!("{why} (the whole grid is then simulated)")));
    }
    if (args.x == Param::Ridge || args.y == Param::Ridge) && args.setting.variant != VariantArg::Ridge {
        return Err(Error::input("a ridge axis needs --variant ridge"));
    }
    if args.sim.simulate && args.points < 2 {
        return Err(Error::input("--points must be at least 2"));
    }
    let mut x = axis_grid(args.x, args.x_range.as_deref(), !closed)?;
    let mut y = axis_grid(args.y, args.y_range.as_deref(), !closed)?;
    let sim = GainSimulation { trials: args.sim.trials(), seed: args.sim.seed };
    if args.sim.simulate {
        // Simulated data ratios need whole sample counts: snap nu1, nu2 to multiples of 1/d.
        for (p, axis) in [(args.x, &mut x), (args.y, &mut y)] {
            if matches!(p, Param::Nu1 | Param::Nu2) {
                axis.snap_to_counts(args.sim.d());
            }
        }
    }
    let source = match (closed, args.sim.simulate) {
        (true, simulate) => GainSource::ClosedForm { overlay: simulate.then_some((sim, args.points)) },
        (false, _) => GainSource::Simulated(sim),
    };
    Ok(GainPhaseRequest { x, y, source })
}

/// Heat map of the gain, zero-contour branches and the simulated overlay by sign (2 se).
fn figure(args: &PhaseLauditiArgs, req: &GainPhaseRequest, phase: &GainPhase) -> Figure {
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
        x: Axis::new(args.x.label(), x0, x1),
        y: Axis::new(args.y.label(), y0, y1),
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
    args.setting.variant.to_possible_value().map_or(String::new(), |v| v.get_name().to_string())
}

/// The grid as CSV (source, x, y, gain, se), then the simulated overlay.
fn csv(args: &PhaseLauditiArgs, req: &GainPhaseRequest, phase: &GainPhase) -> String {
    let closed = req.closed_form();
    let mut text = format!("source,{},{},gain,se\n", args.x.name(), args.y.name());
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
fn print_summary(args: &PhaseLauditiArgs, req: &GainPhaseRequest, phase: &GainPhase) -> Result<()> {
    let s = phase.summary();
    outln!("phase diagram of the transfer gain (lazy - transfer loss) from {}", source(req))?;
    outln!(
        "grid {} x {} ({} across, {} up): gain in [{:.6}, {:.6}], {} cells > 0, {} < 0, {} = 0, {} undefined",
        req.x.values.len(),
        req.y.values.len(),
        args.x.name(),
        args.y.name(),
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
        args.sim.d(),
        args.sim.trials(),
        args.sim.seed
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
    out!("{}", table(&[args.x.name(), args.y.name(), "closed form", "simulated", "se", "z"], &rows))?;
    Ok(())
}
