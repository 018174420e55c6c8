//! Optimal richness gamma1*: where a loss L(gamma1) is smallest, honestly located.
//!
//! Closed forms ([`minimize_closed`]): L on a log grid, then argmin's BrentOpt in log gamma1 around
//! an interior grid minimum. A minimum at the top end with the loss still falling is reported as
//! unbounded (gamma1* = infinity, with the gamma1 -> infinity limit), at the bottom end as lazy
//! (gamma1* = 0); the grid's ends are never reported as optima. Simulations ([`minimize_simulated`]):
//! per-trial losses at every grid point with common random numbers (trial t draws the same data at
//! every gamma1), the minimum of the mean curve refined by a parabola in log gamma1, and a percentile
//! bootstrap over trials for gamma1*. [`SimTarget`] says which observable is swept and how.

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentOpt;
use indicatif::ProgressBar;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::observable::{Sample, find, simulate};
use crate::params::ParamSet;
use crate::rng::{Rng, derive};

/// Values are "all equal" when their spread is below this fraction of their magnitude.
pub const FLAT_REL: f64 = 1e-12;
/// Lowest / highest gamma1 the closed-form search extends its grid to before giving up.
const EXTEND_LIMITS: (f64, f64) = (1e-12, 1e12);

/// n log-spaced points from lo to hi inclusive (lo > 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogGrid {
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
}

impl LogGrid {
    /// Checks 0 < lo < hi (finite) and n >= 3.
    pub fn new(lo: f64, hi: f64, n: usize) -> Result<Self> {
        if !(lo > 0.0 && hi > lo && hi.is_finite()) {
            return Err(Error::input(format!("log grid {lo}:{hi} needs 0 < lo < hi < inf")));
        }
        if n < 3 {
            return Err(Error::input(format!("log grid needs at least 3 points, got {n}")));
        }
        Ok(LogGrid { lo, hi, n })
    }

    /// The grid points lo * (hi/lo)^(k/(n-1)).
    pub fn points(&self) -> Vec<f64> {
        let (a, b) = (self.lo.ln(), self.hi.ln());
        (0..self.n).map(|k| (a + (b - a) * k as f64 / (self.n - 1) as f64).exp()).collect()
    }
}

/// Where the optimum lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// At a finite gamma1* > 0 inside the grid.
    Interior,
    /// The loss keeps falling as gamma1 grows: gamma1* = infinity.
    Unbounded,
    /// The loss grows with gamma1 from the start: gamma1* = 0 (lazy).
    Lazy,
    /// The loss does not depend on gamma1 (all values equal within [`FLAT_REL`]).
    Flat,
}

/// A located optimum. `gamma1_star` is `Some` for Interior (the argmin) and Lazy (0), `None` for
/// Unbounded and Flat; `loss_at_star` is the loss there (for Unbounded: the gamma1 -> infinity
/// limit, or the lowest simulated loss when no limit is known; for Flat: the common value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Optimum {
    pub location: Location,
    pub gamma1_star: Option<f64>,
    pub loss_at_star: f64,
}

impl Optimum {
    /// True iff the optimum is at a finite gamma1 (interior or lazy).
    pub fn bounded(&self) -> bool {
        matches!(self.location, Location::Interior | Location::Lazy)
    }
}

fn is_flat(values: &[f64]) -> bool {
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    hi - lo <= FLAT_REL * lo.abs().max(hi.abs())
}

/// Index of the first smallest value.
fn argmin(values: &[f64]) -> usize {
    values.iter().enumerate().fold(0, |best, (i, v)| if *v < values[best] { i } else { best })
}

/// argmin problem: L(exp(t)) over t = ln gamma1.
struct LogLoss<'a>(&'a dyn Fn(f64) -> Result<f64>);

impl CostFunction for LogLoss<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, t: &f64) -> std::result::Result<f64, argmin::core::Error> {
        (self.0)(t.exp()).map_err(|e| argmin::core::Error::msg(e.to_string()))
    }
}

/// Brent minimisation of `loss` over gamma1 in [lo, hi] (log scale), relative accuracy ~1e-8.
fn brent(loss: &dyn Fn(f64) -> Result<f64>, lo: f64, hi: f64) -> Result<(f64, f64)> {
    let solver = BrentOpt::new(lo.ln(), hi.ln()).set_tolerance(f64::EPSILON.sqrt(), 1e-12);
    let res = Executor::new(LogLoss(loss), solver)
        .configure(|s| s.max_iters(200))
        .run()
        .map_err(|e| Error::numerical(format!("BrentOpt over gamma1: {e}")))?;
    let t = *res.state().get_best_param().ok_or_else(|| Error::numerical("BrentOpt returned no point"))?;
    Ok((t.exp(), res.state().get_best_cost()))
}

