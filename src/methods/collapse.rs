//! `collapse`: is the simulated output y a function of the printed order parameter Gamma alone?
//!
//! One-at-a-time sweeps of the constituents around the base point (common random numbers,
//! [`super::order`]). (1) Exponents: a product form prod c_i^{e_i} is fitted by minimising the spread
//! of the mean outputs about one curve of ln Gamma (`fit`); each free exponent gets a
//! paired-bootstrap percentile interval at level alpha / (n - 1) (Bonferroni over the free
//! exponents) and fails when its printed value d ln Gamma / d ln c_i lies outside
//! ([`crate::decide::interval`]). (2) Transition: location and width of the drop of the smoothed
//! curve; it fails when the paired drop between the lowest and highest fitted Gamma is not
//! significant. (3) Scale audit: under the declared symmetry c_i -> s^{w_i} c_i the formula has
//! weight W ([`crate::formula::scaling`]); the output's change under s = 2 is simulated (paired) and
//! compared with curve(W ln 2) - curve(0), the change the printed Gamma predicts
//! ([`crate::decide::collapse`]).

mod fit;

use rand::SeedableRng;

use super::Context;
use super::order::{Env, Sweeps, check_symmetry, scaled};
use crate::decide::collapse::{invariant, scale_contradicts, scale_z, significant_drop};
use crate::decide::interval::{inside, per_interval};
use crate::engine::alpha::CLAIM_ALPHA;
use crate::engine::{Cell, Decision, Drawn, Method, Precision, Run, Stage, Worst};
use crate::error::{Error, Result};
use crate::formula::scaling::scaling_weight;
use crate::outcome::details::{CollapseDetails, Exponent, ScaleAudit, SweptPoint};
use crate::outcome::{Details, FiniteSize, PointOutcome, Rule, RuleKind, Verdict};
use crate::rng::{Rng, derive};
use crate::spec::{CollapseSpec, Level, Symmetry};
use crate::stats::{Estimate, normal_quantile};
pub use fit::{CollapseData, bootstrap_ci, transition};

/// Default bootstrap resamples, and their cap at the quick precision.
const BOOTSTRAP: usize = 200;
const QUICK_BOOTSTRAP: usize = 60;
/// Bootstrap resamples at higher precision ([`Collapse::with_precision_factor`]).
const PRECISE_BOOTSTRAP: usize = 1000;

/// A compiled collapse audit.
pub struct Collapse {
    sweeps: Sweeps,
    /// Index of the exponent held at its printed value.
    reference: usize,
    symmetry: Option<Vec<(String, f64)>>,
    bootstrap: usize,
    reason: Option<String>,
}

/// The simulated sweeps of a collapse audit, with their means.
struct Swept {
    base: Env,
    cols: Vec<Vec<f64>>,
    logs: Vec<Vec<f64>>,
    points: Vec<SweptPoint>,
}

impl Collapse {
    pub fn compile(spec: &CollapseSpec, cx: &Context) -> Result<Collapse> {
        let src = spec.simulated();
        let sweeps = Sweeps::compile(&src, &spec.sweep, cx.statement)?;
        Collapse::new(sweeps, &spec.reference, spec.symmetry.as_ref(), spec.bootstrap, &spec.tolerance)
    }

    /// A collapse audit of `sweeps` with `reference` held at its printed exponent (also the context
    /// of a `directions` check).
    pub fn new(
        sweeps: Sweeps,
        reference: &str,
        symmetry: Option<&Symmetry>,
        bootstrap: Option<usize>,
        tolerance: &Level,
    ) -> Result<Collapse> {
        let reference = sweeps
            .sweep
            .iter()
            .position(|(k, _)| k == reference)
            .ok_or_else(|| Error::input(format!("reference `{reference}` is not a swept constituent")))?;
        if let Some(s) = symmetry {
            check_symmetry(&sweeps.settings, &s.weights)?;
            for quick in [false, true] {
                sweeps.settings.resolve(&super::order::texts(&scaled(&sweeps.base(quick)?, &s.weights)?), quick)?;
            }
        }
        Ok(Collapse {
            sweeps,
            reference,
            symmetry: symmetry.map(|s| s.weights.clone()),
            bootstrap: bootstrap.unwrap_or(BOOTSTRAP),
            reason: tolerance.budget_reason.clone(),
        })
    }

    /// Higher precision: `factor` times the trials (at both precisions) and at least 1000 bootstrap
    /// resamples.
    pub fn with_precision_factor(mut self, factor: usize) -> Self {
        self.sweeps.scale_trials(factor);
        self.bootstrap = self.bootstrap.max(PRECISE_BOOTSTRAP);
        self
    }

