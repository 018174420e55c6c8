//! `exists`: the simulated output exceeds the claim's constant bound somewhere on a grid
//! (claim relation `exceeds_somewhere`).
//!
//! Every grid point is simulated with common random numbers ([`super::order::column_seed`]); the
//! one-sided test of mean > bound at each point, Holm over the grid, marks the significant points and
//! the claim holds when at least one is significant ([`crate::decide::exists`]). With a declared
//! symmetry, the paired change of the output under x -> 2x is reported at the point of largest z: a
//! follow-up cell, planned once the first samples name that point.
//!
//! With at least 32 trials the check is sequential ([`crate::engine::stage`]): it looks at 1/4, 1/2
//! and all of its trials, each look at alpha / 3, and stops at the first look that holds or refutes.
//! The significant points then map the region as far as that look resolves it.

use super::Context;
use super::order::{column_seed, scaled, texts};
use crate::decide::exists::{exceedance_p, exceedance_z, significant, verdict};
use crate::decide::regime::classify_thresholds;
use crate::engine::plan::{Point, Settings, grid_points, output_of};
use crate::engine::stage::{LOOKS, MIN_STAGE_TRIALS};
use crate::engine::{Cell, Decision, Drawn, Method, Precision, Stage, Worst};
use crate::error::{Error, Result};
use crate::outcome::details::{ExistsDetails, Invariance};
use crate::outcome::{Coords, Details, FiniteSize, PointOutcome, Rule, RuleKind, Verdict, coords};
use crate::spec::{ExistsSpec, Relation};
use crate::stats::{Estimate, student_quantile};

/// A compiled existence check.
pub struct Exists {
    settings: Settings,
    output: &'static str,
    points: Vec<Point>,
    bound: f64,
    symmetry: Option<Vec<(String, f64)>>,
    trials: usize,
    quick_trials: usize,
    reason: Option<String>,
}

impl Exists {
    pub fn compile(spec: &ExistsSpec, cx: &Context) -> Result<Exists> {
        let st = cx.statement;
        if st.relation != Relation::ExceedsSomewhere {
            return Err(Error::input("an exists check needs claim.relation = \"exceeds_somewhere\""));
        }
        let settings = Settings::new(&spec.observable, &spec.settings, &spec.quick)?;
        let output = output_of(settings.observable(), spec.output.as_deref())?;
        if st.formula.variables() != [output.to_string()] || st.formula.text().trim() != output {
            return Err(Error::input(format!(
                "an exists check compares the output itself: claim.formula must be `{output}`"
            )));
        }
        let bound = st
            .bound
            .as_ref()
            .ok_or_else(|| Error::input("an exists check needs claim.bound"))?
            .eval(|_| None)
            .map_err(|e| Error::input(format!("claim.bound must be a constant: {e}")))?;
        let symmetry = spec.symmetry.as_ref().map(|s| s.weights.clone());
        if let Some(w) = &symmetry {
            super::order::check_symmetry(&settings, w)?;
        }
        let check = Exists {
            points: grid_points(&spec.grid)?,
            settings,
            output,
            bound,
            symmetry,
            trials: spec.trials,
            quick_trials: spec.trials_at(true),
            reason: spec.tolerance.budget_reason.clone(),
        };
        for quick in [false, true] {
            for p in &check.points {
                check.settings.resolve(p, quick)?;
            }
        }
        Ok(check)
    }

    fn trials(&self, quick: bool) -> usize {
        if quick { self.quick_trials } else { self.trials }
    }

    /// A grid point's cell with the trials of this look.
    fn cell(&self, point: &[(String, String)], stage: &Stage) -> Result<Cell> {
        let seed = column_seed(stage.seed, self.settings.observable().name());
        self.settings.cell(point, stage.quick, stage.trials(self.trials(stage.quick)), seed)
    }

