//! Observables of the joint-rich regime (gamma2 > 0) of Lauditi, Bordelon, Pehlevan
//! (arXiv 2507.04448 v2, claim 6): a two-layer muP network with phi = identity, ReLU or tanh trained on a
//! source Hermite task with gamma1 and then on a target task with gamma2 from the stage-1 parameters
//! (simulator: `sim::lauditi::joint`), by the finite-width network or the DMFT single-site population.

use super::lauditi::{ALPHA_S, D, GAMMA1, SIGMA, SIGMA_S};
use super::{CurveSpec, Observable, OutputSpec, TrialRunner, check_memory, write_curves, write_outputs};
use crate::error::{Error, Result};
use crate::params::{Kind, ParamSet, ParamSpec};
use crate::rng::Rng;
use crate::sim::lauditi::joint::{Curves, HermiteTask, Phi, Schedule, Solver, SyntheticPair, simulate};
use crate::sim::sample_count;

const TASKS: &[&str] = &["he1", "he2", "he3", "he4", "he5", "linear", "quadratic"];

const PARAMS: &[ParamSpec] = &[
    ParamSpec { kind: Kind::Count(2, 100_000), default: "32", ..D },
    ParamSpec { default: "2", ..GAMMA1 },
    ParamSpec {
        name: "gamma2",
        kind: Kind::Real("[0, inf)"),
        default: "1",
        doc: "feature-learning richness gamma2 of stage 2 (same convention as gamma1; 0 = features frozen)",
        used_when: None,
    },
    ParamSpec {
        name: "nu1",
        kind: Kind::Real("(0, inf)"),
        default: "2",
        doc: "source data ratio P1/D (P1 = nu1 d a whole number)",
        used_when: None,
    },
    ParamSpec {
        name: "nu2",
        kind: Kind::Real("(0, inf)"),
        default: "1",
        doc: "target data ratio P2/D (P2 = nu2 d a whole number)",
        used_when: None,
    },
    ParamSpec { default: "0.5", ..ALPHA_S },
    ParamSpec {
        name: "source",
        kind: Kind::Choice(TASKS),
        default: "he1",
        doc: "source teacher He_k(b_s . x)/sqrt(k!); linear = he1, quadratic = he2",
        used_when: None,
    },
    ParamSpec {
        name: "target",
        kind: Kind::Choice(TASKS),
        default: "he1",
        doc: "target teacher He_k(b_t . x)/sqrt(k!); linear = he1, quadratic = he2",
        used_when: None,
    },
    SIGMA_S,
    SIGMA,
    ParamSpec {
        name: "phi",
        kind: Kind::Choice(&["identity", "relu", "tanh"]),
        default: "relu",
        doc: "hidden activation phi",
        used_when: None,
    },
    ParamSpec {
        name: "t1",
        kind: Kind::Real("[0, 10000]"),
        default: "10",
        doc: "stage-1 training time (foundation's time units)",
        used_when: None,
    },
    ParamSpec {
        name: "t2",
        kind: Kind::Real("(0, 10000]"),
        default: "10",
        doc: "stage-2 training time (foundation's time units); the curves end there",
        used_when: None,
    },
    ParamSpec {
        name: "t_early",
        kind: Kind::Real("(0, 10000]"),
        default: "0.5",
        doc: "stage-2 time of the `target_early` output (at most t2)",
        used_when: None,
    },
    ParamSpec {
        name: "points",
        kind: Kind::Count(2, 100_000),
        default: "9",
        doc: "recorded stage-2 times of the curves: K evenly spaced times t_k = k t2 / (K - 1), k = 0, ..., K - 1 \
              (rounded to 12 decimals, t_{K-1} = t2); every recorded time (and t_early) ends an Euler step",
        used_when: None,
    },
    ParamSpec {
        name: "solver",
        kind: Kind::Choice(&["dmft", "network"]),
        default: "dmft",
        doc: "dmft = single-site population of n neurons (initial output subtracted, input kernel only); network = \
              finite-width network of width n with D-dimensional weights",
        used_when: None,
    },
    ParamSpec {
        name: "n",
        kind: Kind::Count(2, 10_000_000),
        default: "1000",
        doc: "network width N or DMFT population M",
        used_when: None,
    },
    ParamSpec {
        name: "test",
        kind: Kind::Count(1, 10_000_000),
        default: "400",
        doc: "test points per task (test labels are noiseless)",
        used_when: None,
    },
    ParamSpec {
        name: "eta0",
        kind: Kind::Real("(0, 1.9]"),
        default: "1",
        doc: "Euler step scale: dt = eta0 / (bound on the largest tangent-kernel eigenvalue)",
        used_when: None,
    },
    ParamSpec {
        name: "readout",
        kind: Kind::Choice(&["keep", "reset"]),
        default: "keep",
        doc: "stage 2 starts from the stage-1 readout (keep) or from a = 0 (reset)",
        used_when: None,
    },
];

