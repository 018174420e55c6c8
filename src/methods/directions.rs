//! `directions`: along each swept constituent, the output must not go significantly against the
//! direction the printed order parameter implies (it falls where Gamma rises), and with
//! `claim.strict` every step must show that direction.
//!
//! The values of each constituent (with its base value) are sorted; consecutive values a -> b are a
//! step whose paired change d_t = s (y_t(b) - y_t(a)), s = -sign(Gamma(b) - Gamma(a)), is > 0 when it
//! goes the claimed way (common random numbers, [`super::order`]). Holm over all steps
//! ([`crate::decide::steps`]): refuted when every step goes significantly against, regime-limited
//! when some do. Otherwise the check holds, unless the claim is strict and some step is not shown:
//! shown means mean d - t_{1 - alpha, n - 1} se > 0 (one-sided Student bound). Every step is tested
//! at the full alpha: "all steps improve" is an intersection, and concluding it wrongly needs the
//! false step to pass its own test (an intersection-union test, no multiplicity correction). A strict
//! check with a step neither against nor shown is inconclusive. With a `reference`, the collapse
//! audit of the same sweeps is reported as context ([`super::collapse`]; the run cache shares their
//! cells).

use super::Context;
use super::collapse::Collapse;
use super::order::Sweeps;
use crate::decide::budget::Sense;
use crate::decide::resolution::excluded;
use crate::decide::steps::{against, against_p, direction, step_z, verdict};
use crate::engine::{Cell, Decision, Drawn, Method, Stage};
use crate::error::Result;
use crate::outcome::details::{DirectionsDetails, Step};
use crate::outcome::{Coord, Details, FiniteSize, PointOutcome, Resolution, Rule, RuleKind, Verdict};
use crate::spec::DirectionsSpec;
use crate::stats::{Estimate, student_quantile};

/// A compiled directions check.
pub struct Directions {
    sweeps: Sweeps,
    reason: Option<String>,
    /// The collapse audit reported as context (with a reference).
    context: Option<Collapse>,
    /// Every step must show the claimed direction (claim.strict).
    strict: bool,
}

/// Whether a step shows the claimed direction: its one-sided lower Student bound at `alpha` is > 0.
pub fn shown(improvement: Estimate, alpha: f64) -> bool {
    let t = student_quantile(1.0 - alpha, improvement.dof());
    improvement.mean - t * improvement.se > 0.0
}

impl Directions {
    pub fn compile(spec: &DirectionsSpec, cx: &Context) -> Result<Directions> {
        let src = spec.simulated();
        let context = match &spec.reference {
            Some(r) => {
                let sweeps = Sweeps::compile(&src, &spec.sweep, cx.statement)?;
                Some(Collapse::new(sweeps, r, spec.symmetry.as_ref(), &spec.tolerance)?)
            }
            None => None,
        };
        Ok(Directions {
            sweeps: Sweeps::compile(&src, &spec.sweep, cx.statement)?,
            reason: spec.tolerance.budget_reason.clone(),
            context,
            strict: cx.statement.strict,
        })
    }

    /// Every constituent with its sorted values, the base value included.
    fn lines(&self, quick: bool) -> Result<Vec<(String, Vec<f64>)>> {
        let base = self.sweeps.base(quick)?;
        self.sweeps
            .sweep
            .iter()
            .map(|(k, values)| {
                let b = Sweeps::at_base(&base, k)?;
                let mut vals = values.clone();
                if !vals.iter().any(|v| (v - b).abs() <= 1e-12 * b.abs()) {
                    vals.push(b);
                }
                vals.sort_by(f64::total_cmp);
                Ok((k.clone(), vals))
            })
            .collect()
    }

