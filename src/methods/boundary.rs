//! `boundary`: a printed sign region ("the output is negative iff x lies in these intervals") against
//! the simulated sign of the output along a scanned parameter.
//!
//! At every grid point and scan value the output is simulated (mean m, standard error se over
//! independent trials). The rule ([`crate::decide::sign`]): a scan point fails when m lies on the
//! other side of zero than printed, beyond the budget b, significantly (one-sided, Holm over all scan
//! points). The simulated boundary (sign changes of the means along the scan, Brent's method on
//! their linear interpolant) is reported next to the printed interval ends; ends may use `inf`.

use super::Context;
use crate::decide::regime::classify_thresholds;
use crate::decide::sign::{crossings, decide, printed_negative, sign_test};
use crate::engine::plan::{Point, Settings, grid_points, output_of};
use crate::engine::{Cell, Decision, Drawn, Method, Stage};
use crate::error::Result;
use crate::formula::Formula;
use crate::outcome::details::{BoundaryDetails, SignLine};
use crate::outcome::{Coords, Details, FiniteSize, PointOutcome, Rule, RuleKind, coords};
use crate::params::ParamSet;
use crate::rng::derive;
use crate::spec::BoundarySpec;
use crate::stats::Estimate;

/// A compiled boundary check.
pub struct Boundary {
    settings: Settings,
    stream: u64,
    output: &'static str,
    /// Scan values as text.
    scan: Vec<String>,
    /// Printed negative region: union of (lo, hi) intervals, formulas of the parameters.
    negative: Vec<(Formula, Formula)>,
    points: Vec<Point>,
    spec: BoundarySpec,
}

impl Boundary {
    pub fn compile(spec: &BoundarySpec, cx: &Context) -> Result<Boundary> {
        let settings = Settings::new(&spec.observable, &spec.settings, &spec.quick)?;
        let output = output_of(settings.observable(), spec.output.as_deref())?;
        let negative = spec
            .negative
            .iter()
            .map(|[lo, hi]| Ok((Formula::parse(lo)?, Formula::parse(hi)?)))
            .collect::<Result<Vec<_>>>()?;
        let check = Boundary {
            points: grid_points(&spec.grid)?,
            settings,
            stream: cx.stream(),
            output,
            scan: spec.scan.values.iter().map(|v| v.to_string()).collect(),
            negative,
            spec: spec.clone(),
        };
        // Every point must resolve at both precisions, and the printed ends evaluate there.
        for quick in [false, true] {
            for cell in check.cells(quick, 0)? {
                check.printed(&cell.params)?;
            }
        }
        Ok(check)
    }

    /// Cells point by point, scan value by scan value: seed derive(derive(seed, [stream]), [i, k]).
    fn cells(&self, quick: bool, seed: u64) -> Result<Vec<Cell>> {
        let base = derive(seed, &[self.stream]);
        let trials = self.spec.trials_at(quick);
        let mut cells = Vec::new();
        for (i, point) in self.points.iter().enumerate() {
            for (k, at) in self.scanned(point).iter().enumerate() {
                cells.push(self.settings.cell(at, quick, trials, derive(base, &[i as u64, k as u64]))?);
            }
        }
        Ok(cells)
    }

    /// The scan points of a grid point: the point followed by the scanned parameter.
    fn scanned(&self, point: &Point) -> Vec<Point> {
        let name = &self.spec.scan.param;
        self.scan.iter().map(|v| [point.clone(), vec![(name.clone(), v.clone())]].concat()).collect()
    }

    /// Printed negative intervals (lo, hi) at a parameter set (NaN ends where undefined).
    fn printed(&self, params: &ParamSet) -> Result<Vec<(f64, f64)>> {
        let env = params.numbers();
        let lookup = |x: &str| if x == "inf" { Some(f64::INFINITY) } else { env.get(x).copied() };
        self.negative.iter().map(|(lo, hi)| Ok((lo.eval(lookup)?, hi.eval(lookup)?))).collect()
    }

    /// The scan points of one grid point and its line of sign changes.
    fn line(&self, point: &Point, drawn: &[Drawn]) -> Result<(Vec<PointOutcome>, SignLine)> {
        let budget = self.spec.tolerance.abs;
        let (mut outcomes, mut xs, mut means, mut printed) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (d, at) in drawn.iter().zip(self.scanned(point)) {
            let est = Estimate::from_samples(&d.column(self.output)?);
            let x = d.cell.params.num(&self.spec.scan.param)?;
            printed = self.printed(&d.cell.params)?;
            let negative = printed_negative(x, &printed);
            let (p, z) = sign_test(est, negative, budget);
            outcomes.push(PointOutcome {
                claimed: Some(if negative { -1.0 } else { 1.0 }),
                simulated: Some(est),
                residual: est.mean,
                budget,
                z,
                two_sided: false,
                p,
                ..PointOutcome::at(coords(&at))
            });
            xs.push(x);
            means.push(est.mean);
        }
        Ok((outcomes, SignLine { at: coords(point), crossings: crossings(&xs, &means), printed }))
    }
}

impl Method for Boundary {
    fn plan(&self, precision: &Stage) -> Result<Vec<Cell>> {
        self.cells(precision.quick, precision.seed)
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let tol = &self.spec.tolerance;
        let (mut points, mut lines) = (Vec::new(), Vec::new());
        for (point, d) in self.points.iter().zip(drawn.chunks(self.scan.len())) {
            let (outcomes, line) = self.line(point, d)?;
            points.extend(outcomes);
            lines.push(line);
        }
        let p: Vec<f64> = points.iter().map(|r| r.p).collect();
        for (r, pass) in points.iter_mut().zip(decide(&p, precision.alpha)) {
            r.pass = pass;
        }
        let flags: Vec<(Coords, bool)> = points.iter().map(|r| (r.at.clone(), r.pass)).collect();
        let rule = Rule {
            kind: RuleKind::Holm,
            family_alpha: precision.alpha,
            family: points.len(),
            trials: self.spec.trials_at(precision.quick),
            resamples: None,
        };
        let finite_size = FiniteSize::Budget { abs: tol.abs, rel: 0.0, reason: tol.budget_reason.clone() };
        let details = Details::Boundary(BoundaryDetails {
            observable: self.settings.observable().name().to_string(),
            output: self.output.to_string(),
            scan: self.spec.scan.param.clone(),
            lines,
        });
        let verdict = Some(classify_thresholds(&flags));
        Ok(Decision { verdict, ..Decision::new(rule, points, finite_size, details) })
    }
}
