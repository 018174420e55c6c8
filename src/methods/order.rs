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

use std::collections::BTreeMap;

use crate::engine::plan::{Settings, output_of};
use crate::engine::{Cell, Drawn, Precision};
use crate::error::{Error, Result};
use crate::formula::Formula;
use crate::rng::derive_label;
use crate::spec::Relation;
use crate::spec::check::Simulated;
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
        };
        for quick in [false, true] {
            let base = sweeps.base(quick)?;
            for p in sweeps.points(&base)? {
                sweeps.settings.resolve(&texts(&p), quick)?;
            }
        }
        Ok(sweeps)
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

    /// Printed local exponent d ln Gamma / d ln c_i of every swept constituent at the base point:
    /// log2(Gamma(2 c_i) / Gamma(c_i)).
    pub fn printed_exponents(&self, base: &Env) -> Result<Vec<f64>> {
        let g0 = self.gamma(base)?;
        self.sweep
            .iter()
            .map(|(k, _)| {
                let doubled = Self::env(base, &[(k.clone(), Self::at_base(base, k)? * 2.0)]);
                let e = (self.gamma(&doubled)? / g0).ln() / 2f64.ln();
                if e.is_finite() {
                    Ok(e)
                } else {
                    Err(Error::numerical(format!("formula is zero or undefined at the base point (exponent of {k})")))
                }
            })
            .collect()
    }

    /// The cell at the base point with `overrides` (common random numbers).
    pub fn cell(&self, overrides: &[(String, f64)], precision: &Precision) -> Result<Cell> {
        let seed = column_seed(precision.seed, self.settings.observable().name());
        self.settings.cell(&texts(overrides), precision.quick, self.trials(precision.quick), seed)
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
