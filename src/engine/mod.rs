//! The decision pipeline every check runs through:
//!
//! plan ([`Method::plan`]: cells = observable x parameters x trials x seed, built with the one
//! settings resolver [`plan::Settings`]) -> samples (the observable executor, through the run's
//! cache: [`Run::draw`]) -> statistics and decision ([`Method::decide`], built from `crate::stats`
//! and the rules in `crate::decide`) -> structured outcome ([`run_check`] adds the verdict, the
//! failing region and the worst point). A check method supplies only what is its own: its plan, its
//! statistic per point and its decision rule. Progress goes through an [`Observer`].

pub mod observer;
pub mod plan;
pub mod run;

use std::sync::Arc;

use crate::decide::regime::classify_points;
use crate::error::{Error, Result};
use crate::observable::Sample;
use crate::outcome::{CheckOutcome, Details, FiniteSize, PointOutcome, Region, Rule, Verdict, least_compatible};
pub use observer::{Observer, Silent};
pub use plan::{Cell, Point, Settings};
pub use run::Run;

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
}

impl Decision {
    /// A decision whose verdict is classified from the points and whose worst point is the least
    /// compatible one.
    pub fn new(rule: Rule, points: Vec<PointOutcome>, finite_size: FiniteSize, details: Details) -> Self {
        Decision { rule, points, finite_size, details, verdict: None, worst: Worst::LeastCompatible, failures: None }
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
    /// Cells to simulate at this precision, in the order [`Method::decide`] reads them.
    fn plan(&self, precision: &Precision) -> Result<Vec<Cell>>;

    /// Cells that depend on the first samples (e.g. a symmetry probe at the largest point).
    fn follow_up(&self, _precision: &Precision, _drawn: &[Drawn]) -> Result<Vec<Cell>> {
        Ok(Vec::new())
    }

    /// Statistics per point and the decision, from the samples of the plan followed by those of the
    /// follow-up.
    fn decide(&self, precision: &Precision, drawn: &[Drawn]) -> Result<Decision>;
}

/// A check of a claim, ready to run.
pub struct Check {
    /// 1-based index in the theorem file.
    pub index: usize,
    pub method_name: &'static str,
    pub describe: String,
    pub regime: Option<String>,
    pub method: Box<dyn Method>,
}

impl Check {
    /// Simulated trials this check plans at a precision (for progress).
    pub fn planned_trials(&self, precision: &Precision) -> u64 {
        self.method.plan(precision).map_or(0, |cells| cells.iter().map(|c| c.trials as u64).sum())
    }
}

/// Runs one check through the pipeline: plan -> samples -> decision -> outcome.
pub fn run_check(check: &Check, run: &Run) -> Result<CheckOutcome> {
    let precision = run.precision();
    let mut drawn = run.draw(check.method.plan(&precision)?)?;
    let more = check.method.follow_up(&precision, &drawn)?;
    drawn.extend(run.draw(more)?);
    let d = check.method.decide(&precision, &drawn)?;
    if d.points.iter().any(|p| p.p.is_nan()) {
        return Err(Error::numerical("a point's p-value is not a number"));
    }
    let (verdict, region) = d.verdict.clone().unwrap_or_else(|| classify_points(&d.points));
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
    })
}
