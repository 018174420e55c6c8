//! `tlcheck phase lauditi`: the transfer gain G = lazy loss - transfer loss (G > 0: pre-training
//! helps) of the Lauditi setting over a grid of two settings (default nu2 across, gamma1 up), from
//! the closed forms, with the zero contour G = 0 located by Brent root finding (argmin BrentRoot)
//! along every column where G changes sign between adjacent cells; optional simulated gains on top.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentRoot;
use clap::{Args, ValueEnum};

use super::progress_bar;
use super::richness::{Setting, SimArgs, VariantArg, linspace, range, real, real_or_inf};
use crate::closed_form::lauditi::{Transfer, Variant};
use crate::error::{Error, Result};
use crate::optimize::SIMULATED;
use crate::plot::{Axis, Curve, Figure, HeatMap, Points, Scale, write_svg};
use crate::report::table;
use crate::stats::Estimate;

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

impl PhaseLauditiArgs {
    /// The transfer setting and gamma1 at grid point (x, y).
    fn at(&self, x: f64, y: f64) -> Result<(Transfer, f64)> {
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

    fn settings_at(&self, x: f64, y: f64) -> Result<(Vec<(String, String)>, f64)> {
        let (t, g) = self.at(x, y)?;
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

/// Grid values of one axis: (values, drawn coordinates).
fn axis_grid(p: Param, text: Option<&str>, small: bool) -> Result<(Vec<f64>, Vec<f64>)> {
    let default = p.default_range();
    let text = match (text, small) {
        (Some(t), _) => t.to_string(),
        (None, true) => format!("{}:5", default.rsplit_once(':').map_or(default, |(a, _)| a)),
        (None, false) => default.to_string(),
    };
    let (lo, hi, n) = range(&text, &format!("--{}-range", p.name()))?;
    if p.log() {
        if lo <= 0.0 {
            return Err(Error::input(format!("{} is drawn on a log scale: its range needs lo > 0", p.name())));
        }
        let t = linspace(lo.log10(), hi.log10(), n);
        Ok((t.iter().map(|v| 10f64.powf(*v)).collect(), t))
    } else {
        let v = linspace(lo, hi, n);
        Ok((v.clone(), v))
    }
}

/// Rounds data-ratio values (nu1, nu2) to whole sample counts at dimension `d` (at least one sample).
fn snap_ratios(p: Param, values: &mut [f64], drawn: &mut [f64], d: u64) {
    if !matches!(p.name(), "nu1" | "nu2") {
        return;
    }
    for (v, t) in values.iter_mut().zip(drawn.iter_mut()) {
        *v = (*v * d as f64).round().max(1.0) / d as f64;
        *t = if p.log() { v.log10() } else { *v };
    }
}

/// argmin problem: the closed-form gain along one column, as a function of the drawn y coordinate.
struct Column<'a> {
    f: &'a dyn Fn(f64) -> Result<f64>,
}

impl CostFunction for Column<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, t: &f64) -> std::result::Result<f64, argmin::core::Error> {
        (self.f)(*t).map_err(|e| argmin::core::Error::msg(e.to_string()))
    }
}

/// Root of `f` in [a, b] (f(a) f(b) < 0) by Brent's method, tolerance 1e-12, at most 200 iterations.
pub fn brent_root(f: &dyn Fn(f64) -> Result<f64>, a: f64, b: f64) -> Result<f64> {
    let res = Executor::new(Column { f }, BrentRoot::new(a, b, 1e-12))
        .configure(|s| s.max_iters(200))
        .run()
        .map_err(|e| Error::numerical(format!("BrentRoot on the zero contour: {e}")))?;
    res.state().get_best_param().copied().ok_or_else(|| Error::numerical("BrentRoot returned no root"))
}

/// Zero contour of a gain on a grid (`values[iy * xs.len() + ix]`, drawn coordinates xs, ys):
/// in every column, each pair of adjacent finite cells of opposite sign brackets a root, located by
/// `root(ix, ya, yb)`. Roots are joined into branches: the k-th root of a column continues the k-th
/// branch of the previous column when both columns have the same number of roots.
pub fn zero_contour(
    xs: &[f64],
    ys: &[f64],
    values: &[f64],
    root: &dyn Fn(usize, usize) -> Result<f64>,
) -> Result<Vec<Vec<(f64, f64)>>> {
    let nx = xs.len();
    let mut done: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open: Vec<Vec<(f64, f64)>> = Vec::new();
    for (ix, &x) in xs.iter().enumerate() {
        let mut roots = Vec::new();
        for iy in 0..ys.len().saturating_sub(1) {
            let (a, b) = (values[iy * nx + ix], values[(iy + 1) * nx + ix]);
            if a.is_finite() && b.is_finite() && a * b < 0.0 {
                roots.push((x, root(ix, iy)?));
            }
        }
        if roots.len() != open.len() {
            done.append(&mut open);
            open = roots.into_iter().map(|r| vec![r]).collect();
        } else {
            open.iter_mut().zip(roots).for_each(|(b, r)| b.push(r));
        }
    }
    done.append(&mut open);
    Ok(done)
}

