//! The decision pipeline every check runs through:
//!
//! plan ([`Method::plan`]: cells = observable x parameters x trials x seed, built with the one
//! settings resolver [`plan::Settings`]) -> samples (the observable executor, through the run's
//! cache: [`Run::draw`]) -> statistics and decision ([`Method::decide`], built from `crate::stats`
//! and the rules in `crate::decide`) -> structured outcome ([`run_check`] adds the verdict, the
//! failing region and the worst point). A check method supplies only what is its own: its plan, its
//! statistic per point and its decision rule. Progress goes through an [`Observer`].

pub mod alpha;
pub mod observer;
pub mod plan;
pub mod run;
pub mod stage;

use std::sync::Arc;

use crate::decide::regime::classify_points;
use crate::error::{Error, Result};
use crate::observable::Sample;
use crate::outcome::{
    CheckOutcome, Details, FiniteSize, Looks, PointOutcome, Region, Resolution, Rule, Undecided, Verdict,
    least_compatible,
};
pub use observer::{Observer, Silent};
pub use plan::{Cell, Point, Settings};
pub use run::Run;
pub use stage::Stage;

/// Run-wide settings: the precision and the base seed every check derives its streams from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precision {
    /// Quick precision (fewer trials, smaller sizes), as in `cargo test`.
    pub quick: bool,
    pub seed: u64,
}

/// Which point an outcome calls its worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worst {
    /// The point least compatible with the claim (smallest p, then largest |z|).
    LeastCompatible,
    /// The first failing point, if any.
    FirstFailing,
    /// A point the method names (or none).
    At(Option<usize>),
}

/// What a method decides from its samples.
#[derive(Debug, Clone)]
pub struct Decision {
    pub rule: Rule,
    pub points: Vec<PointOutcome>,
    pub finite_size: FiniteSize,
    pub details: Details,
    /// The method's own verdict and region; None: classified from the points' pass flags.
    pub verdict: Option<(Verdict, Option<Region>)>,
    pub worst: Worst,
    /// Failure flags of the deterministic points in a fixed order; None: the points' flags.
    pub failures: Option<Vec<bool>>,
    /// Every point is decided (rejected, or resolved within its requirement): a sequential check
    /// stops at this look.
    pub settled: bool,
    pub resolution: Option<Resolution>,
    /// Undecided points at the last look: a check that fails nowhere is then inconclusive.
    pub undecided: Option<Undecided>,
}

impl Decision {
    /// A decision whose verdict is classified from the points and whose worst point is the least
    /// compatible one.
    pub fn new(rule: Rule, points: Vec<PointOutcome>, finite_size: FiniteSize, details: Details) -> Self {
        let worst = Worst::LeastCompatible;
        Decision {
            rule,
            points,
            finite_size,
            details,
            verdict: None,
            worst,
            failures: None,
            settled: false,
            resolution: None,
            undecided: None,
        }
    }
}

/// A simulated cell with its samples.
pub struct Drawn {
    pub cell: Cell,
    pub sample: Arc<Sample>,
}

impl Drawn {
    /// Values of one output across trials.
    pub fn column(&self, output: &str) -> Result<Vec<f64>> {
        self.sample.column(output)
    }
}

/// A check method compiled for one check of one claim.
pub trait Method: Send + Sync {
    /// Cells to simulate at this look, in the order [`Method::decide`] reads them.
    fn plan(&self, stage: &Stage) -> Result<Vec<Cell>>;

    /// Cells that depend on the first samples (e.g. a symmetry probe at the largest point).
    fn follow_up(&self, _stage: &Stage, _drawn: &[Drawn]) -> Result<Vec<Cell>> {
        Ok(Vec::new())
    }

    /// Statistics per point and the decision at the look's alpha, from the samples of the plan
    /// followed by those of the follow-up.
    fn decide(&self, stage: &Stage, drawn: &[Drawn]) -> Result<Decision>;

    /// Looks the check takes at a precision (1: not sequential, all trials at once).
    fn looks(&self, _precision: &Precision) -> usize {
        1
    }
}

/// A check of a claim, ready to run.
pub struct Check {
    /// 1-based index in the theorem file.
    pub index: usize,
    pub method_name: &'static str,
    pub describe: String,
    pub regime: Option<String>,
    /// Why the check is a consistency check (not independent of the claim's derivation), if it is.
    pub consistency: Option<String>,
    pub method: Box<dyn Method>,
}

impl Check {
    /// Simulated trials this check plans at a precision at most, i.e. at its last look (for progress).
    pub fn planned_trials(&self, precision: &Precision) -> u64 {
        let stage = Stage::single(*precision, 1.0);
        self.method.plan(&stage).map_or(0, |cells| cells.iter().map(|c| c.trials as u64).sum())
    }
}

/// Runs one check through the pipeline: plan -> samples -> decision -> outcome, look by look until
/// the decision is settled or the trials are spent; `alpha` is the check's family-wise error rate
/// over all its looks.
pub fn run_check(check: &Check, run: &Run, alpha: f64) -> Result<CheckOutcome> {
    let precision = run.precision();
    let looks = check.method.looks(&precision).max(1);
    let mut look = 1;
    let (d, stage) = loop {
        let stage = Stage::nth(precision, alpha, look, looks);
        let d = decide_look(check.method.as_ref(), run, &stage)?;
        if d.settled || stage.last() {
            break (d, stage);
        }
        look += 1;
    };
    outcome(check, d, &stage)
}

fn decide_look(method: &dyn Method, run: &Run, stage: &Stage) -> Result<Decision> {
    let mut drawn = run.draw(method.plan(stage)?)?;
    let more = method.follow_up(stage, &drawn)?;
    drawn.extend(run.draw(more)?);
    let d = method.decide(stage, &drawn)?;
    if d.points.iter().any(|p| p.p.is_nan()) {
        return Err(Error::numerical("a point's p-value is not a number"));
    }
    Ok(d)
}

fn outcome(check: &Check, d: Decision, stage: &Stage) -> Result<CheckOutcome> {
    let (mut verdict, region) = d.verdict.clone().unwrap_or_else(|| classify_points(&d.points));
    if verdict == Verdict::Holds && d.undecided.is_some() {
        verdict = Verdict::Inconclusive;
    }
    let worst = match d.worst {
        Worst::LeastCompatible => {
            least_compatible(d.points.iter()).and_then(|w| d.points.iter().position(|p| std::ptr::eq(p, w)))
        }
        Worst::FirstFailing => d.points.iter().position(|p| !p.pass),
        Worst::At(i) => i,
    };
    let failures = d.failures.unwrap_or_else(|| d.points.iter().map(|p| !p.pass).collect());
    Ok(CheckOutcome {
        index: check.index,
        method: check.method_name,
        describe: check.describe.clone(),
        verdict,
        rule: d.rule,
        regime: check.regime.clone(),
        region,
        finite_size: d.finite_size,
        worst,
        points: d.points,
        details: d.details,
        failures,
        consistency: check.consistency.clone(),
        looks: Looks { taken: stage.look, planned: stage.looks },
        resolution: d.resolution,
        undecided: d.undecided,
    })
}
