//! `tlcheck phase`: phase diagrams of transferability. Nested subcommands, one per paper
//! (`phase lauditi` lives in [`super::phase_lauditi`]).
//!
//! `phase tahir`: transferability T over (theta, gamma) for linear transfer or fine-tuning from the
//! closed forms of Tahir et al. ([`crate::closed_form::tahir`]), with the printed boundaries on top
//! and, with `--simulate`, the simulated mean T at a 10 x 10 grid of points (exact fast paths).

use crate::cli::out::{out, outln};
use std::f64::consts::FRAC_PI_2;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::args::{
    GRID_VALUE, axis_values, envelope, estimate_json, num, parse_grids, resolve_sets, set_names, sets_help, write_file,
};
use super::{to_json, write_sweep_shard};
use crate::analysis::phase::{
    TahirBoundary, TahirPoint, TahirRequest, TahirRow, TahirSimulation, tahir_boundaries, tahir_heat, tahir_points,
    tahir_rows,
};
use crate::analysis::shard::Shard;
use crate::closed_form::tahir::Procedure;
use crate::error::{Error, Result};
use crate::params::{Kind, ParamSpec};
use crate::plot::{Axis, Curve, Figure, HeatMap, Points, Scale, write_svg};
use crate::report::table;

/// Phase diagrams, one subcommand per paper.
#[derive(Subcommand, Debug)]
pub enum PhaseCommand {
    /// Lauditi et al.: transfer gain (lazy loss - transfer loss) over two settings, e.g. nu2 and gamma1.
    ///
    /// The gain comes from the closed forms (derived, D -> infinity); the zero contour is located by
    /// Brent root finding along each column where the gain changes sign. --simulate also simulates the
    /// gain at every grid point. --variant early_stop and --set lambda_wd > 0 have no closed form:
    /// they need --simulate, and then the grid holds simulated gains (default 5 x 5).
    #[command(after_help = super::phase_lauditi::sets_help_text())]
    Lauditi(super::phase_lauditi::PhaseLauditiArgs),
    /// Tahir et al. deep linear transfer: transferability over (theta, gamma = n/d).
    ///
    /// Closed forms at every grid point (and an 80 x 80 heat map with the printed boundaries in the
    /// SVG); --simulate adds the simulated mean T at every grid point (exact fast paths).
    #[command(after_help = sets_help("--set names:", TAHIR_SETTINGS, &[]))]
    Tahir(TahirPhase),
}

/// Transfer procedure of the diagram.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum PhaseProcedure {
    /// Linear transfer (last layer on frozen features).
    Lt,
    /// Fine-tuning all layers.
    Ft,
}

/// The fixed settings of `phase tahir` (`--set NAME=VALUE`).
pub const TAHIR_SETTINGS: &[ParamSpec] = &[
    ParamSpec {
        name: "sigma",
        kind: Kind::Real("[0, inf)"),
        default: "0",
        doc: "target label-noise standard deviation (label units)",
        used_when: None,
    },
    ParamSpec {
        name: "lambda",
        kind: Kind::Real("[0, inf)"),
        default: "0",
        doc: "ridge of the transferred head (--procedure lt only), label units squared",
        used_when: None,
    },
    ParamSpec {
        name: "d",
        kind: Kind::Count(1, 100_000),
        default: "200",
        doc: "input dimension d of the simulation (with --simulate; n = gamma d must be whole)",
        used_when: None,
    },
];

/// Default grid: theta = (0.1, 0.2, ..., 1.0) pi/2 radians.
const THETA_DEFAULT: &str = "0.15707963267948966:1.5707963267948966:10";
/// Default grid: gamma = 0.1, 0.3, ..., 1.9.
const GAMMA_DEFAULT: &str = "0.1:1.9:10";

#[derive(Args, Debug)]
pub struct TahirPhase {
    /// Transfer procedure: lt (linear transfer) or ft (fine-tuning).
    #[arg(long, value_enum)]
    pub procedure: PhaseProcedure,
    /// Grid axis NAME=RANGE (repeatable): theta (radians, across; default (0.1..1.0) pi/2 in 10
    /// points) and gamma = n/d (up; default 0.1:1.9:10). LO:HI:N = N evenly spaced points, ends included.
    #[arg(long, value_name = GRID_VALUE)]
    pub grid: Vec<String>,
    /// Fixed parameter NAME=VALUE (repeatable): sigma, lambda, d (listed below with units and defaults).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Also simulate the transferability (exact fast paths) at every grid point.
    #[arg(long)]
    pub simulate: bool,
    /// Independent target data sets per simulated point [default: 20].
    #[arg(long, value_name = "TRIALS")]
    pub trials: Option<usize>,
    /// Base random seed (u64) of the simulation; point (ix, iy) draws from a stream derived from it.
    #[arg(long, value_name = "SEED", default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
    /// Write the phase diagram (closed-form heat map, printed boundaries, simulated points) to this
    /// SVG file [default: none].
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Write the grid as CSV rows theta,gamma,closed_form,simulated_mean,simulated_se [default: none].
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Print JSON {command, version, seed, settings, elapsed_s, points: [{at: {theta, gamma}, ...}]}.
    #[arg(long)]
    pub json: bool,
    /// Run only shard K of N: grid rows (gamma values) dealt round-robin, each drawing the numbers
    /// the unsharded run draws; writes a shard file for `tlcheck merge` [default: whole run].
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
}