fn checked(loss: &dyn Fn(f64) -> Result<f64>, g: f64) -> Result<f64> {
    let v = loss(g)?;
    if v.is_finite() { Ok(v) } else { Err(Error::numerical(format!("loss at gamma1 = {g} is {v}"))) }
}

/// Locates the minimum over gamma1 >= 0 of a closed-form `loss`, which must also accept 0 (lazy)
/// and f64::INFINITY (the rich limit). Starts on `grid`; if the grid minimum is at an end but the
/// loss beyond it (at 0 or infinity) is larger, the grid is extended by decades up to 1e-12..1e12.
pub fn minimize_closed(loss: &dyn Fn(f64) -> Result<f64>, grid: &LogGrid) -> Result<Optimum> {
    let (lazy, rich) = (checked(loss, 0.0)?, checked(loss, f64::INFINITY)?);
    let mut gammas = grid.points();
    let mut values = gammas.iter().map(|&g| checked(loss, g)).collect::<Result<Vec<f64>>>()?;
    let per_decade = (grid.n - 1) as f64 / (grid.hi / grid.lo).log10();
    let decade = 10f64.powf(1.0 / per_decade.max(1.0));
    loop {
        let all: Vec<f64> = values.iter().copied().chain([lazy, rich]).collect();
        if is_flat(&all) {
            return Ok(Optimum { location: Location::Flat, gamma1_star: None, loss_at_star: lazy });
        }
        let i = argmin(&values);
        let n = values.len();
        if i > 0 && i + 1 < n {
            let (g, v) = brent(loss, gammas[i - 1], gammas[i + 1])?;
            return Ok(if rich < v {
                Optimum { location: Location::Unbounded, gamma1_star: None, loss_at_star: rich }
            } else if lazy <= v {
                Optimum { location: Location::Lazy, gamma1_star: Some(0.0), loss_at_star: lazy }
            } else {
                Optimum { location: Location::Interior, gamma1_star: Some(g), loss_at_star: v }
            });
        }
        if i + 1 == n {
            if rich <= values[i] || gammas[i] >= EXTEND_LIMITS.1 {
                return Ok(Optimum { location: Location::Unbounded, gamma1_star: None, loss_at_star: rich });
            }
            let g = gammas[i] * decade;
            values.push(checked(loss, g)?);
            gammas.push(g);
        } else {
            if lazy <= values[0] {
                return Ok(Optimum { location: Location::Lazy, gamma1_star: Some(0.0), loss_at_star: lazy });
            }
            if gammas[0] <= EXTEND_LIMITS.0 {
                return Err(Error::numerical(format!(
                    "loss still falls at gamma1 = {:e} but is larger at gamma1 = 0: optimum not resolved",
                    gammas[0]
                )));
            }
            let g = gammas[0] / decade;
            values.insert(0, checked(loss, g)?);
            gammas.insert(0, g);
        }
    }
}

/// Percentile bootstrap interval for gamma1*; an end is `None` when that quantile is at infinity
/// (the resampled minimum at the grid's top end).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub level: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub resamples: usize,
    /// Fraction of resamples whose minimum is at the grid's top end (gamma1* = infinity).
    pub fraction_unbounded: f64,
    /// Fraction of resamples whose minimum is at the grid's bottom end (gamma1* = 0).
    pub fraction_lazy: f64,
}

/// Optimum of a simulated curve with its bootstrap interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimOptimum {
    pub optimum: Optimum,
    pub ci: Interval,
    /// Mean loss at each grid point, and its standard error over trials.
    pub mean: Vec<f64>,
    pub se: Vec<f64>,
}