    /// The mean output at every grid point, and its z against the bound.
    fn estimates(&self, drawn: &[Drawn]) -> Result<Vec<(Estimate, f64)>> {
        drawn
            .iter()
            .take(self.points.len())
            .map(|d| {
                let e = Estimate::from_samples(&d.column(self.output)?);
                Ok((e, exceedance_z(e, self.bound)))
            })
            .collect()
    }

    /// The grid point of largest z (the last of equal ones).
    fn best(estimates: &[(Estimate, f64)]) -> Option<usize> {
        estimates.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1)).map(|(i, _)| i)
    }

    fn point(&self, at: Coords, e: Estimate, z: f64, pass: bool) -> PointOutcome {
        PointOutcome {
            claimed: Some(self.bound),
            simulated: Some(e),
            residual: e.mean - self.bound,
            z: Some(z),
            two_sided: false,
            p: exceedance_p(z, e.dof()),
            pass,
            ..PointOutcome::at(at)
        }
    }
}

impl Method for Exists {
    fn plan(&self, stage: &Stage) -> Result<Vec<Cell>> {
        self.points.iter().map(|p| self.cell(p, stage)).collect()
    }

    /// Sequential when the trials allow: a look stops the check once some point is significant
    /// (holds) or every point is significantly at or below the bound (refuted).
    fn looks(&self, precision: &Precision) -> usize {
        if self.trials(precision.quick) >= 4 * MIN_STAGE_TRIALS { LOOKS } else { 1 }
    }

    /// The base point under the symmetry (factor 2) at the grid point of largest z.
    fn follow_up(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Vec<Cell>> {
        let (Some(w), Some(i)) = (&self.symmetry, Self::best(&self.estimates(drawn)?)) else {
            return Ok(Vec::new());
        };
        let env = self.settings.resolve(&self.points[i], precision.quick)?.numbers();
        let at: Point = self.points[i].iter().cloned().chain(texts(&scaled(&env, w)?)).collect();
        Ok(vec![self.cell(&at, precision)?])
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let estimates = self.estimates(drawn)?;
        let zs: Vec<(f64, f64)> = estimates.iter().map(|(e, z)| (*z, e.dof())).collect();
        let flags = significant(&zs, precision.alpha);
        let points: Vec<PointOutcome> = self
            .points
            .iter()
            .zip(&estimates)
            .zip(&flags)
            .map(|((p, (e, z)), s)| self.point(coords(p), *e, *z, *s))
            .collect();
        let best = Self::best(&estimates);
        let invariance = match (&self.symmetry, best, drawn.get(self.points.len())) {
            (Some(w), Some(i), Some(d)) => Some(Invariance {
                scaled: w.iter().map(|(n, _)| n.clone()).collect(),
                change: Estimate::paired(&drawn[i].column(self.output)?, &d.column(self.output)?),
            }),
            _ => None,
        };
        let k = flags.iter().filter(|s| **s).count();
        let region = (k > 0 && k < points.len())
            .then(|| {
                let marks: Vec<(Coords, bool)> = points.iter().map(|p| (p.at.clone(), !p.pass)).collect();
                classify_thresholds(&marks).1
            })
            .flatten();
        let details = Details::Exists(ExistsDetails {
            output: self.output.to_string(),
            bound: self.bound,
            significant: k,
            best,
            z_interval: best.map_or(f64::NAN, |i| student_quantile(1.0 - precision.alpha / 2.0, estimates[i].0.dof())),
            invariance,
            region,
        });
        let rule = Rule {
            kind: RuleKind::Holm,
            family_alpha: precision.alpha,
            family: points.len(),
            trials: precision.trials(self.trials(precision.quick)),
            resamples: None,
        };
        let finite_size = FiniteSize::NotApplicable { reason: self.reason.clone() };
        let verdict = verdict(&flags, &zs, precision.alpha);
        Ok(Decision {
            settled: verdict != Verdict::Inconclusive,
            verdict: Some((verdict, None)),
            worst: Worst::At(best),
            ..Decision::new(rule, points, finite_size, details)
        })
    }
}