/// Runs a phase subcommand.
pub fn run(cmd: PhaseCommand, argv: &[String]) -> Result<i32> {
    match cmd {
        PhaseCommand::Lauditi(args) => super::phase_lauditi::run(&args, argv),
        PhaseCommand::Tahir(args) => tahir(&args, argv),
    }
}

impl PhaseProcedure {
    fn procedure(self) -> Procedure {
        match self {
            PhaseProcedure::Lt => Procedure::LinearTransfer,
            PhaseProcedure::Ft => Procedure::FineTuning,
        }
    }
}

fn tahir(a: &TahirPhase, argv: &[String]) -> Result<i32> {
    let start = Instant::now();
    let req = tahir_request(a)?;
    let rows = tahir_rows(&req, &|iy| a.shard.is_none_or(|s| s.owns(iy)))?;
    match a.shard {
        Some(shard) => write_sweep_shard("phase tahir", argv, shard, start, &rows),
        None => finish_tahir(a, &req, rows, start.elapsed().as_secs_f64()),
    }
}

/// Writes the outputs of a whole run from its simulated rows (of one run or merged shards).
pub fn finish_tahir(a: &TahirPhase, req: &TahirRequest, rows: Vec<TahirRow>, elapsed: f64) -> Result<i32> {
    let points = tahir_points(req, rows)?;
    if let Some(path) = &a.svg {
        write_svg(&tahir_figure(req, &points), path)?;
    }
    if let Some(path) = &a.csv {
        write_file(path, &tahir_csv(&points))?;
    }
    if a.json {
        outln!("{}", to_json(&tahir_json(req, &points, elapsed)?)?)?;
        return Ok(0);
    }
    print_tahir(req, &points)?;
    let files: Vec<String> = [&a.svg, &a.csv].into_iter().flatten().map(|p| p.display().to_string()).collect();
    if !files.is_empty() {
        outln!("wrote {}", files.join(" and "))?;
    }
    outln!("{elapsed:.2}s")?;
    Ok(0)
}

/// Checks the options and builds the request.
pub fn tahir_request(a: &TahirPhase) -> Result<TahirRequest> {
    let params = resolve_sets(&a.set, TAHIR_SETTINGS, &[])?;
    let axes = parse_grids(&a.grid, &["theta", "gamma"])?;
    let (sigma, lambda, d) = (params.num("sigma")?, params.num("lambda")?, params.size("d")?);
    if a.procedure == PhaseProcedure::Ft && lambda != 0.0 {
        return Err(Error::input("--set lambda applies to --procedure lt only"));
    }
    if !a.simulate && (a.trials.is_some() || set_names(&a.set).iter().any(|n| n == "d")) {
        return Err(Error::input("--trials and --set d need --simulate"));
    }
    let thetas = axis_values(&axes, "theta", THETA_DEFAULT, false)?;
    let gammas = axis_values(&axes, "gamma", GAMMA_DEFAULT, false)?;
    if thetas.iter().any(|t| !(0.0..=FRAC_PI_2 + 1e-12).contains(t)) || gammas.iter().any(|g| *g <= 0.0) {
        return Err(Error::input("--grid theta must lie in [0, pi/2] and gamma > 0"));
    }
    let trials = a.trials.unwrap_or(20);
    if a.simulate {
        if trials < 2 {
            return Err(Error::input("--trials must be at least 2 (a standard error needs two trials)"));
        }
        if let Some(g) = gammas.iter().find(|g| ((*g * d as f64) - (*g * d as f64).round()).abs() > 1e-9) {
            return Err(Error::input(format!("n = gamma d must be whole: gamma = {g} at d = {d}")));
        }
    }
    let simulation = a.simulate.then_some(TahirSimulation { d, trials, seed: a.seed });
    Ok(TahirRequest { procedure: a.procedure.procedure(), sigma, lambda, thetas, gammas, simulation })
}

/// The fixed settings as JSON (the shard header's and the document's).
pub fn tahir_settings(req: &TahirRequest) -> Value {
    let mut s = json!({"procedure": req.procedure.name(), "sigma": req.sigma, "lambda": req.lambda});
    if let Some(sim) = &req.simulation {
        s["d"] = json!(sim.d);
        s["trials"] = json!(sim.trials);
    }
    s["grid"] = json!({"theta": req.thetas, "gamma": req.gammas});
    s
}

