//! Argument vocabulary shared by the sweep commands (`phase`, `optimize richness`, `experiment cifar`,
//! `plot joint-rich`): the one RANGE parser ([`parse_range`]), sweep axes `--grid NAME=RANGE`
//! ([`parse_grids`]), fixed parameters `--set NAME=VALUE` checked against one table of
//! [`ParamSpec`]s that also writes the help ([`resolve_sets`], [`sets_help`]), and the JSON envelope
//! every `--json` output shares ([`envelope`], [`settings_json`], [`num`]).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::analysis::shard::Shard;
use crate::closed_form::lauditi::{Transfer, Variant};
use crate::error::{Error, Result};
use crate::params::{Kind, ParamSet, ParamSpec, split_assignment};

/// Placeholder of a `--grid` value in the help.
pub const GRID_VALUE: &str = "NAME=LO:HI:N|V1,V2,..";

/// A RANGE: `LO:HI:N` (N >= 2 points from LO to HI, ends included, evenly spaced) or a list `V1,V2,...`.
#[derive(Clone, Debug, PartialEq)]
pub enum Range {
    Span { lo: f64, hi: f64, n: usize },
    List(Vec<f64>),
}

/// Parses a RANGE (the one parser of ranges on the command line): `LO:HI:N` with finite LO < HI and
/// N >= 2, or a comma-separated list of finite numbers (one value or more, none repeated).
pub fn parse_range(text: &str) -> std::result::Result<Range, String> {
    let number = |s: &str| match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("{:?} is not a finite number", s.trim())),
    };
    if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let [lo, hi, n] = parts.as_slice() else { return Err("expected LO:HI:N".into()) };
        let (lo, hi) = (number(lo)?, number(hi)?);
        let n: usize = n.trim().parse().map_err(|_| format!("N = {:?} is not a whole number", n.trim()))?;
        if hi <= lo || n < 2 {
            return Err("LO:HI:N needs LO < HI and N >= 2".into());
        }
        return Ok(Range::Span { lo, hi, n });
    }
    let values = text.split(',').map(number).collect::<std::result::Result<Vec<f64>, String>>()?;
    if values.iter().enumerate().any(|(i, v)| values[..i].contains(v)) {
        return Err("values repeat".into());
    }
    Ok(Range::List(values))
}

impl Range {
    /// The values: a span evenly spaced (geometrically when `log`, i.e. evenly in log10), rounded to
    /// 12 significant decimals of the spaced coordinate; a list as given.
    pub fn values(&self, log: bool) -> Vec<f64> {
        match *self {
            Range::List(ref v) => v.clone(),
            Range::Span { lo, hi, n } if log => {
                linspace(lo.log10(), hi.log10(), n).into_iter().map(|t| 10f64.powf(t)).collect()
            }
            Range::Span { lo, hi, n } => linspace(lo, hi, n),
        }
    }
}

pub use crate::analysis::phase::linspace;

/// One sweep axis `--grid NAME=RANGE`.
#[derive(Clone, Debug)]
pub struct GridAxisArg {
    pub name: String,
    pub range: Range,
}

/// Parses `--grid NAME=RANGE` options; names must be among `accepted` and not repeat.
pub fn parse_grids(texts: &[String], accepted: &[&str]) -> Result<Vec<GridAxisArg>> {
    let mut axes: Vec<GridAxisArg> = Vec::new();
    for text in texts {
        let bad = |why: String| {
            Error::input(format!("--grid {text:?}: {why} (expected NAME=LO:HI:N with N points, or NAME=V1,V2,...)"))
        };
        let (name, range) = text.split_once('=').ok_or_else(|| bad("no NAME=".into()))?;
        let name = name.trim();
        if !accepted.contains(&name) {
            return Err(bad(format!("unknown axis `{name}`; accepted: {}", accepted.join(", "))));
        }
        if axes.iter().any(|a| a.name == name) {
            return Err(bad(format!("axis `{name}` given twice")));
        }
        axes.push(GridAxisArg { name: name.to_string(), range: parse_range(range).map_err(bad)? });
    }
    Ok(axes)
}

