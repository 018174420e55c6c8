//! Phase diagrams: a sign-changing quantity (transferability, transfer gain) on a grid of two
//! settings, and its zero contour.
//!
//! - [`brent_root`] and [`zero_contour`]: roots along grid columns joined into branches;
//! - [`tahir_rows`], [`tahir_points`], [`tahir_heat`], [`tahir_boundaries`]: Tahir et al.
//!   transferability T(theta, gamma) from the closed forms on a grid, with simulated points, and the
//!   printed boundaries as polylines;
//! - [`gain_phase`] (= [`gain_rows`] + [`assemble_gain_phase`], the split a sharded run uses): Lauditi et al. transfer gain G = lazy loss - transfer loss over two settings,
//!   from the closed forms (zero contour by Brent roots) or from simulations (zero contour by linear
//!   interpolation of the simulated means), with an optional simulated overlay.

use std::cmp::Ordering;
use std::f64::consts::FRAC_PI_2;

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentRoot;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::closed_form::lauditi::Transfer;
use crate::closed_form::tahir::{FT_BREAK_EVEN, Procedure, lt_boundary, lt_noise_boundary, transferability};
use crate::error::{Error, Result};
use crate::observable::{find, simulate};
use crate::optimize::SIMULATED;
use crate::stats::Estimate;

/// argmin problem: a function of one variable (e.g. a gain along one grid column).
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

/// Zero contour of a quantity on a grid (`values[iy * xs.len() + ix]`, drawn coordinates xs, ys):
/// in every column, each pair of adjacent finite cells of opposite sign brackets a root, located by
/// `root(ix, iy)` in `[ys[iy], ys[iy + 1]]`. Roots are joined into branches: the k-th root of a column
/// continues the k-th branch of the previous column when both columns have the same number of roots.
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

/// Simulation of the Tahir diagram: the observable `tahir.transferability` (exact fast path).
#[derive(Clone, Copy, Debug)]
pub struct TahirSimulation {
    /// Dimension d (n = gamma d must be whole at every grid gamma).
    pub d: usize,
    /// Independent target data sets per point.
    pub trials: usize,
    pub seed: u64,
}

/// A Tahir phase diagram to compute on the grid thetas x gammas.
#[derive(Clone, Debug)]
pub struct TahirRequest {
    pub procedure: Procedure,
    /// Target label-noise standard deviation sigma.
    pub sigma: f64,
    /// Ridge of the transferred head (linear transfer only).
    pub lambda: f64,
    /// Grid angles theta (radians, across).
    pub thetas: Vec<f64>,
    /// Grid ratios gamma = n/d (up: one row per gamma).
    pub gammas: Vec<f64>,
    pub simulation: Option<TahirSimulation>,
}

impl TahirRequest {
    /// Closed-form transferability at (theta, gamma).
    pub fn closed_form(&self, theta: f64, gamma: f64) -> f64 {
        transferability(self.procedure, theta, gamma, self.sigma, self.lambda)
    }
}

/// A grid point of the Tahir diagram: closed form and, when simulated, the simulated mean.
#[derive(Clone, Copy, Debug)]
pub struct TahirPoint {
    pub theta: f64,
    pub gamma: f64,
    pub closed_form: f64,
    pub estimate: Option<Estimate>,
}

/// The simulated estimates of one grid row `iy` (gamma = `gammas[iy]`), one per theta; the unit a
/// sharded run computes and a merge combines.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TahirRow {
    pub iy: usize,
    pub simulated: Vec<Estimate>,
}