fn tahir_json(req: &TahirRequest, points: &[TahirPoint], elapsed: f64) -> Result<Value> {
    let rows = points
        .iter()
        .map(|p| {
            let mut v = json!({"at": {"theta": p.theta, "gamma": p.gamma}, "closed_form": num(p.closed_form)?});
            if let Some(e) = &p.estimate {
                v["simulated"] = estimate_json(e)?;
            }
            Ok(v)
        })
        .collect::<Result<Vec<_>>>()?;
    let seed = req.simulation.map(|s| s.seed);
    Ok(envelope("phase tahir", seed, tahir_settings(req), elapsed, json!({"points": rows})))
}

/// The grid as a table: theta, gamma, closed form and the simulated mean and se.
fn print_tahir(req: &TahirRequest, points: &[TahirPoint]) -> Result<()> {
    let name = req.procedure.name();
    outln!("Tahir et al. transferability T_{name} (sigma = {}, lambda = {}), closed form", req.sigma, req.lambda)?;
    if let Some(sim) = &req.simulation {
        outln!(
            "simulated: tahir.transferability (exact), d = {}, {} data sets per point, seed {}",
            sim.d,
            sim.trials,
            sim.seed
        )?;
    }
    let rows: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            let mut row = vec![format!("{:.4}", p.theta), format!("{}", p.gamma), format!("{:.6}", p.closed_form)];
            if let Some(e) = &p.estimate {
                row.extend([format!("{:.6}", e.mean), format!("{:.1e}", e.se)]);
            }
            row
        })
        .collect();
    let header: &[&str] = if req.simulation.is_some() {
        &["theta", "gamma", "closed form", "simulated", "se"]
    } else {
        &["theta", "gamma", "closed form"]
    };
    out!("{}", table(header, &rows))?;
    Ok(())
}

/// CSV rows theta,gamma,closed_form,simulated_mean,simulated_se, one per grid point.
fn tahir_csv(points: &[TahirPoint]) -> String {
    let mut csv = String::from("theta,gamma,closed_form,simulated_mean,simulated_se\n");
    for p in points {
        let (m, s) = p.estimate.map_or((String::new(), String::new()), |e| (e.mean.to_string(), e.se.to_string()));
        let _ = writeln!(csv, "{},{},{},{m},{s}", p.theta, p.gamma, p.closed_form);
    }
    csv
}

/// Heat map of T (clipped, 80 x 80 cells), the printed boundaries and the simulated points by sign.
fn tahir_figure(req: &TahirRequest, grid: &[TahirPoint]) -> Figure {
    let name = req.procedure.name();
    let mut points = Vec::new();
    if let Some(sim) = &req.simulation {
        let (pos, neg): (Vec<_>, Vec<_>) =
            grid.iter().filter(|p| p.estimate.is_some()).partition(|p| p.estimate.is_some_and(|e| e.mean >= 0.0));
        let at = |v: Vec<&TahirPoint>| v.iter().map(|p| (p.theta, p.gamma, 0.0)).collect();
        points.push(Points {
            label: format!("simulated T >= 0 (d = {}, {} data sets)", sim.d, sim.trials),
            points: at(pos),
        });
        points.push(Points { label: "simulated T < 0".into(), points: at(neg) });
    }
    let (thetas, gammas, values) = tahir_heat(req, 80);
    let curves = tahir_boundaries(req.procedure, req.sigma, 200)
        .into_iter()
        .map(|(kind, points)| {
            let (label, dashed) = match kind {
                TahirBoundary::GammaPlus => ("printed gamma_+", false),
                TahirBoundary::GammaMinus => ("printed gamma_-", true),
                TahirBoundary::Noise => ("printed 1 + sigma^2/sin^2 theta", false),
                TahirBoundary::BreakEven => ("printed break-even theta = pi/3", false),
            };
            Curve { label: label.into(), points, dashed }
        })
        .collect();
    Figure {
        title: format!("Tahir et al. transferability T_{name} (sigma = {}, lambda = {})", req.sigma, req.lambda),
        x: Axis::new("theta (radians)", 0.0, FRAC_PI_2),
        y: Axis::new("gamma = n/d", 0.0, 2.0),
        heat: Some(HeatMap {
            xs: thetas,
            ys: gammas,
            // Clip the divergence at gamma -> 1 so the colour scale stays readable.
            values: values.iter().map(|v| v.clamp(-1.5, 1.5)).collect(),
            label: format!("T_{name} (closed form, clipped to [-1.5, 1.5])"),
            scale: Scale::Diverging,
        }),
        curves,
        points,
        point_colours: Vec::new(),
    }
}
