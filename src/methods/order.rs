//! Pieces shared by the order-parameter methods (`collapse`, `directions`, `power_law`, `exists`).
//!
//! A claimed order parameter Gamma(c_1, ..., c_n) is audited by one-at-a-time sweeps: around the
//! base point (the check's `settings`), each swept constituent c_i takes its listed values while the
//! others stay put. Its printed local exponent is e_i = d ln Gamma / d ln c_i, measured at the base
//! point as log2(Gamma(2 c_i) / Gamma(c_i)) (exact for a product form).
//!
//! Common random numbers: every cell of an observable is seeded by derive_label(run seed, observable
//! name) only, so trial t uses the same random numbers at every point and in every check of that
//! observable (paired differences; the run cache simulates a point shared by two checks once).
//!
//! Finite size ([`Sizes`]): a check may declare a size map lambda -> {c_i lambda^{w_i}} that moves
//! the model towards the claim's asymptotic regime as lambda grows. The whole design (base point and
//! swept values) is simulated at each declared size; each exponent e(lambda) is extrapolated as
//! e_inf + c lambda^-q (least squares over the sizes) and e_inf is compared with the printed value.

use std::collections::BTreeMap;

use crate::decide::interval::{inside, not_excluded};
use crate::engine::plan::{Settings, output_of};
use crate::engine::{Cell, Drawn, Precision};
use crate::error::{Error, Result};
use crate::formula::Formula;
use crate::outcome::details::Exponent;
use crate::outcome::{FiniteSize, PointOutcome, Resolution};
use crate::rng::derive_label;
use crate::spec::check::Simulated;
use crate::spec::{Relation, SizeScaling};
use crate::statement::Statement;

/// Seed of every cell of `observable` in a run with base seed `seed` (common random numbers).
pub fn column_seed(seed: u64, observable: &str) -> u64 {
    derive_label(seed, observable)
}

/// Numeric parameters of a point, by name.
pub type Env = BTreeMap<String, f64>;

/// One-at-a-time sweeps of the constituents of a printed order parameter around a base point.
pub struct Sweeps {
    pub settings: Settings,
    pub output: &'static str,
    pub formula: Formula,
    /// Swept constituents (in name order) with their values.
    pub sweep: Vec<(String, Vec<f64>)>,
    trials: usize,
    quick_trials: usize,
    sizes: Option<Sizes>,
}

/// A compiled size map of a finite-size extrapolation.
pub struct Sizes {
    weights: Vec<(String, f64)>,
    sizes: Vec<f64>,
    quick_sizes: Vec<f64>,
    order: f64,
    reason: String,
}

impl Sizes {
    fn compile(spec: &SizeScaling) -> Sizes {
        Sizes {
            weights: spec.scale.weights.clone(),
            sizes: spec.sizes(false).to_vec(),
            quick_sizes: spec.sizes(true).to_vec(),
            order: spec.order,
            reason: spec.reason.clone(),
        }
    }
}

/// Weights a_s of the least-squares intercept of e(lambda_s) = e_inf + c lambda_s^-q:
/// e_inf = sum_s a_s e(lambda_s) (one size: a = \[1\]).
pub fn extrapolation_weights(sizes: &[f64], order: f64) -> Vec<f64> {
    let x: Vec<f64> = sizes.iter().map(|l| l.powf(-order)).collect();
    let k = x.len() as f64;
    let mean = x.iter().sum::<f64>() / k;
    let sxx: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    x.iter().map(|v| if sxx > 0.0 { 1.0 / k - mean * (v - mean) / sxx } else { 1.0 / k }).collect()
}

impl Sweeps {
    /// Sweeps of `sweep` for the claim's formula, which must be an order parameter over the
    /// observable's parameters; every swept point must resolve at both precisions.
    pub fn compile(src: &Simulated, sweep: &BTreeMap<String, Vec<f64>>, st: &Statement) -> Result<Sweeps> {
        if st.relation != Relation::OrderParameter {
            return Err(Error::input("collapse and directions checks need claim.relation = \"order_parameter\""));
        }
        let settings = Settings::new(src.observable, src.settings, src.quick)?;
        let observable = settings.observable();
        let formula = st.formula.clone();
        for v in formula.variables() {
            if !observable.params().iter().any(|p| p.name == v) {
                return Err(Error::input(format!(
                    "formula variable `{v}` is not a parameter of {}",
                    observable.name()
                )));
            }
        }
        if let Some(k) = sweep.keys().find(|k| !formula.variables().contains(*k)) {
            return Err(Error::input(format!("sweep.{k}: `{k}` does not occur in the formula")));
        }
        let sweeps = Sweeps {
            output: output_of(observable, src.output)?,
            settings,
            formula,
            sweep: sweep.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            trials: src.trials,
            quick_trials: src.quick.trials.unwrap_or(src.trials),
            sizes: None,
        };
        sweeps.validate()?;
        Ok(sweeps)
    }