    /// The swept constituents and the base point.
    pub fn sweeps(&self) -> &Sweeps {
        &self.sweeps
    }

    /// Mean output at the base point with `overrides` (common random numbers with the sweeps).
    pub fn mean_at(&self, run: &Run, overrides: &[(String, f64)]) -> Result<Estimate> {
        let cell = self.sweeps.cell(overrides, &run.precision())?;
        Ok(Estimate::from_samples(&run.sample(&cell)?.column(self.sweeps.output)?))
    }

    /// The collapse audit through the run's cache: fit, intervals, transition, scale audit and
    /// the failing parts.
    pub fn fit(&self, run: &Run) -> Result<CollapseDetails> {
        let stage = Stage::single(run.precision(), CLAIM_ALPHA);
        self.details(&stage, &run.draw(self.cells(&stage)?)?)
    }

    /// Resamples at a precision.
    fn draws(&self, quick: bool) -> usize {
        if quick { self.bootstrap.min(QUICK_BOOTSTRAP) } else { self.bootstrap }
    }

    /// The swept points, then the base point under the symmetry (if declared).
    pub fn cells(&self, precision: &Precision) -> Result<Vec<Cell>> {
        let base = self.sweeps.base(precision.quick)?;
        let mut cells =
            self.sweeps.points(&base)?.iter().map(|p| self.sweeps.cell(p, precision)).collect::<Result<Vec<_>>>()?;
        if let Some(w) = &self.symmetry {
            cells.push(self.sweeps.cell(&scaled(&base, w)?, precision)?);
        }
        Ok(cells)
    }

    /// The swept points' columns, log-coordinates and means from the drawn cells.
    fn swept(&self, quick: bool, drawn: &[Drawn]) -> Result<Swept> {
        let base = self.sweeps.base(quick)?;
        let mut s = Swept { cols: Vec::new(), logs: Vec::new(), points: Vec::new(), base: Env::new() };
        for (p, d) in self.sweeps.points(&base)?.into_iter().zip(drawn) {
            let col = self.sweeps.column(d)?;
            s.logs.push(self.sweeps.logs(&base, &p)?);
            let gamma = self.sweeps.gamma(&Sweeps::env(&base, &p))?;
            s.points.push(SweptPoint { at: p.into_iter().collect(), gamma, mean: Estimate::from_samples(&col) });
            s.cols.push(col);
        }
        s.base = base;
        Ok(s)
    }

    /// The fit data: kernel bandwidth h = |e_ref| (range of ln c_ref) / (2 (values - 1)), at least 1e-6.
    fn data(&self, s: &Swept, printed: Vec<f64>) -> Result<CollapseData> {
        let (name, values) = &self.sweeps.sweep[self.reference];
        let ref_logs: Vec<f64> =
            values.iter().copied().chain([Sweeps::at_base(&s.base, name)?]).map(|v: f64| v.ln()).collect();
        let range = ref_logs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - ref_logs.iter().copied().fold(f64::INFINITY, f64::min);
        let bandwidth = (printed[self.reference].abs() * range / (2.0 * (ref_logs.len() - 1).max(1) as f64)).max(1e-6);
        let values = s.cols.iter().map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
        Ok(CollapseData { logs: s.logs.clone(), values, printed, reference: self.reference, bandwidth })
    }

    /// Statistics and decisions of the audit from the drawn cells (in the order of [`Collapse::cells`]).
    pub fn details(&self, precision: &Stage, drawn: &[Drawn]) -> Result<CollapseDetails> {
        let s = self.swept(precision.quick, drawn)?;
        let printed = self.sweeps.printed_exponents(&s.base)?;
        let data = self.data(&s, printed.clone())?;
        let (fitted, spread_fitted) = data.fit(&data.values)?;
        let level = per_interval(precision.alpha, self.sweeps.sweep.len() - 1);
        let mut rng = Rng::seed_from_u64(derive(precision.seed, &[0xB007]));
        let cols: Vec<&[f64]> = s.cols.iter().map(Vec::as_slice).collect();
        let ci = bootstrap_ci(&data, &fitted, &cols, self.draws(precision.quick), level, &mut rng)?;
        let x = data.positions(&fitted);
        let (lo, hi) =
            (0..x.len()).fold((0, 0), |(a, b), k| (if x[k] < x[a] { k } else { a }, if x[k] > x[b] { k } else { b }));
        let drop = Estimate::paired(&s.cols[hi], &s.cols[lo]);
        let scale = match (&self.symmetry, drawn.get(s.cols.len())) {
            (Some(w), Some(d)) => Some(self.scale(w, &s, &self.sweeps.column(d)?, &data, precision.alpha)?),
            _ => None,
        };
        let exponents = (0..printed.len())
            .map(|i| Exponent {
                name: self.sweeps.sweep[i].0.clone(),
                printed: printed[i],
                fitted: fitted[i],
                ci: ci[i],
                fixed: i == self.reference,
            })
            .collect();
        let mut d = CollapseDetails {
            exponents,
            spread_fitted,
            spread_printed: data.spread(&printed, &data.values),
            gamma_base: self.sweeps.gamma(&s.base)?,
            transition: transition(&data, &fitted),
            printed_location: transition(&data, &data.printed).map(|t| t.location),
            drop,
            drop_significant: significant_drop(drop, precision.alpha),
            scale,
            points: s.points,
            fails_on: Vec::new(),
        };
        d.fails_on = fails_on(&d);
        Ok(d)
    }