/// Simulated T of row `iy`, point (ix, iy) seeded by `rng::derive(seed, [ix, iy])` (never by the shard).
fn tahir_row(req: &TahirRequest, sim: &TahirSimulation, iy: usize) -> Result<TahirRow> {
    let obs = find("tahir.transferability")?;
    let gamma = req.gammas[iy];
    let mut simulated = Vec::new();
    for (ix, theta) in req.thetas.iter().enumerate() {
        let given: Vec<(String, String)> = [
            ("procedure", req.procedure.name().to_string()),
            ("method", "exact".to_string()),
            ("d", sim.d.to_string()),
            ("gamma", gamma.to_string()),
            ("theta", theta.to_string()),
            ("sigma", req.sigma.to_string()),
            ("lambda", req.lambda.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let params = obs.resolve(&given)?;
        let seed = crate::rng::derive(sim.seed, &[ix as u64, iy as u64]);
        simulated.push(simulate(obs, &params, sim.trials, seed, None)?.estimate("transfer")?);
    }
    Ok(TahirRow { iy, simulated })
}

/// The simulated rows `owns` accepts (none without a simulation).
pub fn tahir_rows(req: &TahirRequest, owns: &dyn Fn(usize) -> bool) -> Result<Vec<TahirRow>> {
    let Some(sim) = &req.simulation else { return Ok(Vec::new()) };
    (0..req.gammas.len()).filter(|&iy| owns(iy)).map(|iy| tahir_row(req, sim, iy)).collect()
}

/// The grid points (row by row: gamma outer, theta inner) with the simulated rows (all of them, any
/// order, or none without a simulation).
pub fn tahir_points(req: &TahirRequest, mut rows: Vec<TahirRow>) -> Result<Vec<TahirPoint>> {
    rows.sort_by_key(|r| r.iy);
    let nx = req.thetas.len();
    let complete =
        rows.len() == req.gammas.len() && rows.iter().enumerate().all(|(i, r)| r.iy == i && r.simulated.len() == nx);
    if req.simulation.is_some() && !complete {
        return Err(Error::input("the simulated rows of the Tahir grid are incomplete"));
    }
    let mut points = Vec::new();
    for (iy, &gamma) in req.gammas.iter().enumerate() {
        for (ix, &theta) in req.thetas.iter().enumerate() {
            let estimate = rows.get(iy).map(|r| r.simulated[ix]);
            points.push(TahirPoint { theta, gamma, closed_form: req.closed_form(theta, gamma), estimate });
        }
    }
    Ok(points)
}

/// Closed-form transferability for a heat map: n x n cell centres of (0, pi/2) x (0, 2), theta_i =
/// (pi/2)(i + 1/2)/n, gamma_j = 2 (j + 1/2)/n; T(theta_i, gamma_j) in `values[j * n + i]` (unclipped).
pub fn tahir_heat(req: &TahirRequest, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let thetas: Vec<f64> = (0..n).map(|i| FRAC_PI_2 * (i as f64 + 0.5) / n as f64).collect();
    let gammas: Vec<f64> = (0..n).map(|j| 2.0 * (j as f64 + 0.5) / n as f64).collect();
    let values = gammas.iter().flat_map(|&g| thetas.iter().map(move |&th| req.closed_form(th, g))).collect();
    (thetas, gammas, values)
}

/// A printed boundary of the Tahir phase diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TahirBoundary {
    /// Linear transfer, gamma < 1: gamma_+ as printed.
    GammaPlus,
    /// Linear transfer, gamma < 1: gamma_- as printed.
    GammaMinus,
    /// Linear transfer, gamma > 1: gamma = 1 + sigma^2/sin^2 theta.
    Noise,
    /// Fine-tuning: theta = pi/3.
    BreakEven,
}

/// The printed boundaries as (theta, gamma) polylines over theta = (pi/2) i/n, i = 0..=n, keeping
/// the finite points with 0 < gamma <= 2 (fine-tuning: the segment theta = pi/3, gamma in [0, 1]).
pub fn tahir_boundaries(procedure: Procedure, sigma: f64, n: usize) -> Vec<(TahirBoundary, Vec<(f64, f64)>)> {
    let thetas: Vec<f64> = (0..=n).map(|i| FRAC_PI_2 * i as f64 / n as f64).collect();
    let curve = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
        thetas.iter().map(|&t| (t, f(t))).filter(|(_, g)| g.is_finite() && *g > 0.0 && *g <= 2.0).collect()
    };
    match procedure {
        Procedure::LinearTransfer => vec![
            (TahirBoundary::GammaPlus, curve(&|t| lt_boundary(t, sigma).0)),
            (TahirBoundary::GammaMinus, curve(&|t| lt_boundary(t, sigma).1)),
            (TahirBoundary::Noise, curve(&|t| lt_noise_boundary(t, sigma))),
        ],
        Procedure::FineTuning => vec![(TahirBoundary::BreakEven, vec![(FT_BREAK_EVEN, 0.0), (FT_BREAK_EVEN, 1.0)])],
    }
}

