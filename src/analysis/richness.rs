//! Optimal richness studies: gamma1* of pre-training for fine-tuning in the Lauditi setting (closed
//! forms or simulated sweeps of [`SIMULATED`]), and gamma2* of stage 2 of the joint-rich network
//! (simulated sweeps of [`JOINT_RICH_GAMMA2`]). The optimisers themselves are [`crate::optimize`]:
//! a log grid refined by Brent's method on closed forms; on simulations, common random numbers across
//! the grid, a parabola vertex in log gamma and a percentile bootstrap interval over trials.

use indicatif::ProgressBar;

use crate::closed_form::lauditi::Transfer;
use crate::error::{Error, Result};
use crate::optimize::{LogGrid, Optimum, SIMULATED, SimOptimum, SimTarget, SweepPoint, minimize_closed};
use crate::params::ParamSet;
use crate::stats::Estimate;

/// Optimal source richness of one transfer setting, either path.
#[derive(Clone, Debug, PartialEq)]
pub struct RichnessAnswer {
    pub optimum: Optimum,
    /// Loss at gamma1 = 0 (lazy): closed form, or the mean simulated lazy loss on the same samples.
    pub lazy: f64,
    /// Loss in the limit gamma1 -> infinity (closed form), where a closed form exists.
    pub rich: Option<f64>,
    /// The simulated curve with its bootstrap interval (simulated path only).
    pub sim: Option<SimOptimum>,
}

/// Simulated path of [`source_optimum`]: a sweep of [`SIMULATED`] over the gamma1 grid.
#[derive(Clone, Debug)]
pub struct SourceSimulation {
    /// Observable settings (name, text) of the transfer setting, without gamma1.
    pub settings: Vec<(String, String)>,
    pub trials: usize,
    pub seed: u64,
    /// Whether the setting has closed forms (then the gamma1 -> infinity limit is reported).
    pub closed_form: bool,
}

impl SourceSimulation {
    /// Simulation trials of the sweep over `grid` (for a progress bar).
    pub fn trials_run(&self, grid: &LogGrid) -> usize {
        self.trials * SIMULATED.sweep_runs(grid.n)
    }
}

/// gamma1* minimising the fine-tuning loss of `t` over gamma1 >= 0: from the closed forms
/// ([`minimize_closed`] over `grid`), or, with `sim`, from simulated losses at the grid points with
/// common random numbers and a 95% bootstrap interval. Refuses invalid source settings (see
/// [`Transfer::direction`]) and nu2 <= 0 before computing anything.
pub fn source_optimum(
    t: &Transfer,
    grid: &LogGrid,
    sim: Option<&SourceSimulation>,
    progress: Option<&ProgressBar>,
) -> Result<RichnessAnswer> {
    t.direction()?;
    if t.nu2 <= 0.0 {
        return Err(Error::input(format!("nu2 = {} must be positive", t.nu2)));
    }
    match sim {
        None => {
            let optimum = minimize_closed(&|g| t.loss(g), grid)?;
            Ok(RichnessAnswer { optimum, lazy: t.lazy()?, rich: Some(t.infinite_richness()?), sim: None })
        }
        Some(s) => {
            let points = source_points(t, grid, s, &|_| true, progress)?;
            source_from_points(t, grid, s, points)
        }
    }
}

/// The simulated runs of the gamma1 sweep of `t` that `owns` accepts (by run index, see
/// [`SimTarget::sweep_point`]); refuses invalid settings and what the observable cannot simulate
/// before simulating.
pub fn source_points(
    t: &Transfer,
    grid: &LogGrid,
    s: &SourceSimulation,
    owns: &dyn Fn(usize) -> bool,
    progress: Option<&ProgressBar>,
) -> Result<Vec<SweepPoint>> {
    t.direction()?;
    if t.nu2 <= 0.0 {
        return Err(Error::input(format!("nu2 = {} must be positive", t.nu2)));
    }
    let gammas = grid.points();
    SIMULATED.params(&s.settings, gammas[0])?;
    SIMULATED.sweep_points(&s.settings, &gammas, (s.trials, s.seed), owns, progress)
}

/// gamma1* of `t` from all the simulated runs of its sweep (of one run or merged shards).
pub fn source_from_points(
    t: &Transfer,
    grid: &LogGrid,
    s: &SourceSimulation,
    points: Vec<SweepPoint>,
) -> Result<RichnessAnswer> {
    let (sim, lazy) = SIMULATED.sweep_from(&grid.points(), points, s.seed)?;
    let lazy = lazy.iter().sum::<f64>() / lazy.len() as f64;
    let rich = if s.closed_form { Some(t.infinite_richness()?) } else { None };
    Ok(RichnessAnswer { optimum: sim.optimum, lazy, rich, sim: Some(sim) })
}

/// Every parameter of `lauditi.joint_rich` except the swept gamma2.
const JOINT_PARAMS: &[&str] = &[
    "d", "gamma1", "nu1", "nu2", "alpha_s", "source", "target", "sigma_s", "sigma", "phi", "t1", "t2", "t_early",
    "solver", "n", "test", "eta0", "readout",
];

