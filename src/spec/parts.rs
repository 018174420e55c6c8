//! Pieces shared by several check methods' schemas: tolerances, quick-precision overrides,
//! extrapolation in size, scans and symmetries. Each validates itself at load time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::formula::scaling::parse_weights;

fn check_budget(name: &str, value: f64) -> std::result::Result<(), String> {
    if value >= 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(format!("tolerance.{name} = {value} must be a finite number >= 0"))
    }
}

/// Statistical tolerance of a comparison with a finite-size / numerical budget
/// b = abs + rel |claimed| (methods `simulation`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// Absolute budget added to the statistical tolerance.
    #[serde(default)]
    pub abs: f64,
    /// Relative budget (fraction of |claimed value|).
    #[serde(default)]
    pub rel: f64,
    /// Why the budget has its size.
    pub budget_reason: String,
    /// An equivalence margin (equalities only): the check passes a point only when the deviation is
    /// shown inside the margin, fails it when shown beyond, and is inconclusive otherwise.
    pub margin: Option<Margin>,
}

impl Tolerance {
    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        check_budget("abs", self.abs)?;
        check_budget("rel", self.rel)?;
        if self.margin.is_some() && (self.abs > 0.0 || self.rel > 0.0) {
            return Err("tolerance.margin replaces the budget: leave abs and rel at 0".into());
        }
        Ok(())
    }
}

/// An equivalence margin M >= 0: a formula over the point's parameters and the trial's outputs (so
/// a margin may be relative to another measured effect), with the reason for its size.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Margin {
    pub formula: String,
    pub reason: String,
}

/// Statistical tolerance with an absolute budget only (methods `monotone`, `boundary`, `decay_exponent`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AbsTolerance {
    #[serde(default)]
    pub abs: f64,
    pub budget_reason: String,
}

impl AbsTolerance {
    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        check_budget("abs", self.abs)
    }
}

/// A family-wise level without a budget (methods whose statistic has no finite-size budget).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Why the method needs no budget, or what limits it.
    pub budget_reason: Option<String>,
}

impl Level {
    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// Settings that change at the quick precision (`--quick`, `cargo test`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Quick {
    pub trials: Option<usize>,
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
}

/// Extrapolation of a residual to size -> infinity: fitted as a + sum_{j=1}^K c_j size^{-j q} over the
/// sizes (K = `terms`, q = `order`). With K >= 2 the shift of a when c_K is dropped is the fit's model
/// error, added to each point's budget ([`crate::stats::extrapolate_in_size`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Extrapolate {
    /// The size parameter (e.g. `d` or `width`).
    pub param: String,
    pub sizes: Vec<f64>,
    /// Sizes at the quick precision (default: `sizes`).
    pub quick_sizes: Option<Vec<f64>>,
    /// The power q of the leading correction (default 1).
    #[serde(default = "unit_order")]
    pub order: f64,
    /// The number K of correction terms (default 1); K + 1 distinct sizes are needed at each precision.
    #[serde(default = "one_term")]
    pub terms: usize,
    /// Why the corrections have this form (printed with the evidence).
    pub reason: Option<String>,
}

fn unit_order() -> f64 {
    1.0
}

fn one_term() -> usize {
    1
}

impl Extrapolate {
    /// An extrapolation as a + c/size over the sizes.
    pub fn inverse_size(param: String, sizes: Vec<f64>) -> Extrapolate {
        Extrapolate { param, sizes, quick_sizes: None, order: 1.0, terms: 1, reason: None }
    }

    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        let distinct = |s: &[f64]| s.iter().enumerate().all(|(i, a)| s[..i].iter().all(|b| (a - b).abs() > 1e-9 * a));
        let ok = |s: &[f64]| s.len() > self.terms && s.iter().all(|v| v.is_finite() && *v > 0.0) && distinct(s);
        if self.terms == 0 || !(self.order.is_finite() && self.order > 0.0) {
            return Err(format!("extrapolate needs terms >= 1 and order > 0 (got {}, {})", self.terms, self.order));
        }
        if ok(&self.sizes) && self.quick_sizes.as_deref().is_none_or(ok) {
            Ok(())
        } else {
            Err(format!(
                "extrapolate with {} terms needs at least {} distinct positive sizes (sizes and quick_sizes)",
                self.terms,
                self.terms + 1
            ))
        }
    }

    /// The sizes at a precision.
    pub fn sizes(&self, quick: bool) -> &[f64] {
        match (&self.quick_sizes, quick) {
            (Some(q), true) => q,
            _ => &self.sizes,
        }
    }

    /// The fitted form, e.g. "a + c1/d + c2/d^2".
    pub fn model(&self) -> String {
        let power = |j: usize| {
            let p = j as f64 * self.order;
            if p == 1.0 { self.param.clone() } else { format!("{}^{p}", self.param) }
        };
        let terms: Vec<String> = match self.terms {
            1 => vec![format!("c/{}", power(1))],
            k => (1..=k).map(|j| format!("c{j}/{}", power(j))).collect(),
        };
        format!("a + {}", terms.join(" + "))
    }
}

