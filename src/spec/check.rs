//! One typed schema per check method. Every struct denies unknown fields, so a field that belongs to
//! another method is a load error naming it and the allowed ones.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::parts::{
    AbsTolerance, Extrapolate, Level, Quick, Scan, SizeScaling, Symmetry, Tolerance, validate_grid, validate_sweep,
};

/// What every simulated method's schema has: the observable, its output, fixed settings, quick
/// overrides and trials.
#[derive(Debug, Clone, Copy)]
pub struct Simulated<'a> {
    pub observable: &'a str,
    pub output: Option<&'a str>,
    pub settings: &'a BTreeMap<String, toml::Value>,
    pub quick: &'a Quick,
    pub trials: usize,
}

/// Declares a simulated method's schema: the fields every simulated check has, then its own.
macro_rules! simulated_spec {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// One line saying what this check does.
            pub describe: String,
            /// The setting this check covers (e.g. "weight decay"), when a claim's checks cover
            /// different settings: a claim that holds in some and fails in others is regime-limited.
            pub regime: Option<String>,
            /// Marks a consistency check and says why it is one: it is not independent of the
            /// claim's derivation (e.g. a fast path built from it), so it cannot make a claim hold.
            pub consistency: Option<String>,
            /// The observable simulated.
            pub observable: String,
            /// Its output compared (default: the observable's first output).
            pub output: Option<String>,
            /// Fixed observable parameters.
            #[serde(default)]
            pub settings: BTreeMap<String, toml::Value>,
            /// Independent trials per simulated point.
            pub trials: usize,
            /// Overrides at the quick precision.
            #[serde(default)]
            pub quick: Quick,
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl $name {
            /// The fields every simulated method has.
            pub fn simulated(&self) -> Simulated<'_> {
                Simulated {
                    observable: &self.observable,
                    output: self.output.as_deref(),
                    settings: &self.settings,
                    quick: &self.quick,
                    trials: self.trials,
                }
            }

            /// The observable's name, with the fixed and the quick-precision settings, mutable.
            pub fn settings_mut(&mut self) -> (&str, [&mut BTreeMap<String, toml::Value>; 2]) {
                (&self.observable, [&mut self.settings, &mut self.quick.settings])
            }

            /// Trials per point at a precision.
            pub fn trials_at(&self, quick: bool) -> usize {
                if quick { self.quick.trials.unwrap_or(self.trials) } else { self.trials }
            }

            fn validate_common(&self) -> std::result::Result<(), String> {
                if self.trials == 0 || self.quick.trials == Some(0) {
                    return Err("trials must be at least 1".into());
                }
                Ok(())
            }
        }
    };
}

simulated_spec!(
    /// `simulation`: an observable's output against the claimed formula (or bound) on a grid.
    SimulationSpec {
        /// Quantity compared instead of the claim's formula.
        formula: Option<String>,
        /// Named helper formulas over the grid parameters, e.g. chi = "sqrt(1 + gamma1^2) - 1".
        #[serde(default)]
        define: BTreeMap<String, String>,
        /// Parameter grid: every combination is a point.
        #[serde(default)]
        grid: BTreeMap<String, Vec<toml::Value>>,
        extrapolate: Option<Extrapolate>,
        tolerance: Tolerance,
    }
);

simulated_spec!(
    /// `monotone`: a simulated output along one grid axis, paired steps.
    MonotoneSpec {
        #[serde(default)]
        grid: BTreeMap<String, Vec<toml::Value>>,
        /// The grid axis this check runs along (default: claim.variable).
        variable: Option<String>,
        tolerance: AbsTolerance,
    }
);

simulated_spec!(
    /// `optimum`: an interior optimum over `optimize_over` at every other grid point.
    OptimumSpec {
        #[serde(default)]
        grid: BTreeMap<String, Vec<toml::Value>>,
        /// The grid parameter optimised over (its grid values are the candidates).
        optimize_over: String,
        #[serde(default)]
        tolerance: Level,
    }
);

simulated_spec!(
    /// `boundary`: a printed sign region along a scanned parameter against the simulated sign.
    BoundarySpec {
        #[serde(default)]
        grid: BTreeMap<String, Vec<toml::Value>>,
        scan: Scan,
        /// The printed region where the output is negative, as (lo, hi) formula pairs.
        negative: Vec<[String; 2]>,
        tolerance: AbsTolerance,
    }
);