    /// The paired steps of one constituent from its drawn cells (one per sorted value).
    fn steps(&self, stage: &Stage, name: &str, values: &[f64], drawn: &[Drawn]) -> Result<Vec<Step>> {
        let (quick, alpha) = (stage.quick, stage.alpha);
        let base = self.sweeps.base(quick)?;
        let mut steps = Vec::new();
        let mut prev: Option<(f64, f64, Vec<f64>)> = None;
        for (v, d) in values.iter().zip(drawn) {
            let g = self.sweeps.gamma(&Sweeps::env(&base, &[(name.to_string(), *v)]))?;
            let col = self.sweeps.column(d)?;
            if let Some((v0, g0, c0)) = &prev {
                // Claimed direction: the output falls where Gamma rises.
                let sign = -(g - g0).signum();
                let diff = Estimate::from_samples(&col.iter().zip(c0).map(|(a, b)| sign * (a - b)).collect::<Vec<_>>());
                let z = step_z(diff);
                steps.push(Step {
                    name: name.to_string(),
                    from: *v0,
                    to: *v,
                    improvement: diff,
                    z,
                    direction: direction(z, alpha, diff.dof()),
                });
            }
            prev = Some((*v, g, col));
        }
        Ok(steps)
    }

    /// A step as a compared point at {constituent: to, from: from}; z towards violation is -z; its
    /// resolution is the largest step against the claimed direction not excluded at `alpha` (negative
    /// when the claimed direction is shown).
    fn point(step: &Step, pass: bool, alpha: f64) -> PointOutcome {
        let against = Estimate { mean: -step.improvement.mean, ..step.improvement };
        let at = [(step.name.clone(), Coord::Num(step.to)), ("from".to_string(), Coord::Num(step.from))];
        PointOutcome {
            simulated: Some(step.improvement),
            residual: -step.improvement.mean,
            z: Some(-step.z),
            two_sided: false,
            p: against_p(step.z, step.improvement.dof()),
            pass,
            resolution: Some(excluded(against, Sense::AtMost, alpha, 1)),
            ..PointOutcome::at(at.into_iter().collect())
        }
    }
}

impl Method for Directions {
    fn plan(&self, precision: &Stage) -> Result<Vec<Cell>> {
        let mut cells = Vec::new();
        for (k, values) in self.lines(precision.quick)? {
            for v in values {
                cells.push(self.sweeps.cell(&[(k.clone(), v)], precision)?);
            }
        }
        if let Some(c) = &self.context {
            cells.extend(c.cells(precision)?);
        }
        Ok(cells)
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let mut steps = Vec::new();
        let mut at = 0;
        for (k, values) in self.lines(precision.quick)? {
            steps.extend(self.steps(precision, &k, &values, &drawn[at..])?);
            at += values.len();
        }
        let context = match &self.context {
            Some(c) => Some(Box::new(c.details(precision, &drawn[at..])?)),
            None => None,
        };
        let zs: Vec<(f64, f64)> = steps.iter().map(|s| (s.z, s.improvement.dof())).collect();
        let bad = against(&zs, precision.alpha);
        let fails = bad.iter().filter(|b| **b).count();
        let unshown = steps.iter().filter(|s| !shown(s.improvement, precision.alpha)).count();
        let verdict =
            if fails == 0 && self.strict && unshown > 0 { Verdict::Inconclusive } else { verdict(fails, steps.len()) };
        let points: Vec<PointOutcome> = steps
            .iter()
            .zip(bad)
            .map(|(s, b)| {
                Self::point(s, !b && (!self.strict || shown(s.improvement, precision.alpha)), precision.alpha)
            })
            .collect();
        let worst = points.iter().filter(|p| p.pass).filter_map(|p| p.resolution).reduce(f64::max);
        let resolution = worst.map(|abs| Resolution { abs, rel: None, required: None });
        let rule = Rule {
            kind: RuleKind::Holm,
            family_alpha: precision.alpha,
            family: points.len(),
            trials: self.sweeps.trials(precision.quick),
            resamples: None,
        };
        let details = Details::Directions(DirectionsDetails { output: self.sweeps.output.to_string(), steps, context });
        let finite_size = FiniteSize::NotApplicable { reason: self.reason.clone() };
        Ok(Decision { verdict: Some((verdict, None)), resolution, ..Decision::new(rule, points, finite_size, details) })
    }
}