/// The stage-2 sweep: gamma2 of `lauditi.joint_rich`, lazy baseline = a rerun at gamma2 = 0 (features
/// frozen in stage 2) with the same seeds.
pub const JOINT_RICH_GAMMA2: SimTarget = SimTarget {
    observable: "lauditi.joint_rich",
    richness: "gamma2",
    from_gamma1: |g| g,
    output: "target_loss",
    gain_output: None,
    lazy_output: None,
    accepts: JOINT_PARAMS,
    implied: &[],
    fixed: &[],
};

/// A gamma2* study of the joint-rich network.
#[derive(Clone, Debug)]
pub struct TargetRequest {
    /// Parameters of `lauditi.joint_rich` (name, text), without gamma2.
    pub settings: Vec<(String, String)>,
    /// Output minimised over gamma2 (`target_loss`, `joint`, `target_early`).
    pub output: &'static str,
    pub grid: LogGrid,
    /// Trials per grid point (the bootstrap needs at least 2).
    pub trials: usize,
    pub seed: u64,
}

impl TargetRequest {
    /// The sweep: [`JOINT_RICH_GAMMA2`] minimising the requested output.
    pub fn target(&self) -> SimTarget {
        SimTarget { output: self.output, ..JOINT_RICH_GAMMA2 }
    }

    /// Simulation trials of the sweep (for a progress bar).
    pub fn trials_run(&self) -> usize {
        self.trials * self.target().sweep_runs(self.grid.n)
    }
}

/// Result of a gamma2* study.
#[derive(Clone, Debug)]
pub struct TargetAnswer {
    /// The observable's parameters (at gamma2 = 0).
    pub params: ParamSet,
    /// The gamma2 grid.
    pub gammas: Vec<f64>,
    /// Mean and se per grid point, gamma2* (reported as `gamma1_star` of the optimiser) and its interval.
    pub sim: SimOptimum,
    /// The output at gamma2 = 0 (features frozen in stage 2), same trial seeds.
    pub lazy: Estimate,
}

/// gamma2* of stage 2: simulated output over the gamma2 grid with common random numbers, located by
/// [`crate::optimize::minimize_simulated`] (a minimum at the grid's top end is unbounded), and the
/// gamma2 = 0 baseline. Refuses settings the observable cannot simulate before simulating.
pub fn target_optimum(req: &TargetRequest, progress: Option<&ProgressBar>) -> Result<TargetAnswer> {
    target_from_points(req, target_points(req, &|_| true, progress)?)
}

/// The simulated runs of the gamma2 sweep that `owns` accepts (by run index, see
/// [`SimTarget::sweep_point`]); refuses what the observable cannot simulate before simulating.
pub fn target_points(
    req: &TargetRequest,
    owns: &dyn Fn(usize) -> bool,
    progress: Option<&ProgressBar>,
) -> Result<Vec<SweepPoint>> {
    let target = req.target();
    target.params(&req.settings, 0.0)?;
    target.sweep_points(&req.settings, &req.grid.points(), (req.trials, req.seed), owns, progress)
}

/// gamma2* from all the simulated runs of the sweep (of one run or merged shards).
pub fn target_from_points(req: &TargetRequest, points: Vec<SweepPoint>) -> Result<TargetAnswer> {
    let target = req.target();
    let gammas = req.grid.points();
    let params = target.params(&req.settings, 0.0)?;
    let (sim, lazy) = target.sweep_from(&gammas, points, req.seed)?;
    Ok(TargetAnswer { params, gammas, sim, lazy: Estimate::from_samples(&lazy) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closed_form::lauditi::Variant;
    use crate::optimize::Location;

    fn readout(alpha_s: f64, nu2: f64) -> Transfer {
        Transfer { nu1: f64::INFINITY, sigma_s: 0.0, alpha_s, alpha_g: 0.0, nu2, sigma: 0.0, variant: Variant::Readout }
    }

    #[test]
    fn closed_form_optimum_of_population_readout_is_unbounded_with_the_rich_limit() {
        // Population source, readout: the loss falls to nu2 (1 - alpha_s^2) as gamma1 -> infinity
        // (0.5 * 0.36 = 0.18 at alpha_s = 0.8, nu2 = 0.5), and the lazy loss is nu2.
        let grid = LogGrid::new(1e-3, 1e3, 61).unwrap();
        let a = source_optimum(&readout(0.8, 0.5), &grid, None, None).unwrap();
        assert_eq!(a.optimum.location, Location::Unbounded);
        assert!((a.optimum.loss_at_star - 0.18).abs() < 1e-12 && (a.lazy - 0.5).abs() < 1e-15);
        assert_eq!(a.rich, Some(a.optimum.loss_at_star));
        assert!(a.sim.is_none());
    }

    #[test]
    fn invalid_settings_are_refused_before_computing() {
        let grid = LogGrid::new(1e-3, 1e3, 7).unwrap();
        let err = source_optimum(&readout(0.8, 0.0), &grid, None, None).unwrap_err();
        assert!(err.to_string().contains("nu2 = 0 must be positive"), "{err}");
        // gamma2 is swept, not set: refused by the observable's settings before any simulation.
        let settings = vec![("gamma2".to_string(), "1".to_string())];
        let req = TargetRequest { settings, output: "target_loss", grid, trials: 4, seed: 1 };
        let err = target_optimum(&req, None).unwrap_err();
        assert!(err.to_string().contains("cannot simulate gamma2=1"), "{err}");
    }
}
