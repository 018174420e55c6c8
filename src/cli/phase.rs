//! `tlcheck phase`: phase diagrams of transferability. Nested subcommands, one per paper
//! (`phase lauditi` lives in [`super::phase_lauditi`]).
//!
//! `phase tahir`: transferability T over (theta, gamma) for linear transfer or fine-tuning from the
//! closed forms of Tahir et al. ([`crate::closed_form::tahir`]), with the printed boundaries on top
//! and, with `--simulate`, the simulated mean T at a 10 x 10 grid of points (exact fast paths).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::closed_form::tahir::{FT_BREAK_EVEN, Procedure, lt_boundary, lt_noise_boundary, transferability};
use crate::error::{Error, Result};
use crate::observable::{find, simulate};
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
    #[arg(long, default_value_t = 1)]
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

/// The printed boundary curves as (theta, gamma) polylines (parts outside (0, 2] dropped).
fn printed_curves(procedure: PhaseProcedure, sigma: f64, n: usize) -> Vec<Curve> {
    let half_pi = std::f64::consts::FRAC_PI_2;
    let thetas: Vec<f64> = (0..=n).map(|i| half_pi * i as f64 / n as f64).collect();
    let keep = |pts: Vec<(f64, f64)>| pts.into_iter().filter(|(_, g)| g.is_finite() && *g > 0.0 && *g <= 2.0).collect();
    match procedure {
        PhaseProcedure::Lt => {
            vec![
                Curve {
                    label: "printed gamma_+".into(),
                    points: keep(thetas.iter().map(|&t| (t, lt_boundary(t, sigma).0)).collect()),
                    dashed: false,
                },
                Curve {
                    label: "printed gamma_-".into(),
                    points: keep(thetas.iter().map(|&t| (t, lt_boundary(t, sigma).1)).collect()),
                    dashed: true,
                },
                Curve {
                    label: "printed 1 + sigma^2/sin^2 theta".into(),
                    points: keep(thetas.iter().map(|&t| (t, lt_noise_boundary(t, sigma))).collect()),
                    dashed: false,
                },
            ]
        }
        PhaseProcedure::Ft => vec![Curve {
            label: "printed break-even theta = pi/3".into(),
            points: vec![(FT_BREAK_EVEN, 0.0), (FT_BREAK_EVEN, 1.0)],
            dashed: false,
        }],
    }
}

fn tahir(a: &TahirPhase) -> Result<i32> {
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
    let half_pi = std::f64::consts::FRAC_PI_2;
    let n = a.points;
    let xs: Vec<f64> = (0..n).map(|i| half_pi * (i as f64 + 0.5) / n as f64).collect();
    let ys: Vec<f64> = (0..n).map(|j| 2.0 * (j as f64 + 0.5) / n as f64).collect();
    let mut values = Vec::with_capacity(n * n);
    for &g in &ys {
        for &t in &xs {
            let v = transferability(a.procedure.procedure(), t, g, a.sigma, a.lambda);
            // Clip the divergence at gamma -> 1 so the colour scale stays readable.
            values.push(v.clamp(-1.5, 1.5));
        }
    }
    let name = a.procedure.procedure().name();
    let mut csv = String::from("theta,gamma,closed_form,simulated_mean,simulated_se\n");
    let mut points = Vec::new();
    if a.simulate {
        let obs = find("tahir.transferability")?;
        let (mut pos, mut neg) = (Vec::new(), Vec::new());
        for i in 1..=10 {
            let theta = half_pi * i as f64 / 10.0;
            for k in 0..10 {
                let gamma = 0.1 + 0.2 * k as f64;
                let given: Vec<(String, String)> = [
                    ("procedure", name.to_string()),
                    ("method", "exact".to_string()),
                    ("d", a.d.to_string()),
                    ("gamma", format!("{gamma:.1}")),
                    ("theta", theta.to_string()),
                    ("sigma", a.sigma.to_string()),
                    ("lambda", a.lambda.to_string()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                let params = obs.resolve(&given)?;
                let est = simulate(obs, &params, a.trials, crate::rng::derive(a.seed, &[i, k]), None)?
                    .estimate("transfer")?;
                let cf = transferability(a.procedure.procedure(), theta, gamma, a.sigma, a.lambda);
                let _ = writeln!(csv, "{theta},{gamma:.1},{cf},{},{}", est.mean, est.se);
                if est.mean >= 0.0 { &mut pos } else { &mut neg }.push((theta, gamma, 0.0));
            }
        }
        points.push(Points { label: format!("simulated T >= 0 (d = {}, {} data sets)", a.d, a.trials), points: pos });
        points.push(Points { label: "simulated T < 0".into(), points: neg });
    }
    for &g in &ys {
        for &t in &xs {
            let _ = writeln!(csv, "{t},{g},{},,", transferability(a.procedure.procedure(), t, g, a.sigma, a.lambda));
        }
    }
    let fig = Figure {
        title: format!("Tahir et al. transferability T_{name} (sigma = {}, lambda = {})", a.sigma, a.lambda),
        x: Axis::new("theta (radians)", 0.0, half_pi),
        y: Axis::new("gamma = n/d", 0.0, 2.0),
        heat: Some(HeatMap {
            xs,
            ys,
            values,
            label: format!("T_{name} (closed form, clipped to [-1.5, 1.5])"),
            scale: Scale::Diverging,
        }),
        curves: printed_curves(a.procedure, a.sigma, 200),
        points,
    };
    write_svg(&fig, &a.svg)?;
    if let Some(path) = &a.csv {
        std::fs::write(path, csv).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    }
    println!("wrote {}", a.svg.display());
    Ok(0)
}