/// Minimum of the curve `means` over sorted gammas: interior -> parabola vertex in log gamma1
/// through the three points around the grid minimum (clamped to them); ends -> Unbounded / Lazy.
fn locate(gammas: &[f64], means: &[f64]) -> Optimum {
    if is_flat(means) {
        return Optimum { location: Location::Flat, gamma1_star: None, loss_at_star: means[0] };
    }
    let i = argmin(means);
    let n = means.len();
    if i + 1 == n {
        return Optimum { location: Location::Unbounded, gamma1_star: None, loss_at_star: means[i] };
    }
    if i == 0 {
        return Optimum { location: Location::Lazy, gamma1_star: Some(0.0), loss_at_star: means[0] };
    }
    let (t0, t1, t2) = (gammas[i - 1].ln(), gammas[i].ln(), gammas[i + 1].ln());
    let (y0, y1, y2) = (means[i - 1], means[i], means[i + 1]);
    let num = (t1 - t0).powi(2) * (y1 - y2) - (t1 - t2).powi(2) * (y1 - y0);
    let den = (t1 - t0) * (y1 - y2) - (t1 - t2) * (y1 - y0);
    let t = if den != 0.0 { (t1 - 0.5 * num / den).clamp(t0, t2) } else { t1 };
    // Value of the same parabola at its vertex (Lagrange form).
    let l0 = (t - t1) * (t - t2) / ((t0 - t1) * (t0 - t2));
    let l1 = (t - t0) * (t - t2) / ((t1 - t0) * (t1 - t2));
    let l2 = (t - t0) * (t - t1) / ((t2 - t0) * (t2 - t1));
    let v = (y0 * l0 + y1 * l1 + y2 * l2).min(y1);
    Optimum { location: Location::Interior, gamma1_star: Some(t.exp()), loss_at_star: v }
}

/// Optimum of simulated losses: `losses[k][t]` = loss of trial t at `gammas[k]` (same trial data at
/// every k). gamma1* of the mean curve, and a percentile bootstrap at `level` over `resamples`
/// resamplings of whole trials (the same trials at every gamma1), seeded by `seed`.
pub fn minimize_simulated(
    gammas: &[f64],
    losses: &[Vec<f64>],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<SimOptimum> {
    let trials = losses.first().map_or(0, Vec::len);
    if gammas.len() < 3 || gammas.len() != losses.len() || trials < 2 || losses.iter().any(|l| l.len() != trials) {
        return Err(Error::input("simulated optimum needs >= 3 grid points and >= 2 trials at each"));
    }
    if !(level > 0.0 && level < 1.0) || resamples < 10 {
        return Err(Error::input("bootstrap needs a level in (0, 1) and at least 10 resamples"));
    }
    if gammas.windows(2).any(|w| !(w[0] > 0.0 && w[1] > w[0])) {
        return Err(Error::input("gamma1 grid must be positive and increasing"));
    }
    let stats: Vec<_> = losses.iter().map(|l| crate::stats::Estimate::from_samples(l)).collect();
    let mean: Vec<f64> = stats.iter().map(|e| e.mean).collect();
    let optimum = locate(gammas, &mean);
    // Whole trials resampled jointly at every gamma1 (common random numbers): the one paired bootstrap.
    let mut rng = Rng::seed_from_u64(derive(seed, &[0xB007]));
    let cols: Vec<&[f64]> = losses.iter().map(Vec::as_slice).collect();
    let replicates = crate::stats::paired_bootstrap(&cols, resamples, &mut rng, |curve| {
        let o = locate(gammas, curve);
        Ok(Some(vec![match o.location {
            Location::Unbounded => f64::INFINITY,
            Location::Lazy => 0.0,
            Location::Interior => o.gamma1_star.unwrap_or(f64::NAN),
            Location::Flat => f64::NAN,
        }]))
    })?;
    let mut stars: Vec<f64> = replicates.into_iter().map(|r| r[0]).collect();
    let flat = stars.iter().filter(|s| s.is_nan()).count();
    stars.retain(|s| !s.is_nan());
    stars.sort_by(f64::total_cmp);
    let count = |x: f64| stars.iter().filter(|s| **s == x).count() as f64 / resamples as f64;
    // The p-quantile x_(ceil(p n)) of the finite-or-infinite replicates (inverse ECDF).
    let q = |p: f64| crate::stats::percentile(&stars, p);
    let (lo, hi) = if flat == resamples {
        (Some(0.0), None)
    } else {
        let end = |p: f64| q(p).filter(|x| x.is_finite());
        (end((1.0 - level) / 2.0), end((1.0 + level) / 2.0))
    };
    let ci = Interval { level, lo, hi, resamples, fraction_unbounded: count(f64::INFINITY), fraction_lazy: count(0.0) };
    Ok(SimOptimum { optimum, ci, mean, se: stats.iter().map(|e| e.se).collect() })
}

/// One simulation run of a richness sweep: per-trial losses at one grid point and, from the run that
/// provides them, the per-trial lazy (richness 0) losses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The run's index in the sweep (grid point k, or n for the lazy rerun).
    pub index: usize,
    pub losses: Vec<f64>,
    pub lazy: Option<Vec<f64>>,
}