/// One axis of a gain grid: setting values and drawn coordinates (log10 of the value on a log axis).
#[derive(Clone, Debug)]
pub struct GridAxis {
    pub values: Vec<f64>,
    pub drawn: Vec<f64>,
    pub log: bool,
}

/// Linear grid of n points from lo to hi, rounded to 12 decimals (0.3, not 0.30000000000000004).
pub fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n).map(|k| ((lo + (hi - lo) * k as f64 / (n - 1) as f64) * 1e12).round() / 1e12).collect()
}

impl GridAxis {
    /// n points from lo to hi: evenly spaced values, or on a log axis evenly spaced drawn
    /// coordinates log10(value) (see [`linspace`]) and their powers of ten. A log axis refuses
    /// lo <= 0, naming the setting `name`.
    pub fn new(name: &str, lo: f64, hi: f64, n: usize, log: bool) -> Result<Self> {
        if !log {
            let v = linspace(lo, hi, n);
            return Ok(GridAxis { values: v.clone(), drawn: v, log });
        }
        if lo <= 0.0 {
            return Err(Error::input(format!("{name} is drawn on a log scale: its range needs lo > 0")));
        }
        let t = linspace(lo.log10(), hi.log10(), n);
        Ok(GridAxis { values: t.iter().map(|v| 10f64.powf(*v)).collect(), drawn: t, log })
    }

    /// An axis through the given values (drawn as log10 of the value on a log axis, which refuses
    /// values <= 0, naming the setting `name`).
    pub fn from_values(name: &str, values: Vec<f64>, log: bool) -> Result<Self> {
        if log && values.iter().any(|v| *v <= 0.0) {
            return Err(Error::input(format!("{name} is drawn on a log scale: its values must be > 0")));
        }
        let drawn = if log { values.iter().map(|v| v.log10()).collect() } else { values.clone() };
        Ok(GridAxis { values, drawn, log })
    }

    /// Rounds data-ratio values (P/D) to whole sample counts at dimension `d` (at least one sample),
    /// and redraws them.
    pub fn snap_to_counts(&mut self, d: u64) {
        for (v, t) in self.values.iter_mut().zip(self.drawn.iter_mut()) {
            *v = (*v * d as f64).round().max(1.0) / d as f64;
            *t = if self.log { v.log10() } else { *v };
        }
    }

    /// The setting value at drawn coordinate `t`.
    pub fn value(&self, t: f64) -> f64 {
        if self.log { 10f64.powf(t) } else { t }
    }
}

/// How grid values (x, y) map onto the transfer problem.
pub trait GainModel {
    /// The transfer setting and gamma1 at (x, y) (closed forms).
    fn transfer(&self, x: f64, y: f64) -> Result<(Transfer, f64)>;
    /// Observable settings and gamma1 at (x, y) (simulations of [`SIMULATED`]).
    fn settings(&self, x: f64, y: f64) -> Result<(Vec<(String, String)>, f64)>;
}

/// Simulation of gains ([`SIMULATED`], per-trial gains lazy - loss on common samples). Every point
/// uses the same trial seeds (common random numbers), whichever part of the grid a run computes.
#[derive(Clone, Copy, Debug)]
pub struct GainSimulation {
    pub trials: usize,
    pub seed: u64,
}