/// Simulated gain at one grid point: mean and standard error over trials.
fn simulate_gain(args: &PhaseLauditiArgs, x: f64, y: f64, bar: &indicatif::ProgressBar) -> Result<Estimate> {
    let (settings, gamma1) = args.settings_at(x, y)?;
    let gains = SIMULATED.gains(&settings, gamma1, args.sim.trials(), args.sim.seed, Some(bar))?;
    Ok(Estimate::from_samples(&gains))
}

fn csv_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "undefined".to_string() }
}

/// Runs `tlcheck phase lauditi`.
pub fn run(args: &PhaseLauditiArgs) -> Result<i32> {
    let start = Instant::now();
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
    let (mut xv, mut xd) = axis_grid(args.x, args.x_range.as_deref(), !closed)?;
    let (mut yv, mut yd) = axis_grid(args.y, args.y_range.as_deref(), !closed)?;
    if args.sim.simulate {
        // Simulated data ratios need whole sample counts: snap nu1, nu2 to multiples of 1/d.
        snap_ratios(args.x, &mut xv, &mut xd, args.sim.d());
        snap_ratios(args.y, &mut yv, &mut yd, args.sim.d());
    }
    let (nx, ny) = (xv.len(), yv.len());
    let gain_at = |x: f64, y: f64| -> Result<f64> {
        let (t, g) = args.at(x, y)?;
        t.gain(g)
    };
    // Heat map: closed form, or the simulated mean gain where there is no closed form.
    let mut values = vec![f64::NAN; nx * ny];
    let mut ses = vec![f64::NAN; nx * ny];
    let mut first_error = None;
    let total = if closed { args.points * args.points } else { nx * ny };
    let bar = progress_bar((total * args.sim.trials()) as u64, "simulated gains");
    if !args.sim.simulate {
        bar.finish_and_clear();
    }
    for iy in 0..ny {
        for ix in 0..nx {
            let v = if closed {
                gain_at(xv[ix], yv[iy]).map(|g| (g, f64::NAN))
            } else {
                simulate_gain(args, xv[ix], yv[iy], &bar).map(|e| (e.mean, e.se))
            };
            match v {
                Ok((g, se)) => {
                    values[iy * nx + ix] = g;
                    ses[iy * nx + ix] = se;
                }
                Err(e @ Error::Input(_)) if first_error.is_none() => first_error = Some(e),
                Err(Error::Input(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let undefined = values.iter().filter(|v| !v.is_finite()).count();
    if undefined == values.len() {
        return Err(first_error.unwrap_or_else(|| Error::input("the gain is undefined on the whole grid")));
    }
    // Zero contour: Brent roots of the closed form, or linear interpolation of simulated means.
    let branches = zero_contour(&xd, &yd, &values, &|ix, iy| {
        if closed {
            let to_value = |t: f64| if args.y.log() { 10f64.powf(t) } else { t };
            brent_root(&|t| gain_at(xv[ix], to_value(t)), yd[iy], yd[iy + 1])
        } else {
            let (a, b) = (values[iy * nx + ix], values[(iy + 1) * nx + ix]);
            Ok(yd[iy] + (yd[iy + 1] - yd[iy]) * a / (a - b))
        }
    })?;
    // Simulated overlay at an evenly spread subset of the closed-form grid.
    let mut sim_points: Vec<(f64, f64, f64, f64, f64, Estimate)> = Vec::new();
    if args.sim.simulate && closed {
        let pick = |n: usize| -> Vec<usize> {
            let k = args.points.min(n);
            let mut v: Vec<usize> = (0..k).map(|i| (i * (n - 1) + (k - 1) / 2) / (k - 1).max(1)).collect();
            v.dedup();
            v
        };
        for &iy in &pick(ny) {
            for &ix in &pick(nx) {
                let est = simulate_gain(args, xv[ix], yv[iy], &bar)?;
                sim_points.push((xv[ix], yv[iy], xd[ix], yd[iy], values[iy * nx + ix], est));
            }
        }
    }
    bar.finish_and_clear();
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (gmin, gmax) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let source = if closed { "closed forms (derived, D -> infinity)" } else { "simulation" };
    let mut title = format!(
        "transfer gain, {} fine-tuning, {source}",
        args.setting.variant.to_possible_value().map_or(String::new(), |v| v.get_name().to_string())
    );
    if branches.is_empty() {
        let _ = write!(title, "; no zero contour: gain does not change sign (min {gmin:.3e}, max {gmax:.3e})");
    }
    let contour_label = if closed {
        "zero contour: gain = 0 (Brent roots)"
    } else {
        "zero contour: gain = 0 (interpolated simulated means)"
    };
    let curves = branches
        .iter()
        .enumerate()
        .map(|(k, b)| Curve {
            label: if k == 0 { contour_label.to_string() } else { String::new() },
            points: b.clone(),
            dashed: false,
        })
        .collect();
    let mut points = Vec::new();
    for (label, keep) in
        [("simulated gain > 2 se", 1.0), ("simulated gain < -2 se", -1.0), ("simulated gain within 2 se of 0", 0.0)]
    {
        let p: Vec<(f64, f64, f64)> = sim_points
            .iter()
            .filter(|(.., e)| {
                let z = e.mean / e.se.max(f64::MIN_POSITIVE);
                (keep > 0.0 && z > 2.0) || (keep < 0.0 && z < -2.0) || (keep == 0.0 && z.abs() <= 2.0)
            })
            .map(|&(_, _, x, y, _, _)| (x, y, 0.0))
            .collect();
        if !p.is_empty() {
            points.push(Points { label: label.to_string(), points: p });
        }
    }
    let edge = |d: &[f64]| {
        let h = if d.len() > 1 { (d[1] - d[0]) / 2.0 } else { 0.5 };
        (d[0] - h, d[d.len() - 1] + h)
    };
    let ((x0, x1), (y0, y1)) = (edge(&xd), edge(&yd));
    let fig = Figure {
        title,
        x: Axis::new(args.x.label(), x0, x1),
        y: Axis::new(args.y.label(), y0, y1),
        heat: Some(HeatMap {
            xs: xd.clone(),
            ys: yd.clone(),
            values: values.clone(),
            label: "gain = lazy - transfer loss".to_string(),
            scale: Scale::Diverging,
        }),
        curves,
        points,
    };
    write_svg(&fig, &args.svg)?;
    if let Some(path) = &args.csv {
        let mut text = format!("source,{},{},gain,se\n", args.x.name(), args.y.name());
        let tag = if closed { "closed_form" } else { "simulated" };
        for iy in 0..ny {
            for ix in 0..nx {
                let se = if closed { String::new() } else { csv_num(ses[iy * nx + ix]) };
                let _ = writeln!(text, "{tag},{},{},{},{se}", xv[ix], yv[iy], csv_num(values[iy * nx + ix]));
            }
        }
        for (x, y, _, _, _, e) in &sim_points {
            let _ = writeln!(text, "simulated,{x},{y},{},{}", csv_num(e.mean), csv_num(e.se));
        }
        std::fs::write(path, text).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
    }
    println!("phase diagram of the transfer gain (lazy - transfer loss) from {source}");
    println!(
        "grid {nx} x {ny} ({} across, {} up): gain in [{gmin:.6}, {gmax:.6}], {} cells > 0, {} < 0, {} = 0, {undefined} undefined",
        args.x.name(),
        args.y.name(),
        finite.iter().filter(|v| **v > 0.0).count(),
        finite.iter().filter(|v| **v < 0.0).count(),
        finite.iter().filter(|v| **v == 0.0).count(),
    );
    if let Some(e) = first_error.filter(|_| undefined > 0) {
        println!("undefined cells (grey), e.g.: {e}");
    }
    let roots: usize = branches.iter().map(Vec::len).sum();
    if roots == 0 {
        println!("zero contour: none (the gain does not change sign between adjacent cells)");
    } else {
        println!("zero contour: {roots} root(s) in {} branch(es)", branches.len());
    }
    if !sim_points.is_empty() {
        println!(
            "simulated gains ({} at D = {}, {} trials, seed {}) vs closed form:",
            SIMULATED.observable,
            args.sim.d(),
            args.sim.trials(),
            args.sim.seed
        );
        let rows: Vec<Vec<String>> = sim_points
            .iter()
            .map(|(x, y, _, _, c, e)| {
                vec![
                    format!("{x:.4}"),
                    format!("{y:.4}"),
                    format!("{c:.6}"),
                    format!("{:.6}", e.mean),
                    format!("{:.1e}", e.se),
                    format!("{:+.2}", (e.mean - c) / e.se.max(f64::MIN_POSITIVE)),
                ]
            })
            .collect();
        print!("{}", table(&[args.x.name(), args.y.name(), "closed form", "simulated", "se", "z"], &rows));
    }
    println!(
        "wrote {}{} in {:.2}s",
        args.svg.display(),
        args.csv.as_ref().map_or(String::new(), |p| format!(" and {}", p.display())),
        start.elapsed().as_secs_f64()
    );
    Ok(0)
}
