//! `tlcheck phase`: phase diagrams of transferability. Nested subcommands, one per paper
//! (`phase lauditi` lives in [`super::phase_lauditi`]).
//!
//! `phase tahir`: transferability T over (theta, gamma) for linear transfer or fine-tuning from the
//! closed forms of Tahir et al. ([`crate::closed_form::tahir`]), with the printed boundaries on top
//! and, with `--simulate`, the simulated mean T at a 10 x 10 grid of points (exact fast paths).

use crate::cli::out::outln;
use std::f64::consts::FRAC_PI_2;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::analysis::phase::{
    TahirBoundary, TahirDiagram, TahirPoint, TahirRequest, TahirSimulation, tahir_boundaries, tahir_diagram,
};
use crate::closed_form::tahir::Procedure;
use crate::error::{Error, Result};
use crate::plot::{Axis, Curve, Figure, HeatMap, Points, Scale, write_svg};

/// Phase diagrams, one subcommand per paper.
#[derive(Subcommand, Debug)]
pub enum PhaseCommand {
    /// Lauditi et al.: transfer gain (lazy loss - transfer loss) over two settings, e.g. nu2 and gamma1.
    ///
    /// The gain comes from the closed forms (derived, D -> infinity); the zero contour is located by
    /// Brent root finding along each column where the gain changes sign. --simulate overlays simulated
    /// gains at an evenly spread --points x --points subset. --variant early_stop and --lambda-wd > 0
    /// have no closed form: they need --simulate, and then the whole grid is simulated (default 5 x 5).
    Lauditi(super::phase_lauditi::PhaseLauditiArgs),
    /// Tahir et al. deep linear transfer: transferability over (theta, gamma = n/d).
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

#[derive(Args, Debug)]
pub struct TahirPhase {
    /// Transfer procedure: lt (linear transfer) or ft (fine-tuning).
    #[arg(long, value_enum)]
    procedure: PhaseProcedure,
    /// Target label-noise standard deviation sigma (>= 0).
    #[arg(long, default_value_t = 0.0)]
    sigma: f64,
    /// Ridge lambda of the transferred head (lt only, >= 0).
    #[arg(long, default_value_t = 0.0)]
    lambda: f64,
    /// Output SVG file.
    #[arg(long, value_name = "FILE")]
    svg: PathBuf,
    /// Also write CSV rows theta,gamma,closed_form,simulated_mean,simulated_se: simulated points first
    /// (with --simulate), then the heat-map cells (simulated columns empty).
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Heat-map cells per axis.
    #[arg(long, default_value_t = 80)]
    points: usize,
    /// Overlay simulated transferability (exact fast paths) at theta = (0.1..1.0) pi/2, gamma = 0.1, 0.3, ..., 1.9.
    #[arg(long)]
    simulate: bool,
    /// Dimension d of the simulation (a multiple of 10, so that n = gamma d is whole).
    #[arg(long, default_value_t = 200)]
    d: usize,
    /// Independent target data sets per simulated point.
    #[arg(long, default_value_t = 20)]
    trials: usize,
    /// Base random seed of the simulation.
    #[arg(long, default_value_t = crate::cli::DEFAULT_SEED)]
    seed: u64,
}

/// Runs a phase subcommand.
pub fn run(cmd: PhaseCommand) -> Result<i32> {
    match cmd {
        PhaseCommand::Lauditi(args) => super::phase_lauditi::run(&args),
        PhaseCommand::Tahir(args) => tahir(&args),
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

fn tahir(a: &TahirPhase) -> Result<i32> {
    let req = tahir_request(a)?;
    let diagram = tahir_diagram(&req)?;
    write_svg(&tahir_figure(&req, &diagram), &a.svg)?;
    if let Some(path) = &a.csv {
        std::fs::write(path, tahir_csv(&diagram))
            .map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    outln!("wrote {}", a.svg.display())?;
    Ok(0)
}

/// Checks the options and builds the request.
fn tahir_request(a: &TahirPhase) -> Result<TahirRequest> {
    if !(a.sigma.is_finite() && a.sigma >= 0.0) {
        return Err(Error::input(format!("--sigma {} must be a finite number >= 0", a.sigma)));
    }
    if !(a.lambda.is_finite() && a.lambda >= 0.0) {
        return Err(Error::input(format!("--lambda {} must be a finite number >= 0", a.lambda)));
    }
    if a.procedure == PhaseProcedure::Ft && a.lambda != 0.0 {
        return Err(Error::input("--lambda applies to --procedure lt only"));
    }
    if !(2..=2000).contains(&a.points) {
        return Err(Error::input("--points must lie in [2, 2000]"));
    }
    let simulation = a.simulate.then_some(TahirSimulation { d: a.d, trials: a.trials, seed: a.seed });
    Ok(TahirRequest {
        procedure: a.procedure.procedure(),
        sigma: a.sigma,
        lambda: a.lambda,
        points: a.points,
        simulation,
    })
}

/// CSV rows theta,gamma,closed_form,simulated_mean,simulated_se: simulated points, then the cells.
fn tahir_csv(d: &TahirDiagram) -> String {
    let mut csv = String::from("theta,gamma,closed_form,simulated_mean,simulated_se\n");
    for p in &d.simulated {
        let _ = writeln!(csv, "{},{:.1},{},{},{}", p.theta, p.gamma, p.closed_form, p.estimate.mean, p.estimate.se);
    }
    for (j, g) in d.gammas.iter().enumerate() {
        for (i, t) in d.thetas.iter().enumerate() {
            let _ = writeln!(csv, "{t},{g},{},,", d.values[j * d.thetas.len() + i]);
        }
    }
    csv
}

/// Heat map of T (clipped), the printed boundaries and the simulated points by sign.
fn tahir_figure(req: &TahirRequest, d: &TahirDiagram) -> Figure {
    let name = req.procedure.name();
    let mut points = Vec::new();
    if let Some(sim) = &req.simulation {
        let (pos, neg): (Vec<_>, Vec<_>) = d.simulated.iter().partition(|p| p.estimate.mean >= 0.0);
        let at = |v: Vec<&TahirPoint>| v.iter().map(|p| (p.theta, p.gamma, 0.0)).collect();
        points.push(Points {
            label: format!("simulated T >= 0 (d = {}, {} data sets)", sim.d, sim.trials),
            points: at(pos),
        });
        points.push(Points { label: "simulated T < 0".into(), points: at(neg) });
    }
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
            xs: d.thetas.clone(),
            ys: d.gammas.clone(),
            // Clip the divergence at gamma -> 1 so the colour scale stays readable.
            values: d.values.iter().map(|v| v.clamp(-1.5, 1.5)).collect(),
            label: format!("T_{name} (closed form, clipped to [-1.5, 1.5])"),
            scale: Scale::Diverging,
        }),
        curves,
        points,
        point_colours: Vec::new(),
    }
}