/// Where the gains of a diagram come from.
#[derive(Clone, Copy, Debug)]
pub enum GainSource {
    /// Closed forms on the grid; with an overlay, simulated gains at every grid point too.
    ClosedForm { overlay: Option<GainSimulation> },
    /// Simulated mean gains on the whole grid (no closed form).
    Simulated(GainSimulation),
}

/// A gain diagram to compute.
#[derive(Clone, Debug)]
pub struct GainPhaseRequest {
    pub x: GridAxis,
    pub y: GridAxis,
    pub source: GainSource,
}

impl GainPhaseRequest {
    /// Whether the grid holds closed-form gains.
    pub fn closed_form(&self) -> bool {
        matches!(self.source, GainSource::ClosedForm { .. })
    }

    /// The simulation, if any (of the whole grid or of the overlay).
    pub fn simulation(&self) -> Option<GainSimulation> {
        match self.source {
            GainSource::ClosedForm { overlay } => overlay,
            GainSource::Simulated(sim) => Some(sim),
        }
    }

    /// Simulated trials the diagram runs on the rows `owns` accepts (for a progress bar).
    pub fn simulated_trials(&self, owns: &dyn Fn(usize) -> bool) -> usize {
        let rows = (0..self.y.values.len()).filter(|&iy| owns(iy)).count();
        self.simulation().map_or(0, |sim| rows * self.x.values.len() * sim.trials)
    }
}

/// A simulated gain next to the grid value there.
#[derive(Clone, Copy, Debug)]
pub struct SimulatedGain {
    pub x: f64,
    pub y: f64,
    pub x_drawn: f64,
    pub y_drawn: f64,
    /// The grid's (closed-form) gain at this point.
    pub closed_form: f64,
    pub estimate: Estimate,
}

impl SimulatedGain {
    /// Sign of the simulated gain at two standard errors: Greater if z = mean/se > 2, Less if
    /// z < -2, Equal if |z| <= 2 (se floored at the smallest positive number); None if z is NaN.
    pub fn significant_sign(&self) -> Option<Ordering> {
        let z = self.estimate.mean / self.estimate.se.max(f64::MIN_POSITIVE);
        if z > 2.0 {
            Some(Ordering::Greater)
        } else if z < -2.0 {
            Some(Ordering::Less)
        } else if z.abs() <= 2.0 {
            Some(Ordering::Equal)
        } else {
            None
        }
    }

    /// z = (simulated mean - closed form)/se.
    pub fn z_vs_closed_form(&self) -> f64 {
        (self.estimate.mean - self.closed_form) / self.estimate.se.max(f64::MIN_POSITIVE)
    }
}

/// One computed row `iy` of a gain grid (the unit a sharded run computes and a merge combines).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GainRow {
    pub iy: usize,
    /// Gain per column (closed form, or the simulated mean without one); None where undefined.
    pub values: Vec<Option<f64>>,
    /// Standard error per column of a simulated grid (None for closed-form cells).
    pub ses: Vec<Option<f64>>,
    /// Simulated gain per column on top of the closed form (empty without an overlay).
    pub overlay: Vec<Estimate>,
    /// The first input error met at an undefined cell of the row.
    pub error: Option<String>,
}

/// A computed gain diagram.
#[derive(Debug)]
pub struct GainPhase {
    /// Gain at `(x.values[ix], y.values[iy])` in `values[iy * nx + ix]`; NaN where undefined.
    pub values: Vec<f64>,
    /// Standard errors of simulated cells (NaN for closed-form cells).
    pub ses: Vec<f64>,
    /// The first input error met at an undefined cell.
    pub first_error: Option<Error>,
    /// Zero-contour branches in drawn coordinates.
    pub branches: Vec<Vec<(f64, f64)>>,
    /// Simulated overlay (closed forms with simulation only).
    pub simulated: Vec<SimulatedGain>,
}

/// Range and sign counts of a gain grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GainSummary {
    /// Minimum and maximum finite gain.
    pub min: f64,
    pub max: f64,
    pub positive: usize,
    pub negative: usize,
    pub zero: usize,
    pub undefined: usize,
}