/// The values of axis `name` among `axes`, or `default` (a RANGE) when it is not given.
pub fn axis_values(axes: &[GridAxisArg], name: &str, default: &str, log: bool) -> Result<Vec<f64>> {
    match axes.iter().find(|a| a.name == name) {
        Some(a) => Ok(a.range.values(log)),
        None => Ok(parse_range(default).map_err(Error::input)?.values(log)),
    }
}

/// Resolves `--set NAME=VALUE` options against `specs`: unknown names (and the swept ones, which take
/// their values from `--grid`) are refused with the accepted names; unset parameters take their defaults.
pub fn resolve_sets(texts: &[String], specs: &[ParamSpec], swept: &[&str]) -> Result<ParamSet> {
    let accepted: Vec<&str> = specs.iter().map(|s| s.name).filter(|n| !swept.contains(n)).collect();
    let mut given = Vec::new();
    for text in texts {
        let (name, value) = split_assignment(text).map_err(|_| {
            Error::input(format!("--set {text:?}: expected NAME=VALUE; accepted names: {}", accepted.join(", ")))
        })?;
        if swept.contains(&name.as_str()) {
            return Err(Error::input(format!("--set {name}: {name} is swept; give it as --grid {name}=RANGE")));
        }
        if !accepted.contains(&name.as_str()) {
            return Err(Error::input(format!("--set {name}: unknown name; accepted: {}", accepted.join(", "))));
        }
        given.push((name, value));
    }
    ParamSet::resolve(specs, &given)
}

/// The names given with `--set` (to tell set values from defaults).
pub fn set_names(texts: &[String]) -> Vec<String> {
    texts.iter().filter_map(|t| t.split_once('=').map(|(n, _)| n.trim().to_string())).collect()
}

/// Help text listing the `--set` names of `specs` (except `skip`): meaning and unit, domain, default.
pub fn sets_help(heading: &str, specs: &[ParamSpec], skip: &[&str]) -> String {
    let mut text = format!("{heading}\n");
    for s in specs.iter().filter(|s| !skip.contains(&s.name)) {
        text.push_str(&format!("  {:<13} {} (values: {}; default {})\n", s.name, s.doc, s.domain(), s.default));
    }
    text
}

/// A number as JSON: finite numbers as numbers, infinities as "inf" / "-inf"; NaN is an error.
pub fn num(x: f64) -> Result<Value> {
    if x.is_nan() {
        Err(Error::numerical("NaN in JSON output"))
    } else if x.is_infinite() {
        Ok(json!(if x > 0.0 { "inf" } else { "-inf" }))
    } else {
        Ok(json!(x))
    }
}

/// A parameter value as JSON: whole-number kinds as integers, `inf` as "inf", words as strings.
pub fn param_json(spec: &ParamSpec, params: &ParamSet) -> Result<Value> {
    Ok(match spec.kind {
        Kind::Count(..) | Kind::CountOrInf(..) => params.count(spec.name)?.map_or(json!("inf"), |n| json!(n)),
        Kind::Real(_) | Kind::RealOrInf(_) => num(params.num(spec.name)?)?,
        Kind::Choice(_) | Kind::Text(_) => json!(params.text(spec.name)?),
    })
}

/// The parameters of `specs` (except `skip`) as a JSON object name -> value.
pub fn settings_json(specs: &[ParamSpec], params: &ParamSet, skip: &[&str]) -> Result<serde_json::Map<String, Value>> {
    specs.iter().filter(|s| !skip.contains(&s.name)).map(|s| Ok((s.name.to_string(), param_json(s, params)?))).collect()
}

/// The JSON document of a command: `command`, `version`, `seed` (when it draws random numbers),
/// `settings`, `elapsed_s`, then the payload's fields.
pub fn envelope(command: &str, seed: Option<u64>, settings: Value, elapsed_s: f64, payload: Value) -> Value {
    let mut doc = serde_json::Map::new();
    doc.insert("command".into(), json!(command));
    doc.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    if let Some(seed) = seed {
        doc.insert("seed".into(), json!(seed));
    }
    doc.insert("settings".into(), settings);
    doc.insert("elapsed_s".into(), json!(elapsed_s));
    if let Value::Object(map) = payload {
        doc.extend(map);
    }
    Value::Object(doc)
}