/// The validated experiment shared by the trials of both observables.
struct Setup {
    pair: SyntheticPair,
    phi: Phi,
    schedule: Schedule,
    solver: Solver,
    /// The curves' recording times t_k (`points` of them) and their indices in `schedule.record`.
    grid: Vec<f64>,
    on_grid: Vec<usize>,
    /// Index of t_early in `schedule.record`.
    early: usize,
}

/// K evenly spaced times k t2 / (K - 1) rounded to 12 decimals (0.3, not 0.30000000000000004), the last
/// exactly t2.
fn time_grid(t2: f64, k: usize) -> Vec<f64> {
    let mut grid: Vec<f64> = (0..k).map(|j| ((t2 * j as f64 / (k - 1) as f64) * 1e12).round() / 1e12).collect();
    if let Some(last) = grid.last_mut() {
        *last = t2;
    }
    grid
}

fn degree(name: &str) -> usize {
    match name {
        "linear" => 1,
        "quadratic" => 2,
        he => he[2..].parse().unwrap_or(1),
    }
}

impl Setup {
    /// Builds and validates the experiment of a resolved parameter set, recording stage 2 at `points`
    /// evenly spaced times and at t_early.
    fn from(params: &ParamSet, points: usize) -> Result<Setup> {
        let d = params.size("d")?;
        let pair = SyntheticPair {
            d,
            source: HermiteTask { degree: degree(params.text("source")?), noise: params.num("sigma_s")? },
            target: HermiteTask { degree: degree(params.text("target")?), noise: params.num("sigma")? },
            alpha_s: params.num("alpha_s")?,
            p1: sample_count("nu1", params.num("nu1")?, d)?,
            p2: sample_count("nu2", params.num("nu2")?, d)?,
            test: params.size("test")?,
        };
        let (t2, t_early) = (params.num("t2")?, params.num("t_early")?);
        if t_early > t2 {
            return Err(Error::input(format!("t_early = {t_early} exceeds t2 = {t2}")));
        }
        let grid = time_grid(t2, points);
        let mut record = grid.clone();
        record.push(t_early);
        record.sort_by(f64::total_cmp);
        record.dedup();
        let schedule = Schedule {
            gamma1: params.num("gamma1")?,
            gamma2: params.num("gamma2")?,
            t1: params.num("t1")?,
            t2,
            record,
            eta0: params.num("eta0")?,
            reset_readout: params.text("readout")? == "reset",
            max_steps: 10_000_000,
        };
        schedule.validate()?;
        let n = params.size("n")?;
        let solver = match params.text("solver")? {
            "network" => Solver::Network { width: n },
            _ => Solver::Dmft { population: n },
        };
        let points = (pair.p1 + pair.p2 + 2 * pair.test) as f64;
        let p_tr = pair.p1.max(pair.p2) as f64;
        let bytes = 8.0 * (points * d as f64 + points * points + n as f64 * (2.0 * points + 5.0 * p_tr + d as f64));
        check_memory(bytes, "the two-stage run")?;
        let index = |t: f64| schedule.record.iter().position(|&r| r == t).unwrap_or(0);
        let early = index(t_early);
        let on_grid = grid.iter().map(|&t| index(t)).collect();
        let phi = Phi::parse(params.text("phi")?)?;
        Ok(Setup { pair, phi, schedule, solver, grid, on_grid, early })
    }