impl GainPhase {
    /// Range and sign counts of the finite cells, and the number of undefined cells.
    pub fn summary(&self) -> GainSummary {
        let finite: Vec<f64> = self.values.iter().copied().filter(|v| v.is_finite()).collect();
        let (min, max) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        GainSummary {
            min,
            max,
            positive: finite.iter().filter(|v| **v > 0.0).count(),
            negative: finite.iter().filter(|v| **v < 0.0).count(),
            zero: finite.iter().filter(|v| **v == 0.0).count(),
            undefined: self.values.len() - finite.len(),
        }
    }
}

/// Simulated gain at (x, y): mean and standard error over trials.
fn simulate_gain(
    model: &dyn GainModel,
    sim: &GainSimulation,
    x: f64,
    y: f64,
    bar: Option<&ProgressBar>,
) -> Result<Estimate> {
    let (settings, gamma1) = model.settings(x, y)?;
    let gains = SIMULATED.gains(&settings, gamma1, sim.trials, sim.seed, bar)?;
    Ok(Estimate::from_samples(&gains))
}

/// Row `iy` of the grid: closed form (with the overlay's simulated gains), or the simulated mean
/// where there is none. An input error at a cell leaves it undefined; any other error aborts.
fn gain_row(req: &GainPhaseRequest, model: &dyn GainModel, iy: usize, bar: Option<&ProgressBar>) -> Result<GainRow> {
    let y = req.y.values[iy];
    let mut row = GainRow { iy, values: Vec::new(), ses: Vec::new(), overlay: Vec::new(), error: None };
    for &x in &req.x.values {
        let v = match &req.source {
            GainSource::Simulated(sim) => simulate_gain(model, sim, x, y, bar).map(|e| (e.mean, Some(e.se))),
            GainSource::ClosedForm { .. } => model.transfer(x, y).and_then(|(t, g)| t.gain(g)).map(|g| (g, None)),
        };
        let (value, se) = match v {
            Ok((g, se)) => (Some(g).filter(|g| g.is_finite()), se),
            Err(Error::Input(m)) => {
                row.error.get_or_insert(m);
                (None, None)
            }
            Err(e) => return Err(e),
        };
        row.values.push(value);
        row.ses.push(se);
        if let GainSource::ClosedForm { overlay: Some(sim) } = &req.source {
            row.overlay.push(simulate_gain(model, sim, x, y, bar)?);
        }
    }
    Ok(row)
}

/// The rows `owns` accepts (all for an unsharded run), in order.
pub fn gain_rows(
    req: &GainPhaseRequest,
    model: &dyn GainModel,
    owns: &dyn Fn(usize) -> bool,
    bar: Option<&ProgressBar>,
) -> Result<Vec<GainRow>> {
    (0..req.y.values.len()).filter(|&iy| owns(iy)).map(|iy| gain_row(req, model, iy, bar)).collect()
}