/// A Monte Carlo estimate as JSON {mean, se, trials}.
pub fn estimate_json(e: &crate::stats::Estimate) -> Result<Value> {
    Ok(json!({"mean": num(e.mean)?, "se": num(e.se)?, "trials": e.trials}))
}

/// Writes `text` to `path`.
pub fn write_file(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io { path: path.display().to_string(), source })
}

/// Fine-tuning variant on the frozen pre-trained kernel (gamma2 -> 0).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum VariantArg {
    /// Reset readout refit by ridgeless kernel regression.
    Readout,
    /// Kernel ridge regression with ridge `--set lambda=L`.
    Ridge,
    /// Gradient descent on the reset readout for `--set steps=T` steps (no closed form: needs --simulate).
    EarlyStop,
    /// Lazy training of all weights: kernel M + E[z^2] I.
    Ntk,
}

impl VariantArg {
    /// The observable's name of the variant.
    pub fn name(self) -> &'static str {
        match self {
            VariantArg::Readout => "readout",
            VariantArg::Ridge => "ridge",
            VariantArg::EarlyStop => "early_stop",
            VariantArg::Ntk => "ntk",
        }
    }
}

const fn real_spec(name: &'static str, domain: &'static str, default: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec { name, kind: Kind::Real(domain), default, doc, used_when: None }
}

/// The fixed settings of the Lauditi transfer setting (`phase lauditi`, `optimize richness --stage
/// source`), given as `--set NAME=VALUE`; any real one may be a `phase lauditi` axis instead.
pub const LAUDITI_SETTINGS: &[ParamSpec] = &[
    ParamSpec {
        name: "nu1",
        kind: Kind::RealOrInf("(0, inf)"),
        default: "inf",
        doc: "source data ratio P1/D, samples per input dimension (inf: population source loss)",
        used_when: None,
    },
    real_spec("nu2", "(0, inf)", "0.5", "target data ratio P2/D, samples per input dimension"),
    real_spec("gamma1", "[0, inf)", "1", "source (pre-training) richness, dimensionless (0 = lazy)"),
    real_spec("alpha_s", "[-1, 1]", "0.5", "alignment b_s . b_t of the unit source and target teachers (cosine)"),
    real_spec(
        "alpha_g",
        "[-1, 1]",
        "0",
        "alignment g_hat . b_t with the finite-sample direction (alpha_s^2 + alpha_g^2 <= 1)",
    ),
    real_spec("sigma_s", "[0, inf)", "0", "source label-noise standard deviation (label units)"),
    real_spec("sigma", "[0, inf)", "0", "target label-noise standard deviation (label units)"),
    real_spec(
        "lambda",
        "(0, inf)",
        "0.01",
        "ridge of --variant ridge (objective normalised by P2), label units squared",
    ),
    ParamSpec {
        name: "steps",
        kind: Kind::Count(1, 100_000_000),
        default: "100",
        doc: "gradient-descent steps T2 of --variant early_stop (step 1/lambda_max of the kernel matrix)",
        used_when: None,
    },
    real_spec("lambda_wd", "[0, inf)", "0", "stage-1 weight decay (> 0 has no closed form: needs --simulate)"),
    ParamSpec {
        name: "d",
        kind: Kind::Count(2, 1_000_000),
        default: "400",
        doc: "input dimension D of the simulations (with --simulate)",
        used_when: None,
    },
];