    /// The sweeps with a finite-size extrapolation over `spec` (none: a single size).
    pub fn with_sizes(mut self, spec: Option<&SizeScaling>) -> Result<Sweeps> {
        if let Some(spec) = spec {
            check_symmetry(&self.settings, &spec.scale.weights)
                .map_err(|e| Error::input(format!("finite_size.scale: {e}")))?;
            self.sizes = Some(Sizes::compile(spec));
            self.validate()?;
        }
        Ok(self)
    }

    /// Every point at every size resolves at both precisions.
    fn validate(&self) -> Result<()> {
        for quick in [false, true] {
            let base = self.base(quick)?;
            for size in self.sizes(quick) {
                for p in self.points(&base)? {
                    self.settings.resolve(&texts(&self.sized(&base, &p, size)?), quick)?;
                }
            }
        }
        Ok(())
    }

    /// The sizes at a precision (\[1\] without a finite-size extrapolation).
    pub fn sizes(&self, quick: bool) -> Vec<f64> {
        match &self.sizes {
            Some(s) if quick => s.quick_sizes.clone(),
            Some(s) => s.sizes.clone(),
            None => vec![1.0],
        }
    }

    /// Weights of the extrapolation to infinite size over the sizes at a precision.
    pub fn extrapolation(&self, quick: bool) -> Vec<f64> {
        extrapolation_weights(&self.sizes(quick), self.sizes.as_ref().map_or(1.0, |s| s.order))
    }

    /// How finite size is handled: extrapolated in lambda^q over the sizes, or the check's reason.
    pub fn finite_size(&self, quick: bool, reason: Option<String>) -> FiniteSize {
        match &self.sizes {
            Some(s) => {
                let param = format!("lambda^{}", s.order);
                FiniteSize::Extrapolated {
                    model: format!("a + c/{param}"),
                    param,
                    sizes: self.sizes(quick).iter().map(|l| l.powf(s.order)).collect(),
                    model_error: None,
                    reason: None,
                }
            }
            None => FiniteSize::NotApplicable { reason },
        }
    }

    /// The size map and its reason, as one line (None without one).
    pub fn size_map(&self) -> Option<String> {
        self.sizes.as_ref().map(|s| {
            let w: Vec<String> = s.weights.iter().map(|(k, w)| format!("{k} x lambda^{w}")).collect();
            format!("size map {} (lambda = 1: the declared settings); {}", w.join(", "), s.reason)
        })
    }

    /// The overrides of a point at size `size`: every parameter of the size map (the point's value,
    /// else the base value) times size^w.
    pub fn sized(&self, base: &Env, overrides: &[(String, f64)], size: f64) -> Result<Vec<(String, f64)>> {
        let mut out = overrides.to_vec();
        if let Some(s) = &self.sizes {
            for (k, w) in &s.weights {
                let v = match overrides.iter().find(|(o, _)| o == k) {
                    Some((_, v)) => *v,
                    None => Self::at_base(base, k)?,
                };
                out.retain(|(o, _)| o != k);
                out.push((k.clone(), v * size.powf(*w)));
            }
        }
        Ok(out)
    }

    /// `factor` times the trials at both precisions.
    pub fn scale_trials(&mut self, factor: usize) {
        self.trials *= factor;
        self.quick_trials *= factor;
    }

    /// Trials per point at a precision.
    pub fn trials(&self, quick: bool) -> usize {
        if quick { self.quick_trials } else { self.trials }
    }

    /// Numeric parameters at the base point.
    pub fn base(&self, quick: bool) -> Result<Env> {
        Ok(self.settings.resolve(&[], quick)?.numbers())
    }

    /// The printed Gamma at `env`.
    pub fn gamma(&self, env: &Env) -> Result<f64> {
        Ok(self.formula.eval(|x| env.get(x).copied())?)
    }

    /// The base value of a parameter (an error names it when it is not numeric).
    pub fn at_base(base: &Env, name: &str) -> Result<f64> {
        base.get(name).copied().ok_or_else(|| Error::input(format!("`{name}` has no numeric value at the base point")))
    }

    /// The swept points: the base, then every sweep value that differs from the base value.
    pub fn points(&self, base: &Env) -> Result<Vec<Vec<(String, f64)>>> {
        let mut pts = vec![Vec::new()];
        for (k, values) in &self.sweep {
            let b = Self::at_base(base, k)?;
            pts.extend(values.iter().filter(|v| (*v - b).abs() > 1e-12 * b.abs()).map(|v| vec![(k.clone(), *v)]));
        }
        Ok(pts)
    }

    /// The base point with `overrides`.
    pub fn env(base: &Env, overrides: &[(String, f64)]) -> Env {
        let mut env = base.clone();
        env.extend(overrides.iter().cloned());
        env
    }