simulated_spec!(
    /// `exhibit`: two grid points of equal key (the formula) with outputs of opposite sign.
    ExhibitSpec {
        #[serde(default)]
        grid: BTreeMap<String, Vec<toml::Value>>,
        /// The key compared instead of the claim's formula.
        formula: Option<String>,
        #[serde(default)]
        tolerance: Level,
    }
);

simulated_spec!(
    /// `decay_exponent`: a printed decay exponent, E out(n) ~ A n^-nu along `scan`.
    DecayExponentSpec {
        scan: Scan,
        /// The printed exponent instead of the claim's formula.
        formula: Option<String>,
        /// Bootstrap resamples (default 2000).
        bootstrap: Option<usize>,
        tolerance: AbsTolerance,
    }
);

simulated_spec!(
    /// `collapse`: fitted exponents of an order parameter, transition and scale audit.
    CollapseSpec {
        /// One-at-a-time sweeps of the constituents (the others stay at `settings`).
        sweep: BTreeMap<String, Vec<f64>>,
        /// The constituent whose exponent is held at its printed value (fixes the scale); the
        /// other sweeps' points are located on its sweep.
        reference: String,
        symmetry: Option<Symmetry>,
        finite_size: Option<SizeScaling>,
        #[serde(default)]
        tolerance: Level,
    }
);

simulated_spec!(
    /// `directions`: paired changes along each swept constituent against the formula's direction.
    DirectionsSpec {
        sweep: BTreeMap<String, Vec<f64>>,
        /// With a reference, the evidence also reports the collapse fit as context.
        reference: Option<String>,
        symmetry: Option<Symmetry>,
        #[serde(default)]
        tolerance: Level,
    }
);

simulated_spec!(
    /// `exists`: grid points where the simulated output exceeds the claim's constant bound.
    ExistsSpec {
        #[serde(default)]
        grid: BTreeMap<String, Vec<toml::Value>>,
        /// A symmetry whose invariance is reported at the largest point.
        symmetry: Option<Symmetry>,
        #[serde(default)]
        tolerance: Level,
    }
);

simulated_spec!(
    /// `power_law`: the output is proportional to the formula; log-linear fit of the exponents.
    PowerLawSpec {
        sweep: BTreeMap<String, Vec<f64>>,
        finite_size: Option<SizeScaling>,
        /// `abs`: a budget on every exponent (e.g. the model error of the size extrapolation).
        tolerance: AbsTolerance,
    }
);

/// `search`: a counterexample search over the formula's domain (no simulation).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSpec {
    pub describe: String,
    pub regime: Option<String>,
    /// Marks a consistency check, with the reason (see the simulated methods).
    pub consistency: Option<String>,
    /// Sample points per domain axis before local refinement (default: about 20 000 points in all).
    pub points_per_axis: Option<usize>,
}

/// A check as written, typed by its method.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum CheckSpec {
    Simulation(SimulationSpec),
    Search(SearchSpec),
    Monotone(MonotoneSpec),
    Optimum(OptimumSpec),
    Boundary(BoundarySpec),
    Exhibit(ExhibitSpec),
    DecayExponent(DecayExponentSpec),
    Collapse(CollapseSpec),
    Directions(DirectionsSpec),
    Exists(ExistsSpec),
    PowerLaw(PowerLawSpec),
}

/// Evaluates `$e` with `$s` bound to the method's spec, whatever the method.
macro_rules! each_method {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            CheckSpec::Simulation($s) => $e,
            CheckSpec::Search($s) => $e,
            CheckSpec::Monotone($s) => $e,
            CheckSpec::Optimum($s) => $e,
            CheckSpec::Boundary($s) => $e,
            CheckSpec::Exhibit($s) => $e,
            CheckSpec::DecayExponent($s) => $e,
            CheckSpec::Collapse($s) => $e,
            CheckSpec::Directions($s) => $e,
            CheckSpec::Exists($s) => $e,
            CheckSpec::PowerLaw($s) => $e,
        }
    };
}

/// The method names, as written in `method = "..."`.
pub const METHODS: &[&str] = &[
    "simulation",
    "search",
    "monotone",
    "optimum",
    "boundary",
    "exhibit",
    "decay_exponent",
    "collapse",
    "directions",
    "exists",
    "power_law",
];

fn typed<T: DeserializeOwned>(table: toml::Table, method: &str) -> std::result::Result<T, String> {
    T::deserialize(toml::Value::Table(table)).map_err(|e| {
        let text = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        format!("method {method}: {text}")
    })
}