    /// One run with the given schedule: the data and initial network are drawn from `rng`.
    fn run(&self, schedule: &Schedule, rng: &mut Rng) -> Result<Curves> {
        let data = self.pair.sample(rng)?;
        simulate(&data, self.phi, schedule, self.solver, rng)
    }
}

/// `lauditi.joint_rich`: stage-2 curves of target loss, source loss (forgetting) and kurtosis of h.
pub struct JointRich;

const OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "target_loss", doc: "target test MSE at the end of stage 2 (1 = zero predictor)" },
    OutputSpec { name: "source_loss", doc: "source test MSE at the end of stage 2" },
    OutputSpec { name: "forgetting", doc: "source test MSE at the end of stage 2 minus at the end of stage 1" },
    OutputSpec { name: "joint", doc: "target_loss + source_loss" },
    OutputSpec { name: "target_early", doc: "target test MSE at stage-2 time t_early" },
    OutputSpec { name: "target_start", doc: "target test MSE at the end of stage 1 (stage-2 time 0)" },
    OutputSpec {
        name: "kurtosis",
        doc: "excess kurtosis of h across neurons on target test inputs, averaged over inputs, at the end of stage 2",
    },
    OutputSpec { name: "kurtosis_start", doc: "the same at the start of stage 2" },
    OutputSpec { name: "alignment", doc: "kernel-target alignment of the final feature kernel on target test inputs" },
    OutputSpec {
        name: "feature_forgetting",
        doc: "drop over stage 2 of the feature kernel's alignment y^T K y / (|y|^2 |K|_F) with the source labels \
              (source test inputs): forgetting of source features",
    },
    OutputSpec { name: "steps", doc: "Euler steps over both stages" },
];

const CURVES: &[CurveSpec] = &[
    CurveSpec { name: "time", doc: "the recorded stage-2 times t_k", abscissa: "k = 0, ..., points - 1" },
    CurveSpec {
        name: "target_loss",
        doc: "target test MSE at t_k (t_0 = 0: the end of stage 1)",
        abscissa: "stage-2 time t_k (curve `time`)",
    },
    CurveSpec { name: "source_loss", doc: "source test MSE at t_k", abscissa: "stage-2 time t_k (curve `time`)" },
    CurveSpec {
        name: "forgetting",
        doc: "source test MSE at t_k minus at the end of stage 1 (0 at t_0 = 0)",
        abscissa: "stage-2 time t_k (curve `time`)",
    },
];

struct JointRunner(Setup);

impl TrialRunner for JointRunner {
    fn run(&self, scratch: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        self.run_curves(scratch, rng, out, &mut [])
    }

    fn run_curves(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64], curves: &mut [Vec<f64>]) -> Result<()> {
        let s = &self.0;
        let c = s.run(&s.schedule, rng)?;
        let last = c.target_loss.len() - 1;
        let (target, source) = (c.target_loss[last], c.source_loss[last]);
        write_outputs(
            OUTPUTS,
            out,
            &[
                ("target_loss", target),
                ("source_loss", source),
                ("forgetting", source - c.source_after_stage1),
                ("joint", target + source),
                ("target_early", c.target_loss[s.early]),
                ("target_start", c.target_after_stage1),
                ("kurtosis", c.kurtosis[last]),
                ("kurtosis_start", c.kurtosis[0]),
                ("alignment", c.alignment[last]),
                ("feature_forgetting", c.source_alignment_after_stage1 - c.source_alignment),
                ("steps", c.steps as f64),
            ],
        )?;
        if curves.is_empty() {
            return Ok(()); // scalars only: no curve is built
        }
        let on_grid = |series: &[f64]| s.on_grid.iter().map(|&k| series[k]).collect::<Vec<f64>>();
        let source = on_grid(&c.source_loss);
        write_curves(
            CURVES,
            curves,
            [
                ("time", s.grid.clone()),
                ("target_loss", on_grid(&c.target_loss)),
                ("forgetting", source.iter().map(|l| l - c.source_after_stage1).collect()),
                ("source_loss", source),
            ],
        )
    }
}