    /// The scale audit: weight W of the formula under the symmetry, the simulated paired change of
    /// the output at the base point and the change curve(W ln 2) - curve(0) the printed Gamma predicts.
    fn scale(
        &self,
        weights: &[(String, f64)],
        s: &Swept,
        col: &[f64],
        data: &CollapseData,
        alpha: f64,
    ) -> Result<ScaleAudit> {
        let formula = &self.sweeps.formula;
        let in_formula: Vec<(String, f64)> =
            weights.iter().filter(|(k, _)| formula.variables().contains(k)).cloned().collect();
        let at = formula.variables().iter().map(|v| Sweeps::at_base(&s.base, v)).collect::<Result<Vec<f64>>>()?;
        let weight =
            if in_formula.is_empty() { Some(0.0) } else { scaling_weight(formula, &in_formula, &[at])?.weight };
        let base_col = &s.cols[0];
        let change = Estimate::paired(base_col, col);
        let predicted = match weight {
            Some(w) if w != 0.0 => {
                let c = data.curve(&data.printed, &[0.0, w * super::order::SYMMETRY_FACTOR.ln()]);
                c[1] - c[0]
            }
            Some(_) => 0.0,
            None => f64::NAN,
        };
        let z = scale_z(change, Estimate::from_samples(base_col).se, predicted);
        Ok(ScaleAudit {
            symmetry: weights.to_vec(),
            weight,
            change,
            predicted,
            z,
            invariant: invariant(change, alpha),
            contradicts: scale_contradicts(change, predicted, z, alpha),
        })
    }

    /// One point per exponent: the printed value against its interval (the reference passes).
    fn exponent_points(d: &CollapseDetails, alpha: f64) -> Vec<PointOutcome> {
        let z = normal_quantile(1.0 - alpha / 2.0);
        d.exponents.iter().map(|e| PointOutcome::exponent(&e.name, e.printed, e.fitted, e.ci, z, passes(e))).collect()
    }

    /// The decision of an audit: refuted when any part fails.
    pub fn decision(&self, precision: &Stage, d: CollapseDetails) -> Decision {
        let verdict = if d.fails_on.is_empty() { Verdict::Holds } else { Verdict::Refuted };
        let rule = Rule {
            kind: RuleKind::BootstrapInterval,
            family_alpha: precision.alpha,
            family: self.sweeps.sweep.len() - 1,
            trials: self.sweeps.trials(precision.quick),
            resamples: Some(self.draws(precision.quick)),
        };
        Decision {
            verdict: Some((verdict, None)),
            worst: Worst::FirstFailing,
            ..Decision::new(
                rule,
                Self::exponent_points(&d, precision.alpha),
                FiniteSize::NotApplicable { reason: self.reason.clone() },
                Details::Collapse(d),
            )
        }
    }
}

/// Whether an exponent passes: held fixed, or printed inside its interval.
fn passes(e: &Exponent) -> bool {
    e.fixed || inside(e.printed, e.ci, 0.0)
}

/// The failing parts: exponents outside their intervals, "transition", "scale".
fn fails_on(d: &CollapseDetails) -> Vec<String> {
    let mut bad: Vec<String> = d.exponents.iter().filter(|e| !passes(e)).map(|e| e.name.clone()).collect();
    if !d.drop_significant {
        bad.push("transition".into());
    }
    if d.scale.as_ref().is_some_and(|s| s.contradicts) {
        bad.push("scale".into());
    }
    bad
}

impl Method for Collapse {
    fn plan(&self, precision: &Stage) -> Result<Vec<Cell>> {
        self.cells(precision)
    }

    fn decide(&self, precision: &Stage, drawn: &[Drawn]) -> Result<Decision> {
        Ok(self.decision(precision, self.details(precision, drawn)?))
    }
}