/// A scanned parameter and its values.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scan {
    pub param: String,
    pub values: Vec<f64>,
}

impl Scan {
    pub(super) fn validate(&self, at_least: usize) -> std::result::Result<(), String> {
        if self.values.len() < at_least || self.values.iter().any(|v| !v.is_finite()) {
            return Err(format!("scan.values needs at least {at_least} finite values"));
        }
        Ok(())
    }
}

/// A declared symmetry as scaling weights, written "u_norm=1,sigma_p1=1": under x -> s x the
/// parameter c_i scales as s^{w_i} c_i.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Symmetry {
    pub weights: Vec<(String, f64)>,
    text: String,
}

impl TryFrom<String> for Symmetry {
    type Error = String;
    fn try_from(text: String) -> std::result::Result<Self, String> {
        let weights = parse_weights(&text).map_err(|e| format!("symmetry {text:?}: {e}"))?;
        if weights.is_empty() {
            return Err(format!("symmetry {text:?} declares no weight"));
        }
        Ok(Symmetry { weights, text })
    }
}

impl From<Symmetry> for String {
    fn from(s: Symmetry) -> String {
        s.text
    }
}

/// Finite-size extrapolation of fitted exponents (methods `collapse`, `power_law`). At size lambda
/// every parameter named in `scale` takes lambda^w times its value (the base point and the swept
/// values alike, so the sweeps' log-ratios are unchanged); the exponents measured at each size are
/// extrapolated linearly in lambda^-order to lambda -> infinity.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SizeScaling {
    /// The weights w of the size map, written "d=1,sigma_p1=-0.5".
    pub scale: Symmetry,
    pub sizes: Vec<f64>,
    /// Sizes at the quick precision (default: `sizes`).
    pub quick_sizes: Option<Vec<f64>>,
    /// The order q of the leading finite-size correction: e(lambda) = e_inf + c lambda^-q.
    pub order: f64,
    /// Why lambda -> infinity is the claim's asymptotic regime and why the correction has this order.
    pub reason: String,
}

impl SizeScaling {
    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        let ok = |s: &[f64]| {
            s.len() >= 2
                && s.iter().all(|v| v.is_finite() && *v > 0.0)
                && s.iter().enumerate().all(|(i, a)| s[..i].iter().all(|b| (a - b).abs() > 1e-9 * a))
        };
        if !(ok(&self.sizes) && self.quick_sizes.as_deref().is_none_or(ok)) {
            return Err("finite_size needs at least two distinct positive sizes (sizes and quick_sizes)".into());
        }
        if !(self.order.is_finite() && self.order > 0.0) {
            return Err(format!("finite_size.order = {} must be a positive number", self.order));
        }
        Ok(())
    }

    /// The sizes at a precision.
    pub fn sizes(&self, quick: bool) -> &[f64] {
        match (&self.quick_sizes, quick) {
            (Some(q), true) => q,
            _ => &self.sizes,
        }
    }
}

/// Checks one-at-a-time sweeps: each constituent has at least two positive finite values.
pub(super) fn validate_sweep(sweep: &BTreeMap<String, Vec<f64>>) -> std::result::Result<(), String> {
    if sweep.is_empty() {
        return Err("sweep is empty: name at least one constituent with its values".into());
    }
    for (k, values) in sweep {
        if values.len() < 2 || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("sweep.{k} needs at least two positive finite values"));
        }
    }
    Ok(())
}

/// Checks a grid: every axis has at least one value, each a number or a word.
pub(super) fn validate_grid(grid: &BTreeMap<String, Vec<toml::Value>>) -> std::result::Result<(), String> {
    for (k, values) in grid {
        if values.is_empty() {
            return Err(format!("grid.{k} is empty"));
        }
        for v in values {
            value_text(v).map_err(|e| format!("grid.{k}: {e}"))?;
        }
    }
    Ok(())
}

/// Converts a TOML scalar to the text form parameters are parsed from.
pub fn value_text(v: &toml::Value) -> Result<String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(Error::input(format!("expected a number or a word, got {other}"))),
    }
}