impl Observable for JointRich {
    fn name(&self) -> &'static str {
        "lauditi.joint_rich"
    }
    fn doc(&self) -> &'static str {
        "Two-stage muP network f(x) = (1/N) sum a_i phi(w_i . x / sqrt(D)), a_i = sqrt(D) z_i / gamma1: gradient \
         flow on P1 = nu1 D source samples of He_k(b_s . x)/sqrt(k!) with richness gamma1 for time t1, then on \
         P2 = nu2 D target samples (b_s . b_t = alpha_s) with richness gamma2 for time t2 from the stage-1 \
         parameters. Reports target and source test losses (forgetting) at the end of stage 2 and as curves at \
         `points` evenly spaced stage-2 times, the excess kurtosis of the pre-activations and the final kernel \
         alignment. solver = dmft (single-site population on the input \
         kernel X X^T / D) or network (finite width)."
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        OUTPUTS
    }
    fn curves(&self) -> &'static [CurveSpec] {
        CURVES
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        Ok(Box::new(JointRunner(Setup::from(params, params.size("points")?)?)))
    }
}

/// `lauditi.polynomial_transfer`: target loss with and without pre-training on the same draws.
pub struct PolynomialTransfer;

const POLY_OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "gain", doc: "scratch_loss - transfer_loss (positive: pre-training helps)" },
    OutputSpec { name: "transfer_loss", doc: "target test MSE after stage 1 (source) then stage 2 (target)" },
    OutputSpec {
        name: "scratch_loss",
        doc: "target test MSE after stage 2 alone from the same initial draws (no pre-training, richness gamma2)",
    },
    OutputSpec { name: "forgetting", doc: "source test MSE rise over stage 2 of the transfer run" },
];

/// Recorded stage-2 times of `lauditi.polynomial_transfer` (no curves: they only end Euler steps).
const POLY_POINTS: usize = 9;

struct PolyRunner {
    setup: Setup,
    scratch: Schedule,
}

impl TrialRunner for PolyRunner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let mut twin = rng.clone();
        let transfer = self.setup.run(&self.setup.schedule, rng)?;
        let scratch = self.setup.run(&self.scratch, &mut twin)?;
        let last = transfer.target_loss.len() - 1;
        let (lt, ls) = (transfer.target_loss[last], scratch.target_loss[last]);
        let forgetting = transfer.source_loss[last] - transfer.source_after_stage1;
        write_outputs(
            POLY_OUTPUTS,
            out,
            &[("gain", ls - lt), ("transfer_loss", lt), ("scratch_loss", ls), ("forgetting", forgetting)],
        )
    }
}

impl Observable for PolynomialTransfer {
    fn name(&self) -> &'static str {
        "lauditi.polynomial_transfer"
    }
    fn doc(&self) -> &'static str {
        "Transfer between Hermite tasks (e.g. he1 -> he2 easy to hard, he5 -> he2 hard to easy): the target loss of \
         the two-stage network of `lauditi.joint_rich` against training on the target alone: stage 2 with richness \
         gamma2 from the same initial draws (random features; readout reset to 0 like the transfer run by default, \
         or the initial readout of scale sqrt(D)/gamma2 with readout = keep), common random numbers."
    }
    fn params(&self) -> &'static [ParamSpec] {
        poly_params()
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        POLY_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        let setup = Setup::from(params, POLY_POINTS)?;
        if setup.schedule.gamma2 == 0.0 {
            return Err(Error::input(
                "polynomial_transfer needs gamma2 > 0 (scratch training is initialised at scale 1/gamma2)",
            ));
        }
        let scratch = Schedule { gamma1: setup.schedule.gamma2, t1: 0.0, ..setup.schedule.clone() };
        Ok(Box::new(PolyRunner { setup, scratch }))
    }
}

fn poly_params() -> &'static [ParamSpec] {
    static P: std::sync::OnceLock<Vec<ParamSpec>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        PARAMS
            .iter()
            .filter(|p| p.name != "points")
            .map(|p| match p.name {
                "source" => ParamSpec { default: "he1", ..*p },
                "target" => ParamSpec { default: "he2", ..*p },
                "alpha_s" => ParamSpec { default: "1", ..*p },
                "readout" => ParamSpec {
                    default: "reset",
                    doc: "stage 2 starts from the pre-trained features with readout a = 0 (reset, like scratch \
                          training) or from the stage-1 readout (keep: then transfer starts from the source function)",
                    ..*p
                },
                _ => *p,
            })
            .collect()
    })
}