    /// ln(c_i / c_i,base) of every swept constituent at the base point with `overrides`.
    pub fn logs(&self, base: &Env, overrides: &[(String, f64)]) -> Result<Vec<f64>> {
        let env = Self::env(base, overrides);
        self.sweep.iter().map(|(k, _)| Ok((Self::at_base(&env, k)? / Self::at_base(base, k)?).ln())).collect()
    }

    /// ln(Gamma(p) / Gamma(base)) of the printed formula at every point p (overrides of `base`).
    pub fn log_gamma_ratios(&self, base: &Env, points: &[Vec<(String, f64)>]) -> Result<Vec<f64>> {
        let g0 = self.gamma(base)?;
        points
            .iter()
            .map(|p| {
                let r = (self.gamma(&Self::env(base, p))? / g0).ln();
                if r.is_finite() {
                    Ok(r)
                } else {
                    Err(Error::numerical(format!("the formula is zero or undefined at {p:?} or at the base point")))
                }
            })
            .collect()
    }

    /// The cell at the base point with `overrides` (common random numbers).
    pub fn cell(&self, overrides: &[(String, f64)], precision: &Precision) -> Result<Cell> {
        let seed = column_seed(precision.seed, self.settings.observable().name());
        self.settings.cell(&texts(overrides), precision.quick, self.trials(precision.quick), seed)
    }

    /// The cell of a point (overrides of the base point) at size `size`.
    pub fn sized_cell(&self, overrides: &[(String, f64)], precision: &Precision, size: f64) -> Result<Cell> {
        let base = self.base(precision.quick)?;
        self.cell(&self.sized(&base, overrides, size)?, precision)
    }

    /// Every swept point (base first) at every size, size by size.
    pub fn sized_cells(&self, precision: &Precision) -> Result<Vec<Cell>> {
        let base = self.base(precision.quick)?;
        let mut cells = Vec::new();
        for size in self.sizes(precision.quick) {
            for p in self.points(&base)? {
                cells.push(self.sized_cell(&p, precision, size)?);
            }
        }
        Ok(cells)
    }

    /// The compared output's per-trial values in a drawn cell.
    pub fn column(&self, drawn: &Drawn) -> Result<Vec<f64>> {
        drawn.column(self.output)
    }
}

/// (name, value text) pairs of numeric overrides.
pub fn texts(overrides: &[(String, f64)]) -> Vec<(String, String)> {
    overrides.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
}

/// One compared point per exponent (`t`: the Student quantile of the intervals, for the points'
/// standard errors): a fixed (reference) exponent passes, the others pass when the printed value lies
/// in the interval widened by `budget` on both sides. The check's resolution is the largest deviation
/// from the printed value that a passing free exponent's interval (plus the budget) does not exclude,
/// also relative to the rms printed exponent.
pub fn exponent_points(exponents: &[Exponent], t: f64, budget: f64) -> (Vec<PointOutcome>, Option<Resolution>) {
    let mut points = Vec::with_capacity(exponents.len());
    let (mut worst, mut sum2, mut free) = (None::<f64>, 0.0, 0);
    for e in exponents {
        let pass = e.fixed || inside(e.printed, e.ci, budget);
        let mut p = PointOutcome::exponent(&e.name, e.printed, e.fitted, e.ci, t, pass);
        if !e.fixed {
            let r = not_excluded(e.printed, e.ci) + budget;
            p.resolution = Some(r);
            sum2 += e.printed * e.printed;
            free += 1;
            if pass {
                worst = Some(worst.map_or(r, |w| w.max(r)));
            }
        }
        points.push(p);
    }
    let scale = (sum2 / free.max(1) as f64).sqrt();
    let resolution = worst.map(|abs| Resolution { abs, rel: (scale > 0.0).then(|| abs / scale), required: None });
    (points, resolution)
}

/// Checks that every name of a symmetry is a parameter of the observable.
pub fn check_symmetry(settings: &Settings, weights: &[(String, f64)]) -> Result<()> {
    let observable = settings.observable();
    for (k, _) in weights {
        if !observable.params().iter().any(|p| p.name == k) {
            return Err(Error::input(format!("symmetry: `{k}` is not a parameter of {}", observable.name())));
        }
    }
    Ok(())
}

/// Scale factor s of a simulated symmetry x -> s x.
pub const SYMMETRY_FACTOR: f64 = 2.0;

/// The overrides that apply the symmetry c_k -> s^{w_k} c_k (s = [`SYMMETRY_FACTOR`]) to `env`.
pub fn scaled(env: &Env, weights: &[(String, f64)]) -> Result<Vec<(String, f64)>> {
    weights.iter().map(|(k, w)| Ok((k.clone(), Sweeps::at_base(env, k)? * SYMMETRY_FACTOR.powf(*w)))).collect()
}
