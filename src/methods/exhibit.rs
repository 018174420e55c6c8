//! `exhibit`: two cases with equal value of a key quantity (the claim's formula, e.g. a dataset
//! distance) can have outputs of opposite sign. The rule ([`crate::decide::exhibit`]): within one
//! group of grid points of equal key, a point with the output significantly positive and one
//! significantly negative, each at the one-sided Bonferroni level alpha / (number of points). Holds
//! when such a pair is exhibited; refuted when every group is shown one-signed
//! ([`crate::decide::exhibit::one_signed`]); inconclusive otherwise.

use super::Context;
use crate::decide::exhibit::{exhibit, key_groups, one_signed, z_of};
use crate::engine::plan::{Point, Settings, grid_points, output_of};
use crate::engine::{Cell, Decision, Drawn, Method, Stage, Worst};
use crate::error::Result;
use crate::formula::Formula;
use crate::outcome::details::ExhibitDetails;
use crate::outcome::{Details, FiniteSize, PointOutcome, Rule, RuleKind, Verdict, coords};
use crate::rng::derive;
use crate::spec::ExhibitSpec;
use crate::stats::{Estimate, normal_quantile, normal_sf};

/// A compiled exhibit check.
pub struct Exhibit {
    settings: Settings,
    stream: u64,
    output: &'static str,
    key: Formula,
    points: Vec<Point>,
    spec: ExhibitSpec,
}

impl Exhibit {
    pub fn compile(spec: &ExhibitSpec, cx: &Context) -> Result<Exhibit> {
        let settings = Settings::new(&spec.observable, &spec.settings, &spec.quick)?;
        let key = match &spec.formula {
            Some(f) => Formula::parse(f)?,
            None => cx.statement.formula.clone(),
        };
        let check = Exhibit {
            output: output_of(settings.observable(), spec.output.as_deref())?,
            points: grid_points(&spec.grid)?,
            settings,
            stream: cx.stream(),
            key,
            spec: spec.clone(),
        };
        // Every point must resolve at both precisions, and the key evaluate there: fail at load time.
        for quick in [false, true] {
            for cell in check.cells(quick, 0)? {
                check.key_at(&cell)?;
            }
        }
        Ok(check)
    }

    /// One cell per point, seeded by derive(derive(seed, [stream]), [i]).
    fn cells(&self, quick: bool, seed: u64) -> Result<Vec<Cell>> {
        let base = derive(seed, &[self.stream]);
        let trials = self.spec.trials_at(quick);
        let cells = self.points.iter().enumerate();
        cells.map(|(i, p)| self.settings.cell(p, quick, trials, derive(base, &[i as u64]))).collect()
    }

    /// The key at a cell's parameters.
    fn key_at(&self, cell: &Cell) -> Result<f64> {
        let env = cell.params.numbers();
        Ok(self.key.eval(|x| env.get(x).copied())?)
    }

    /// A point's outcome: its output's estimate against zero (two-sided p), its key as the claimed value.
    fn point(&self, point: &Point, drawn: &Drawn) -> Result<(PointOutcome, f64)> {
        let key = self.key_at(&drawn.cell)?;
        let est = Estimate::from_samples(&drawn.column(self.output)?);
        let z = z_of(est);
        let outcome = PointOutcome {
            claimed: Some(key),
            simulated: Some(est),
            residual: est.mean,
            z: est.se.gt(&0.0).then_some(z),
            two_sided: true,
            p: 2.0 * normal_sf(z.abs()),
            undefined: !key.is_finite(),
            ..PointOutcome::at(coords(point))
        };
        Ok((outcome, key))
    }
}

impl Method for Exhibit {
    fn plan(&self, precision: &Stage) -> Result<Vec<Cell>> {
        self.cells(precision.quick, precision.seed)
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        let alpha = precision.alpha;
        let n = self.points.len();
        let z_crit = -normal_quantile(alpha / n as f64);
        let (mut points, keys): (Vec<PointOutcome>, Vec<f64>) = self
            .points
            .iter()
            .zip(drawn)
            .map(|(p, d)| self.point(p, d))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        let groups = key_groups(&keys);
        let zs: Vec<f64> = points.iter().map(|p| p.simulated.map_or(f64::NAN, z_of)).collect();
        let pair = exhibit(&zs, &groups, z_crit);
        if pair.is_none() {
            points.iter_mut().for_each(|p| p.pass = false);
        }
        let verdict = if pair.is_some() {
            Verdict::Holds
        } else if one_signed(&zs, &groups, normal_quantile(1.0 - alpha / 2.0)) {
            Verdict::Refuted
        } else {
            Verdict::Inconclusive
        };
        let rule = Rule {
            kind: RuleKind::Bonferroni,
            family_alpha: alpha,
            family: n,
            trials: self.spec.trials_at(precision.quick),
            resamples: None,
        };
        let details = Details::Exhibit(ExhibitDetails {
            output: self.output.to_string(),
            key: self.key.to_string(),
            keys,
            z_critical: z_crit,
            groups: groups.len(),
            pair,
        });
        let finite_size = FiniteSize::NotApplicable { reason: self.spec.tolerance.budget_reason.clone() };
        Ok(Decision {
            verdict: Some((verdict, None)),
            worst: Worst::At(pair.map(|(_, negative)| negative)),
            ..Decision::new(rule, points, finite_size, details)
        })
    }
}