/// The Lauditi transfer setting at one point: every value of [`LAUDITI_SETTINGS`] and the variant.
#[derive(Clone, Debug)]
pub struct LauditiPoint {
    pub values: Vec<(&'static str, f64)>,
    pub variant: VariantArg,
}

impl LauditiPoint {
    /// From `--set` options (names in `swept` refused) and the variant; refuses lambda / steps for a
    /// variant that does not use them, and d without `--simulate`.
    pub fn from_sets(sets: &[String], swept: &[&str], variant: VariantArg, simulate: bool) -> Result<Self> {
        let params = resolve_sets(sets, LAUDITI_SETTINGS, swept)?;
        let given = set_names(sets);
        for (name, needs) in [("lambda", VariantArg::Ridge), ("steps", VariantArg::EarlyStop)] {
            if given.iter().any(|g| g == name) && variant != needs {
                return Err(Error::input(format!("--set {name} only has an effect with --variant {}", needs.name())));
            }
        }
        if !simulate && given.iter().any(|g| g == "d") {
            return Err(Error::input("--set d (the simulated dimension) needs --simulate"));
        }
        let values = LAUDITI_SETTINGS.iter().map(|s| Ok((s.name, params.num(s.name)?))).collect::<Result<_>>()?;
        Ok(LauditiPoint { values, variant })
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> f64 {
        self.values.iter().find(|(n, _)| *n == name).map_or(f64::NAN, |(_, v)| *v)
    }

    /// Sets `name` to `v` (an axis value).
    pub fn set(&mut self, name: &str, v: f64) {
        if let Some(slot) = self.values.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = v;
        }
    }

    /// Input dimension of the simulations.
    pub fn d(&self) -> u64 {
        self.get("d") as u64
    }

    /// The closed-form transfer setting.
    pub fn transfer(&self) -> Transfer {
        let variant = match self.variant {
            VariantArg::Readout => Variant::Readout,
            VariantArg::Ntk => Variant::Ntk,
            VariantArg::Ridge => Variant::Ridge { lambda: self.get("lambda") },
            VariantArg::EarlyStop => Variant::EarlyStop { steps: self.get("steps") as u64 },
        };
        Transfer {
            nu1: self.get("nu1"),
            sigma_s: self.get("sigma_s"),
            alpha_s: self.get("alpha_s"),
            alpha_g: self.get("alpha_g"),
            nu2: self.get("nu2"),
            sigma: self.get("sigma"),
            variant,
        }
    }

    /// Why the closed forms do not apply here, if they do not.
    pub fn no_closed_form(&self) -> Option<&'static str> {
        if self.variant == VariantArg::EarlyStop {
            Some("fine-tuning variant early_stop has no closed form known to tlcheck; use --simulate")
        } else if self.get("lambda_wd") > 0.0 {
            Some("stage-1 weight decay (lambda_wd > 0) has no closed form known to tlcheck; use --simulate")
        } else {
            None
        }
    }

    /// Whether the variant uses `name` (lambda: ridge only, steps: early_stop only).
    fn used(&self, name: &str) -> bool {
        match name {
            "lambda" => self.variant == VariantArg::Ridge,
            "steps" => self.variant == VariantArg::EarlyStop,
            _ => true,
        }
    }

    /// Settings (observable parameter name, value) of the simulated path (without gamma1).
    pub fn sim_settings(&self) -> Vec<(String, String)> {
        let used = |name: &str| name != "gamma1" && self.used(name);
        let mut s: Vec<(String, String)> =
            self.values.iter().filter(|(n, _)| used(n)).map(|(n, v)| (n.to_string(), v.to_string())).collect();
        s.push(("variant".into(), self.variant.name().into()));
        s
    }

    /// The settings as JSON (integers as integers, inf as "inf"), without `skip`; the variant included.
    pub fn json(&self, skip: &[&str]) -> Result<serde_json::Map<String, Value>> {
        let mut map = serde_json::Map::new();
        for (name, v) in self.values.iter().filter(|(n, _)| !skip.contains(n) && self.used(n)) {
            let value = if matches!(*name, "steps" | "d") { json!(*v as u64) } else { num(*v)? };
            map.insert(name.to_string(), value);
        }
        map.insert("variant".into(), json!(self.variant.name()));
        Ok(map)
    }
}

/// Nested subcommands of `tlcheck optimize`.
#[derive(Subcommand, Debug)]
pub enum OptimizeCommand {
    /// Optimal source richness gamma1* for fine-tuning on the target (Lauditi et al., claim 5).
    ///
    /// Closed forms (derived, D -> infinity): the loss is minimised over gamma1 >= 0 on the log grid
    /// --grid gamma1=LO:HI:N refined by Brent's method; an optimum at gamma1 = infinity (loss still
    /// falling) is reported as unbounded ("inf"), never as the grid's end. --simulate repeats this on
    /// simulated losses with common random numbers and a bootstrap interval for gamma1*. --grid
    /// nu2=RANGE gives the curve gamma1*(nu2). --stage target finds gamma2* (stage-2 richness) of the
    /// joint-rich network lauditi.joint_rich over --grid gamma2=RANGE, from simulations only (e.g.
    /// `--stage target --set phi=relu --set n=500 --set test=200 --trials 16`).
    #[command(after_help = richness_help())]
    Richness(RichnessArgs),
}