impl CheckSpec {
    /// Types one `[[check]]` table by its `method` and validates it.
    pub fn from_table(mut table: toml::Table) -> std::result::Result<CheckSpec, String> {
        let method = match table.remove("method") {
            Some(toml::Value::String(m)) => m,
            Some(other) => return Err(format!("method must be a word, got {other}")),
            None => return Err(format!("missing `method`; one of: {}", METHODS.join(", "))),
        };
        let m = method.as_str();
        let spec = match m {
            "simulation" => CheckSpec::Simulation(typed(table, m)?),
            "search" => CheckSpec::Search(typed(table, m)?),
            "monotone" => CheckSpec::Monotone(typed(table, m)?),
            "optimum" => CheckSpec::Optimum(typed(table, m)?),
            "boundary" => CheckSpec::Boundary(typed(table, m)?),
            "exhibit" => CheckSpec::Exhibit(typed(table, m)?),
            "decay_exponent" => CheckSpec::DecayExponent(typed(table, m)?),
            "collapse" => CheckSpec::Collapse(typed(table, m)?),
            "directions" => CheckSpec::Directions(typed(table, m)?),
            "exists" => CheckSpec::Exists(typed(table, m)?),
            "power_law" => CheckSpec::PowerLaw(typed(table, m)?),
            other => return Err(format!("unknown method `{other}`; one of: {}", METHODS.join(", "))),
        };
        spec.validate().map_err(|e| format!("method {m}: {e}"))?;
        Ok(spec)
    }

    /// The method's name as written.
    pub fn method(&self) -> &'static str {
        match self {
            CheckSpec::Simulation(_) => "simulation",
            CheckSpec::Search(_) => "search",
            CheckSpec::Monotone(_) => "monotone",
            CheckSpec::Optimum(_) => "optimum",
            CheckSpec::Boundary(_) => "boundary",
            CheckSpec::Exhibit(_) => "exhibit",
            CheckSpec::DecayExponent(_) => "decay_exponent",
            CheckSpec::Collapse(_) => "collapse",
            CheckSpec::Directions(_) => "directions",
            CheckSpec::Exists(_) => "exists",
            CheckSpec::PowerLaw(_) => "power_law",
        }
    }

    /// One line saying what the check does.
    pub fn describe(&self) -> &str {
        each_method!(self, s => &s.describe)
    }

    /// The check's parameter grid, for methods that have one.
    pub fn grid(&self) -> Option<&BTreeMap<String, Vec<toml::Value>>> {
        match self {
            CheckSpec::Simulation(s) => Some(&s.grid),
            CheckSpec::Monotone(s) => Some(&s.grid),
            CheckSpec::Optimum(s) => Some(&s.grid),
            CheckSpec::Boundary(s) => Some(&s.grid),
            CheckSpec::Exhibit(s) => Some(&s.grid),
            CheckSpec::Exists(s) => Some(&s.grid),
            _ => None,
        }
    }

    /// The check's parameter grid, mutable (to derive variants of a claim).
    pub fn grid_mut(&mut self) -> Option<&mut BTreeMap<String, Vec<toml::Value>>> {
        match self {
            CheckSpec::Simulation(s) => Some(&mut s.grid),
            CheckSpec::Monotone(s) => Some(&mut s.grid),
            CheckSpec::Optimum(s) => Some(&mut s.grid),
            CheckSpec::Boundary(s) => Some(&mut s.grid),
            CheckSpec::Exhibit(s) => Some(&mut s.grid),
            CheckSpec::Exists(s) => Some(&mut s.grid),
            _ => None,
        }
    }

    /// The observable and its fixed and quick-precision settings, mutable (None for a search).
    pub fn settings_mut(&mut self) -> Option<(&str, [&mut BTreeMap<String, toml::Value>; 2])> {
        match self {
            CheckSpec::Search(_) => None,
            CheckSpec::Simulation(s) => Some(s.settings_mut()),
            CheckSpec::Monotone(s) => Some(s.settings_mut()),
            CheckSpec::Optimum(s) => Some(s.settings_mut()),
            CheckSpec::Boundary(s) => Some(s.settings_mut()),
            CheckSpec::Exhibit(s) => Some(s.settings_mut()),
            CheckSpec::DecayExponent(s) => Some(s.settings_mut()),
            CheckSpec::Collapse(s) => Some(s.settings_mut()),
            CheckSpec::Directions(s) => Some(s.settings_mut()),
            CheckSpec::Exists(s) => Some(s.settings_mut()),
            CheckSpec::PowerLaw(s) => Some(s.settings_mut()),
        }
    }

    /// The fields every simulated method has (None for a search).
    pub fn simulated(&self) -> Option<Simulated<'_>> {
        match self {
            CheckSpec::Search(_) => None,
            CheckSpec::Simulation(s) => Some(s.simulated()),
            CheckSpec::Monotone(s) => Some(s.simulated()),
            CheckSpec::Optimum(s) => Some(s.simulated()),
            CheckSpec::Boundary(s) => Some(s.simulated()),
            CheckSpec::Exhibit(s) => Some(s.simulated()),
            CheckSpec::DecayExponent(s) => Some(s.simulated()),
            CheckSpec::Collapse(s) => Some(s.simulated()),
            CheckSpec::Directions(s) => Some(s.simulated()),
            CheckSpec::Exists(s) => Some(s.simulated()),
            CheckSpec::PowerLaw(s) => Some(s.simulated()),
        }
    }

    /// The setting this check covers, if the claim's checks cover different settings.
    pub fn regime(&self) -> Option<&str> {
        each_method!(self, s => s.regime.as_deref())
    }

    /// Why the check is a consistency check, if it is one.
    pub fn consistency(&self) -> Option<&str> {
        each_method!(self, s => s.consistency.as_deref())
    }

    fn validate(&self) -> std::result::Result<(), String> {
        each_method!(self, s => s.validate())
    }
}

