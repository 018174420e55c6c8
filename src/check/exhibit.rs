//! Exhibit check: a claim that two cases with equal value of a key quantity (the claim's formula,
//! e.g. a dataset distance) can have outputs of opposite sign. Holds when the simulation exhibits
//! such a pair: within one group of grid points of equal key (relative difference < 1e-6, so keys
//! may be given to 7 digits), one
//! point with the output significantly positive and one significantly negative, each at the
//! Bonferroni level family_alpha / (number of points); refuted when no group has such a pair.

use std::collections::BTreeMap;

use super::boundary::{assignments, grid_points, output_of};
use super::point_json;
use super::{Check, CheckReport, PointReport, RunContext, Verdict, fmt_num, fmt_point};
use crate::error::{Error, Result};
use crate::formula::Formula;
use crate::observable::{Observable, find, simulate};
use crate::rng::{derive, derive_label};
use crate::stats::{normal_quantile, normal_sf};
use crate::theorem::{CheckSpec, Statement, ToleranceSpec};

/// A compiled exhibit check.
pub struct ExhibitCheck {
    spec: CheckSpec,
    stream: u64,
    observable: &'static dyn Observable,
    output: &'static str,
    key: Formula,
    tolerance: ToleranceSpec,
}

impl ExhibitCheck {
    pub fn compile(claim_id: &str, index: usize, spec: &CheckSpec, st: &Statement) -> Result<ExhibitCheck> {
        let name = spec.observable.as_deref().ok_or_else(|| Error::input("an exhibit check needs `observable`"))?;
        let observable = find(name)?;
        let key = match &spec.formula {
            Some(f) => Formula::parse(f)?,
            None => st.formula.clone(),
        };
        spec.trials.filter(|t| *t > 0).ok_or_else(|| Error::input("an exhibit check needs `trials` >= 1"))?;
        let check = ExhibitCheck {
            spec: spec.clone(),
            stream: derive_label(index as u64, claim_id),
            observable,
            output: output_of(observable, spec)?,
            key,
            tolerance: spec
                .tolerance
                .clone()
                .ok_or_else(|| Error::input("an exhibit check needs [check.tolerance]"))?,
        };
        for quick in [false, true] {
            for p in grid_points(spec)? {
                observable.resolve(&assignments(spec, &p, quick)?)?;
            }
        }
        Ok(check)
    }

    fn trials_per_point(&self, quick: bool) -> usize {
        let t = self.spec.trials.unwrap_or(1);
        if quick { self.spec.quick.trials.unwrap_or(t) } else { t }
    }
}

impl Check for ExhibitCheck {
    fn describe(&self) -> String {
        self.spec.describe.clone()
    }

    fn trials(&self, ctx: &RunContext) -> u64 {
        (grid_points(&self.spec).map_or(0, |p| p.len()) * self.trials_per_point(ctx.quick)) as u64
    }

    fn run(&self, ctx: &RunContext) -> Result<CheckReport> {
        let base = derive(ctx.seed, &[self.stream]);
        let trials = self.trials_per_point(ctx.quick);
        let points = grid_points(&self.spec)?;
        let level = self.tolerance.family_alpha / points.len() as f64;
        let z_crit = -normal_quantile(level);
        let mut reports = Vec::new();
        let mut keys = Vec::new();
        for (i, point) in points.iter().enumerate() {
            let params = self.observable.resolve(&assignments(&self.spec, point, ctx.quick)?)?;
            let env = params.numbers();
            let key = self.key.eval(|x| env.get(x).copied())?;
            let est = simulate(self.observable, &params, trials, derive(base, &[i as u64]), ctx.progress.as_ref())?
                .estimate(self.output)?;
            let z = if est.se > 0.0 { est.mean / est.se } else { est.mean.signum() * f64::INFINITY };
            reports.push(PointReport {
                at: point_json(point),
                claimed: Some(key),
                simulated: Some(est),
                residual: est.mean,
                budget: 0.0,
                z: est.se.gt(&0.0).then_some(z),
                two_sided: true,
                p: 2.0 * normal_sf(z.abs()),
                pass: true,
                undefined: !key.is_finite(),
                sizes: Vec::new(),
            });
            keys.push(key);
        }
        // Groups of equal key; a group exhibits the claim if it has a significant + and - point.
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..keys.len() {
            let g = (0..=i).find(|&j| (keys[j] - keys[i]).abs() <= 1e-6 * keys[i].abs().max(1e-300)).unwrap_or(i);
            groups.entry(g).or_default().push(i);
        }
        let z_of = |i: usize| reports[i].z.unwrap_or(reports[i].residual.signum() * f64::INFINITY);
        let mut found = None;
        for members in groups.values() {
            let pos =
                members.iter().copied().filter(|&i| z_of(i) > z_crit).max_by(|&a, &b| z_of(a).total_cmp(&z_of(b)));
            let neg =
                members.iter().copied().filter(|&i| z_of(i) < -z_crit).min_by(|&a, &b| z_of(a).total_cmp(&z_of(b)));
            if let (Some(p), Some(n)) = (pos, neg) {
                found = Some((p, n));
                break;
            }
        }
        let describe = |i: usize| {
            let r = &reports[i];
            format!(
                "{} ({} = {}, key {}, z {:.1})",
                fmt_point(&r.at),
                self.output,
                fmt_num(r.residual),
                fmt_num(keys[i]),
                z_of(i)
            )
        };
        let (verdict, evidence) = match found {
            Some((p, n)) => (
                Verdict::Holds,
                format!(
                    "exhibited at equal key `{}`: {} and {} (each beyond z {z_crit:.2}, Bonferroni over {} points at family alpha {}, {trials} trials per point)",
                    self.key,
                    describe(p),
                    describe(n),
                    points.len(),
                    self.tolerance.family_alpha
                ),
            ),
            None => {
                for r in &mut reports {
                    r.pass = false;
                }
                (
                    Verdict::Refuted,
                    format!(
                        "no group of equal key `{}` has outputs of significantly opposite signs among {} points ({} groups)",
                        self.key,
                        points.len(),
                        groups.len()
                    ),
                )
            }
        };
        let worst = found.map(|(_, n)| reports[n].clone());
        let failures = reports.iter().map(|r| !r.pass).collect();
        Ok(CheckReport {
            method: "exhibit".into(),
            describe: self.spec.describe.clone(),
            verdict,
            evidence,
            worst,
            points: reports,
            failures,
        })
    }
}