/// The `--set` names of both stages of `optimize richness`, for its help.
fn richness_help() -> String {
    let joint = crate::observable::find(crate::analysis::richness::JOINT_RICH_GAMMA2.observable)
        .map(|o| o.params())
        .unwrap_or(&[]);
    format!(
        "{}\n{}",
        sets_help("--set names of --stage source (gamma1 is swept):", LAUDITI_SETTINGS, &["gamma1"]),
        sets_help("--set names of --stage target (lauditi.joint_rich; gamma2 is swept):", joint, &["gamma2"])
    )
}

/// Which richness `optimize richness` optimises.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum Stage {
    /// gamma1* of pre-training (fine-tuning on the frozen kernel; closed forms or --simulate).
    Source,
    /// gamma2* of stage 2 of `lauditi.joint_rich` (always simulated).
    Target,
}

/// Loss minimised over gamma2 (an output of `lauditi.joint_rich`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum Objective {
    /// Target test MSE at the end of stage 2 (time t2).
    TargetLoss,
    /// Target plus source test MSE at the end of stage 2 (target loss and forgetting together).
    Joint,
    /// Target test MSE at the early stage-2 time t_early.
    TargetEarly,
}

impl Objective {
    pub fn output(self) -> &'static str {
        match self {
            Objective::TargetLoss => "target_loss",
            Objective::Joint => "joint",
            Objective::TargetEarly => "target_early",
        }
    }
}

/// `optimize richness` options.
#[derive(Args, Debug)]
pub struct RichnessArgs {
    /// Which richness to optimise: source = gamma1* of fine-tuning (closed forms or --simulate);
    /// target = gamma2* of stage 2 of the joint-rich network `lauditi.joint_rich` (always simulated).
    #[arg(long, value_enum, default_value = "source")]
    pub stage: Stage,
    /// Swept axis NAME=RANGE (repeatable). --stage source: gamma1 (log-spaced; default
    /// 1e-3:1e3:61 closed form, 0.1:100:10 simulated) and optionally nu2 (one row per nu2);
    /// --stage target: gamma2 (log-spaced, > 0; default 0.125:8:7). LO:HI:N = N points, ends included.
    #[arg(long, value_name = GRID_VALUE)]
    pub grid: Vec<String>,
    /// Fixed parameter NAME=VALUE (repeatable); the accepted names, units and defaults are listed
    /// below. Unset parameters take their defaults.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Fine-tuning variant (--stage source).
    #[arg(long, value_enum, default_value = "readout")]
    pub variant: VariantArg,
    /// Loss minimised over gamma2 (--stage target) [default: target_loss].
    #[arg(long, value_enum)]
    pub objective: Option<Objective>,
    /// Simulate the source stage (instead of the closed forms; --stage target always simulates).
    #[arg(long)]
    pub simulate: bool,
    /// Independent trials per grid point [default: 100 with --stage source --simulate, 32 with --stage target].
    #[arg(long, value_name = "TRIALS")]
    pub trials: Option<usize>,
    /// Base random seed (u64); every grid point uses the same trial seeds (common random numbers).
    #[arg(long, value_name = "SEED", default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
    /// Plot to this SVG file [default: none]: gamma1*(nu2) (needs --grid nu2=RANGE), or with --stage
    /// target the loss against gamma2 (mean +- se) with gamma2* and its interval.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Write the rows as CSV to this file [default: none].
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Print JSON {command, version, seed, settings, elapsed_s, rows: [{at, ...}]} instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Run only shard K of N of the simulated sweep (grid points dealt round-robin; each draws the
    /// numbers the unsharded run draws); writes a shard file for `tlcheck merge` [default: whole run].
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
}