/// Which observable a simulated richness sweep runs, and how settings map onto its parameters.
#[derive(Debug, Clone, Copy)]
pub struct SimTarget {
    pub observable: &'static str,
    /// The swept richness parameter (gamma1, or gamma2 for a stage-2 sweep).
    pub richness: &'static str,
    /// Its value at the optimised richness (gamma1, or gamma2 for a stage-2 sweep).
    pub from_gamma1: fn(f64) -> f64,
    /// Output holding the transfer loss.
    pub output: &'static str,
    /// Output holding lazy - loss on the same samples, if the observable has one; otherwise the
    /// gain is lazy - loss from a second run at richness 0 with the same seed.
    pub gain_output: Option<&'static str>,
    /// Output holding the lazy (richness 0) loss on the same samples, if the observable has one.
    pub lazy_output: Option<&'static str>,
    /// Settings passed through unchanged (setting name = parameter name).
    pub accepts: &'static [&'static str],
    /// Settings it cannot take, with the only value it simulates (anything else is refused).
    pub implied: &'static [(&'static str, &'static str)],
    /// Parameters always set.
    pub fixed: &'static [(&'static str, &'static str)],
}

/// The transfer observable of issue 3 (pre-training + fine-tuning, gamma1 swept). Pre-training runs
/// with step scale eta0 = 1.5: the converged kernel does not depend on the path (beta_hat is the
/// row-space projection, M = I + chi(q) r r^T by the Lorentz identity), only the number of steps does.
pub const TRANSFER_LOSS: SimTarget = SimTarget {
    observable: "lauditi.transfer_loss",
    richness: "gamma1",
    from_gamma1: identity,
    output: "loss",
    gain_output: Some("gain"),
    lazy_output: Some("lazy"),
    accepts: &["d", "nu1", "sigma_s", "lambda_wd", "nu2", "alpha_s", "alpha_g", "variant", "lambda", "steps", "sigma"],
    implied: &[],
    fixed: &[("eta0", "1.5")],
};

fn identity(x: f64) -> f64 {
    x
}

/// The target the command line simulates.
pub const SIMULATED: SimTarget = TRANSFER_LOSS;