/// Assembles a gain diagram from all its rows (any order): the grid, its zero contour (Brent roots of
/// the closed form in the drawn y coordinate, or linear interpolation of simulated means), and the
/// simulated overlay. Refuses missing rows and a grid on which the gain is undefined everywhere (with
/// the first input error met).
pub fn assemble_gain_phase(req: &GainPhaseRequest, model: &dyn GainModel, mut rows: Vec<GainRow>) -> Result<GainPhase> {
    let (x, y) = (&req.x, &req.y);
    let (nx, ny) = (x.values.len(), y.values.len());
    rows.sort_by_key(|r| r.iy);
    if rows.len() != ny || rows.iter().enumerate().any(|(i, r)| r.iy != i || r.values.len() != nx) {
        return Err(Error::input("the rows of the gain grid are incomplete"));
    }
    let values: Vec<f64> = rows.iter().flat_map(|r| r.values.iter().map(|v| v.unwrap_or(f64::NAN))).collect();
    let ses: Vec<f64> = rows.iter().flat_map(|r| r.ses.iter().map(|v| v.unwrap_or(f64::NAN))).collect();
    let first_error = rows.iter().find_map(|r| r.error.clone()).map(Error::input);
    if values.iter().all(|v| !v.is_finite()) {
        return Err(first_error.unwrap_or_else(|| Error::input("the gain is undefined on the whole grid")));
    }
    let branches = zero_contour(&x.drawn, &y.drawn, &values, &|ix, iy| {
        if req.closed_form() {
            let gain = |t: f64| model.transfer(x.values[ix], y.value(t)).and_then(|(tr, g)| tr.gain(g));
            brent_root(&gain, y.drawn[iy], y.drawn[iy + 1])
        } else {
            let (a, b) = (values[iy * nx + ix], values[(iy + 1) * nx + ix]);
            Ok(y.drawn[iy] + (y.drawn[iy + 1] - y.drawn[iy]) * a / (a - b))
        }
    })?;
    let simulated = rows
        .iter()
        .flat_map(|r| r.overlay.iter().enumerate().map(move |(ix, e)| (ix, r.iy, *e)))
        .map(|(ix, iy, estimate)| SimulatedGain {
            x: x.values[ix],
            y: y.values[iy],
            x_drawn: x.drawn[ix],
            y_drawn: y.drawn[iy],
            closed_form: values[iy * nx + ix],
            estimate,
        })
        .collect();
    Ok(GainPhase { values, ses, first_error, branches, simulated })
}