/// Load-time checks of a method's fields beyond their types.
trait Validate {
    fn validate(&self) -> std::result::Result<(), String>;
}

/// Methods on a grid whose only further checks are the grid and the tolerance.
macro_rules! validate_grid_method {
    ($($name:ident),*) => {$(
        impl Validate for $name {
            fn validate(&self) -> std::result::Result<(), String> {
                self.validate_common()?;
                validate_grid(&self.grid)?;
                self.tolerance.validate()
            }
        }
    )*};
}

/// Methods on one-at-a-time sweeps.
macro_rules! validate_sweep_method {
    ($($name:ident),*) => {$(
        impl Validate for $name {
            fn validate(&self) -> std::result::Result<(), String> {
                self.validate_common()?;
                validate_sweep(&self.sweep)?;
                self.tolerance.validate()
            }
        }
    )*};
}

validate_grid_method!(MonotoneSpec, OptimumSpec, ExhibitSpec);
validate_sweep_method!(DirectionsSpec);

/// Methods on one-at-a-time sweeps with a finite-size extrapolation.
macro_rules! validate_sized_sweep_method {
    ($($name:ident),*) => {$(
        impl Validate for $name {
            fn validate(&self) -> std::result::Result<(), String> {
                self.validate_common()?;
                validate_sweep(&self.sweep)?;
                self.finite_size.as_ref().map_or(Ok(()), SizeScaling::validate)?;
                self.tolerance.validate()
            }
        }
    )*};
}

validate_sized_sweep_method!(CollapseSpec, PowerLawSpec);

impl Validate for SimulationSpec {
    fn validate(&self) -> std::result::Result<(), String> {
        self.validate_common()?;
        validate_grid(&self.grid)?;
        self.tolerance.validate()?;
        self.extrapolate.as_ref().map_or(Ok(()), Extrapolate::validate)
    }
}

impl Validate for SearchSpec {
    fn validate(&self) -> std::result::Result<(), String> {
        match self.points_per_axis {
            Some(0 | 1) => Err("points_per_axis must be at least 2".into()),
            _ => Ok(()),
        }
    }
}

impl Validate for BoundarySpec {
    fn validate(&self) -> std::result::Result<(), String> {
        self.validate_common()?;
        validate_grid(&self.grid)?;
        self.scan.validate(2)?;
        if self.negative.is_empty() {
            return Err("`negative` must list at least one (lo, hi) interval".into());
        }
        self.tolerance.validate()
    }
}

impl Validate for DecayExponentSpec {
    fn validate(&self) -> std::result::Result<(), String> {
        self.validate_common()?;
        if self.trials_at(false) < 2 || self.trials_at(true) < 2 {
            return Err("a decay exponent needs at least 2 trials per size".into());
        }
        self.scan.validate(3)?;
        if self.scan.values.iter().any(|v| *v <= 0.0) {
            return Err("scan.values (sizes) must be positive".into());
        }
        self.tolerance.validate()
    }
}

impl Validate for ExistsSpec {
    fn validate(&self) -> std::result::Result<(), String> {
        self.validate_common()?;
        if self.grid.is_empty() {
            return Err("an exists check needs `grid`".into());
        }
        validate_grid(&self.grid)?;
        self.tolerance.validate()
    }
}