impl SimTarget {
    /// Resolves `settings` (name, text) at source richness `gamma1` into the observable's
    /// parameters; a setting it cannot take is refused unless it has the implied value.
    pub fn params(&self, settings: &[(String, String)], gamma1: f64) -> Result<ParamSet> {
        let obs = find(self.observable)?;
        let mut given: Vec<(String, String)> = self.fixed.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for (name, text) in settings {
            if self.accepts.contains(&name.as_str()) {
                given.push((name.clone(), text.clone()));
                continue;
            }
            let implied = self.implied.iter().find(|(k, _)| k == name);
            let same = implied.is_some_and(|(_, v)| {
                v == text || matches!((v.parse::<f64>(), text.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
            });
            if !same {
                let only = implied.map_or(String::new(), |(_, v)| format!(" (it simulates only {name}={v})"));
                return Err(Error::input(format!(
                    "observable {} cannot simulate {name}={text}{only}",
                    self.observable
                )));
            }
        }
        given.push((self.richness.to_string(), format!("{:e}", (self.from_gamma1)(gamma1))));
        obs.resolve(&given)
    }

    /// Runs `trials` trials at source richness `value` = gamma1 (trial t seeded by (seed, t) at every value).
    pub fn sample(
        &self,
        settings: &[(String, String)],
        value: f64,
        trials: usize,
        seed: u64,
        progress: Option<&ProgressBar>,
    ) -> Result<Sample> {
        let obs = find(self.observable)?;
        simulate(obs, &self.params(settings, value)?, trials, seed, progress)
    }

    /// Per-trial lazy losses (richness 0) on the same samples as `sample`: its lazy output when the
    /// observable has one, otherwise a second run at richness 0 with the same seed.
    pub fn lazy_losses(
        &self,
        sample: &Sample,
        settings: &[(String, String)],
        trials: usize,
        seed: u64,
        progress: Option<&ProgressBar>,
    ) -> Result<Vec<f64>> {
        match self.lazy_output {
            Some(out) => sample.column(out),
            None => self.sample(settings, 0.0, trials, seed, progress)?.column(self.output),
        }
    }

    /// Simulation runs of a sweep over `points` richness values (the lazy baseline may need one more).
    pub fn sweep_runs(&self, points: usize) -> usize {
        points + usize::from(self.lazy_output.is_none())
    }

    /// Run `index` of a sweep over `gammas` (see [`SimTarget::sweep_runs`]): index k < n simulates
    /// `gammas[k]` (index 0 also keeps the lazy output when the observable has one); index n, when the
    /// observable has no lazy output, reruns at richness 0. Every run uses the same trial seeds, so a
    /// run's numbers do not depend on which other runs are computed with it (sharding).
    pub fn sweep_point(
        &self,
        settings: &[(String, String)],
        gammas: &[f64],
        index: usize,
        trials: usize,
        seed: u64,
        progress: Option<&ProgressBar>,
    ) -> Result<SweepPoint> {
        let value = gammas.get(index).copied().unwrap_or(0.0);
        let sample = self.sample(settings, value, trials, seed, progress)?;
        let (losses, lazy) = match (index < gammas.len(), self.lazy_output) {
            (true, Some(out)) if index == 0 => (sample.column(self.output)?, Some(sample.column(out)?)),
            (true, _) => (sample.column(self.output)?, None),
            (false, _) => (Vec::new(), Some(sample.column(self.output)?)),
        };
        Ok(SweepPoint { index, losses, lazy })
    }

    /// The runs of a sweep that `owns` accepts (by index), in order.
    pub fn sweep_points(
        &self,
        settings: &[(String, String)],
        gammas: &[f64],
        (trials, seed): (usize, u64),
        owns: &dyn Fn(usize) -> bool,
        progress: Option<&ProgressBar>,
    ) -> Result<Vec<SweepPoint>> {
        (0..self.sweep_runs(gammas.len()))
            .filter(|&i| owns(i))
            .map(|i| self.sweep_point(settings, gammas, i, trials, seed, progress))
            .collect()
    }

    /// The optimum (95% percentile bootstrap interval, 1000 resamples) and the per-trial lazy losses
    /// from all the runs of a sweep over `gammas` (any order); refuses missing runs.
    pub fn sweep_from(&self, gammas: &[f64], mut points: Vec<SweepPoint>, seed: u64) -> Result<(SimOptimum, Vec<f64>)> {
        points.sort_by_key(|p| p.index);
        if points.len() != self.sweep_runs(gammas.len()) || points.iter().enumerate().any(|(i, p)| p.index != i) {
            return Err(Error::input("the runs of the richness sweep are incomplete"));
        }
        let lazy = points.iter().find_map(|p| p.lazy.clone()).unwrap_or_default();
        let losses: Vec<Vec<f64>> = points.into_iter().take(gammas.len()).map(|p| p.losses).collect();
        Ok((minimize_simulated(gammas, &losses, 1000, 0.95, seed)?, lazy))
    }

    /// Per-trial transfer gains lazy - loss at source richness `value` = gamma1 (same samples for both).
    pub fn gains(
        &self,
        settings: &[(String, String)],
        value: f64,
        trials: usize,
        seed: u64,
        progress: Option<&ProgressBar>,
    ) -> Result<Vec<f64>> {
        let sample = self.sample(settings, value, trials, seed, progress)?;
        match self.gain_output {
            Some(out) => sample.column(out),
            None => {
                let lazy = self.lazy_losses(&sample, settings, trials, seed, None)?;
                Ok(lazy.iter().zip(sample.column(self.output)?).map(|(l, x)| l - x).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_points_are_log_spaced_and_inclusive() {
        let g = LogGrid::new(1e-3, 1e3, 7).unwrap().points();
        assert_eq!(g.len(), 7);
        assert!((g[0] - 1e-3).abs() < 1e-15 && (g[6] - 1e3).abs() < 1e-9 && (g[3] - 1.0).abs() < 1e-12);
        assert!(LogGrid::new(0.0, 1.0, 5).is_err() && LogGrid::new(1.0, 2.0, 2).is_err());
    }

    #[test]
    fn parabola_vertex_is_exact_for_a_parabola_in_log_gamma() {
        let gammas = LogGrid::new(0.01, 100.0, 9).unwrap().points();
        let means: Vec<f64> = gammas.iter().map(|g| (g.ln() - 0.7f64).powi(2) + 2.0).collect();
        let o = locate(&gammas, &means);
        assert_eq!(o.location, Location::Interior);
        assert!((o.gamma1_star.unwrap().ln() - 0.7).abs() < 1e-12);
        assert!((o.loss_at_star - 2.0).abs() < 1e-12);
    }
}