/// Computes a whole gain diagram ([`gain_rows`] of every row, then [`assemble_gain_phase`]).
pub fn gain_phase(req: &GainPhaseRequest, model: &dyn GainModel, bar: Option<&ProgressBar>) -> Result<GainPhase> {
    assemble_gain_phase(req, model, gain_rows(req, model, &|_| true, bar)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_root_of_known_functions() {
        let r = brent_root(&|x| Ok(x * x - 2.0), 0.0, 2.0).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-10, "{r}");
        let r = brent_root(&|x| Ok(x.cos()), 1.0, 2.0).unwrap();
        assert!((r - FRAC_PI_2).abs() < 1e-10, "{r}");
        // An error of the function comes back as a numerical error, not a panic.
        let err = brent_root(&|_| Err(Error::input("no")), 0.0, 1.0).unwrap_err();
        assert!(err.to_string().contains("BrentRoot"), "{err}");
    }

    /// Cell centres of n cells on [-h, h].
    fn centres(n: usize, h: f64) -> Vec<f64> {
        (0..n).map(|i| -h + 2.0 * h * (i as f64 + 0.5) / n as f64).collect()
    }

    fn contour(f: &dyn Fn(f64, f64) -> f64, xs: &[f64], ys: &[f64]) -> Vec<Vec<(f64, f64)>> {
        let values: Vec<f64> = ys.iter().flat_map(|&y| xs.iter().map(move |&x| f(x, y))).collect();
        zero_contour(xs, ys, &values, &|ix, iy| brent_root(&|y| Ok(f(xs[ix], y)), ys[iy], ys[iy + 1])).unwrap()
    }

    #[test]
    fn zero_contour_of_the_diagonal() {
        // f = x - y: one root y = x in every column, joined into one branch.
        let (xs, ys) = (centres(10, 1.0), centres(7, 1.2));
        let branches = contour(&|x, y| x - y, &xs, &ys);
        assert_eq!(branches.len(), 1, "{branches:?}");
        assert_eq!(branches[0].len(), 10);
        assert!(branches[0].iter().zip(&xs).all(|((x, y), x0)| x == x0 && (y - x).abs() < 1e-12));
    }

    #[test]
    fn zero_contour_of_the_unit_circle() {
        // f = x^2 + y^2 - 1: two roots +- sqrt(1 - x^2) in columns with |x| < 1, none outside.
        let (xs, ys) = (centres(12, 1.5), centres(12, 1.5));
        let branches = contour(&|x, y| x * x + y * y - 1.0, &xs, &ys);
        let roots: Vec<(f64, f64)> = branches.concat();
        let inside = xs.iter().filter(|x| x.abs() < 1.0).count();
        assert_eq!(roots.len(), 2 * inside, "{roots:?}");
        assert!(roots.iter().all(|(x, y)| (y.abs() - (1.0 - x * x).sqrt()).abs() < 1e-10));
        // Lower and upper halves are separate branches across the columns inside the circle.
        assert_eq!(branches.len(), 2);
        assert!(branches.iter().all(|b| b.iter().all(|(_, y)| y.signum() == b[0].1.signum())));
    }

    #[test]
    fn grid_axes_linear_log_and_snapped() {
        assert_eq!(linspace(0.0, 1.0, 11)[3], 0.3);
        let a = GridAxis::new("gamma1", 0.01, 100.0, 5, true).unwrap();
        assert_eq!(a.drawn, [-2.0, -1.0, 0.0, 1.0, 2.0]);
        assert!(a.values.iter().zip([0.01, 0.1, 1.0, 10.0, 100.0]).all(|(v, w)| (v - w).abs() < 1e-12 * w));
        let err = GridAxis::new("ridge", 0.0, 1.0, 3, true).unwrap_err();
        assert!(err.to_string().contains("ridge is drawn on a log scale"), "{err}");
        // nu2 = 0.05, 0.5, 0.95 at d = 10: 1, 5, 10 samples (at least one).
        let mut b = GridAxis::new("nu2", 0.05, 0.95, 3, false).unwrap();
        b.snap_to_counts(10);
        assert_eq!((b.values.clone(), b.drawn), (vec![0.1, 0.5, 1.0], vec![0.1, 0.5, 1.0]));
    }

    #[test]
    fn tahir_heat_and_points_without_simulation() {
        let req = TahirRequest {
            procedure: Procedure::FineTuning,
            sigma: 0.0,
            lambda: 0.0,
            thetas: vec![0.5, 1.0],
            gammas: vec![0.5, 1.5],
            simulation: None,
        };
        let (thetas, gammas, values) = tahir_heat(&req, 4);
        assert_eq!((thetas.len(), gammas.len(), values.len()), (4, 4, 16));
        assert!((gammas[0] - 0.25).abs() < 1e-15 && (thetas[0] - FRAC_PI_2 / 8.0).abs() < 1e-15);
        // Row j = 0 (gamma = 0.25): T_ft = 0.75 (2 cos theta - 1); rows with gamma > 1 vanish.
        assert!((values[1] - 0.75 * (2.0 * thetas[1].cos() - 1.0)).abs() < 1e-15);
        assert!(values[8..].iter().all(|v| *v == 0.0));
        let points = tahir_points(&req, tahir_rows(&req, &|_| true).unwrap()).unwrap();
        assert_eq!(points.len(), 4);
        assert!(points.iter().all(|p| p.estimate.is_none()));
        assert!((points[1].closed_form - 0.5 * (2.0 * 1f64.cos() - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn tahir_boundaries_keep_the_drawn_window() {
        let b = tahir_boundaries(Procedure::LinearTransfer, 0.0, 100);
        assert_eq!(
            b.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            [TahirBoundary::GammaPlus, TahirBoundary::GammaMinus, TahirBoundary::Noise]
        );
        // sigma = 0: gamma_+ = 1 everywhere, gamma_- = cos^2 theta (0 at pi/2 dropped), no noise boundary
        // (1 + 0/sin^2 = 1 is kept except at theta = 0, where it is NaN).
        assert_eq!(b[0].1.len(), 101);
        assert_eq!(b[1].1.len(), 100);
        assert_eq!(b[2].1.len(), 100);
        assert!(b.iter().all(|(_, p)| p.iter().all(|(_, g)| *g > 0.0 && *g <= 2.0)));
    }
}
