//! Argument types and parsers shared by the commands (`optimize richness`, `phase lauditi`,
//! `plot joint-rich`): the source/target setting and simulation options, the stage-target options,
//! and parsers of numbers and grids.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

pub use crate::analysis::phase::linspace;
use crate::closed_form::lauditi::{Transfer, Variant};
use crate::error::{Error, Result};
use crate::optimize::LogGrid;
use crate::params::ParamSet;

/// Nested subcommands of `tlcheck optimize`.
#[derive(Subcommand, Debug)]
pub enum OptimizeCommand {
    /// Optimal source richness gamma1* for fine-tuning on the target (Lauditi et al., claim 5).
    ///
    /// Closed forms (derived, D -> infinity): the loss is minimised over gamma1 >= 0 on a log grid
    /// refined by Brent's method; an optimum at gamma1 = infinity (loss still falling) is reported as
    /// unbounded (gamma1_star null), never as the grid's end. --simulate repeats this on simulated
    /// losses with common random numbers and a bootstrap interval for gamma1*. --stage target finds
    /// gamma2* (stage-2 richness) of the joint-rich network lauditi.joint_rich the same way, from
    /// simulations only (e.g. `--stage target --phi relu --set n=500 --set test=200 --trials 16`).
    Richness(RichnessArgs),
}

/// Fine-tuning variant on the frozen pre-trained kernel (gamma2 -> 0).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum VariantArg {
    /// Reset readout refit by ridgeless kernel regression.
    Readout,
    /// Kernel ridge regression with ridge --ridge.
    Ridge,
    /// Gradient descent on the reset readout for --steps steps (no closed form: needs --simulate).
    EarlyStop,
    /// Lazy training of all weights: kernel M + E[z^2] I.
    Ntk,
}

/// Source and target settings shared by `optimize richness` and `phase lauditi`.
#[derive(Args, Debug, Clone)]
pub struct Setting {
    /// Alignment g_hat . b_t of the target with the finite-sample direction g_hat (needs alpha_s^2 + alpha_g^2 <= 1).
    #[arg(long, value_name = "E", value_parser = real, allow_hyphen_values = true)]
    pub alpha_g: Option<f64>,
    /// Source label-noise standard deviation (default 0).
    #[arg(long, value_name = "S", value_parser = real)]
    pub sigma_s: Option<f64>,
    /// Target label-noise standard deviation (default 0); its variance term does not depend on gamma1.
    #[arg(long, value_name = "N", value_parser = real)]
    pub sigma: Option<f64>,
    /// Fine-tuning variant.
    #[arg(long, value_enum, default_value = "readout")]
    pub variant: VariantArg,
    /// Ridge lambda > 0 of --variant ridge (objective (1/P2) sum (y - f)^2 + lambda |f|_H^2).
    #[arg(long, value_name = "L", value_parser = real)]
    pub ridge: Option<f64>,
    /// Number of gradient-descent steps T2 of --variant early_stop (step size 1/lambda_max of the kernel matrix).
    #[arg(long, value_name = "T")]
    pub steps: Option<u64>,
    /// Stage-1 weight decay (default 0; > 0 has no closed form and needs --simulate).
    #[arg(long, value_name = "W", value_parser = real)]
    pub lambda_wd: Option<f64>,
}

/// Simulation options shared by `optimize richness` and `phase lauditi`.
#[derive(Args, Debug, Clone)]
pub struct SimArgs {
    /// Simulate (instead of, or on top of, the closed forms).
    #[arg(long)]
    pub simulate: bool,
    /// Input dimension D of the simulations (needs --simulate; default 400; with `optimize richness
    /// --stage target` the observable's d, default 32).
    #[arg(long, value_name = "D")]
    pub d: Option<u64>,
    /// Independent trials per grid point (needs --simulate; default 100; 32 with `--stage target`).
    #[arg(long, value_name = "K")]
    pub trials: Option<usize>,
    /// Base random seed (u64); every grid point uses the same trial seeds (common random numbers).
    #[arg(long, default_value_t = crate::cli::DEFAULT_SEED)]
    pub seed: u64,
}

impl SimArgs {
    /// Refuses --d and --trials without --simulate (`simulated` = the command simulates anyway).
    pub fn check(&self, simulated: bool) -> Result<()> {
        if !simulated && (self.d.is_some() || self.trials.is_some()) {
            return Err(Error::input("--d and --trials need --simulate"));
        }
        Ok(())
    }

    /// Input dimension D (default 400).
    pub fn d(&self) -> u64 {
        self.d.unwrap_or(400)
    }

    /// Trials per grid point (default 100).
    pub fn trials(&self) -> usize {
        self.trials.unwrap_or(100)
    }
}

/// `optimize richness` options.
#[derive(Args, Debug)]
pub struct RichnessArgs {
    /// Which richness to optimise: source = gamma1* of fine-tuning (closed forms or --simulate);
    /// target = gamma2* of stage 2 of the joint-rich network `lauditi.joint_rich` (always simulated;
    /// options of that stage under "Stage target").
    #[arg(long, value_enum, default_value = "source")]
    pub stage: Stage,
    /// Source data ratio P1/D, or inf for the population source loss (--stage target: optional, the
    /// observable's nu1, default 2).
    #[arg(long, value_name = "A", value_parser = real_or_inf, required_unless_present = "stage")]
    pub nu1: Option<f64>,
    /// Target data ratio P2/D (--stage target: optional, default 1).
    #[arg(long, value_name = "B", value_parser = real, required_unless_present_any = ["nu2_grid", "stage"])]
    pub nu2: Option<f64>,
    /// Alignment b_s . b_t of the unit source and target teachers, in [-1, 1] (--stage target:
    /// optional, default 0.5).
    #[arg(long, value_name = "C", value_parser = real, allow_hyphen_values = true, required_unless_present = "stage")]
    pub alpha_s: Option<f64>,
    #[command(flatten)]
    pub setting: Setting,
    /// gamma1 grid lo:hi:n, log-spaced (default 1e-3:1e3:61 closed form, 0.1:100:10 simulated).
    #[arg(long, value_name = "LO:HI:N")]
    pub gamma_grid: Option<String>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Print gamma1*(nu2) over the linear grid lo:hi:n of nu2 instead of a single nu2.
    #[arg(long, value_name = "LO:HI:N", conflicts_with = "nu2")]
    pub nu2_grid: Option<String>,
    /// Plot gamma1*(nu2) (with --nu2-grid) to this SVG file; with --stage target the loss against
    /// gamma2 (mean +- se) with gamma2* and its interval.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Print JSON: gamma1_star (null when unbounded), bounded, location, loss_at_star, loss_lazy,
    /// loss_infinite_richness, method, ci (simulated), inputs; with --nu2-grid a list under "curve".
    /// With --stage target: stage, objective, gamma2_star (null when unbounded), bounded, location,
    /// loss_at_star, loss_gamma2_zero {mean, se}, ci, grid, mean, se (per grid point), inputs, trials,
    /// seed, elapsed_s.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// A real number; NaN and infinities refused.
pub fn real(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(format!("{s:?} is not a finite number")),
        Err(_) => Err(format!("{s:?} is not a number")),
    }
}

/// A real number or `inf`; NaN refused.
pub fn real_or_inf(s: &str) -> std::result::Result<f64, String> {
    if matches!(s.trim(), "inf" | "Inf" | "infinity") { Ok(f64::INFINITY) } else { real(s) }
}

/// Parses lo:hi:n.
pub fn range(text: &str, what: &str) -> Result<(f64, f64, usize)> {
    let bad = || Error::input(format!("{what} {text:?}: expected lo:hi:n with finite lo < hi and n >= 2"));
    let parts: Vec<&str> = text.split(':').collect();
    let [lo, hi, n] = parts.as_slice() else { return Err(bad()) };
    let (lo, hi) = (real(lo).map_err(|_| bad())?, real(hi).map_err(|_| bad())?);
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if hi <= lo || n < 2 {
        return Err(bad());
    }
    Ok((lo, hi, n))
}

impl Setting {
    /// The closed-form variant; refuses options that do not fit the variant.
    pub fn variant(&self) -> Result<Variant> {
        if self.ridge.is_some() && self.variant != VariantArg::Ridge {
            return Err(Error::input("--ridge only has an effect with --variant ridge"));
        }
        if self.steps.is_some() && self.variant != VariantArg::EarlyStop {
            return Err(Error::input("--steps only has an effect with --variant early_stop"));
        }
        Ok(match self.variant {
            VariantArg::Readout => Variant::Readout,
            VariantArg::Ntk => Variant::Ntk,
            VariantArg::Ridge => match self.ridge {
                Some(lambda) if lambda > 0.0 => Variant::Ridge { lambda },
                _ => return Err(Error::input("--variant ridge needs --ridge L with L > 0")),
            },
            VariantArg::EarlyStop => match self.steps {
                Some(steps) if steps > 0 => Variant::EarlyStop { steps },
                _ => return Err(Error::input("--variant early_stop needs --steps T with T >= 1")),
            },
        })
    }

    /// The transfer setting at the given source / target ratios and alignment.
    pub fn transfer(&self, nu1: f64, nu2: f64, alpha_s: f64) -> Result<Transfer> {
        if let Some(w) = self.lambda_wd
            && w < 0.0
        {
            return Err(Error::input(format!("--lambda-wd {w} must be >= 0")));
        }
        Ok(Transfer {
            nu1,
            sigma_s: self.sigma_s.unwrap_or(0.0),
            alpha_s,
            alpha_g: self.alpha_g.unwrap_or(0.0),
            nu2,
            sigma: self.sigma.unwrap_or(0.0),
            variant: self.variant()?,
        })
    }

    /// Why the closed forms do not apply here, if they do not.
    pub fn no_closed_form(&self) -> Option<&'static str> {
        if self.variant == VariantArg::EarlyStop {
            Some("fine-tuning variant early_stop has no closed form known to tlcheck; use --simulate")
        } else if self.lambda_wd.is_some_and(|w| w > 0.0) {
            Some("stage-1 weight decay (--lambda-wd > 0) has no closed form known to tlcheck; use --simulate")
        } else {
            None
        }
    }

    /// Settings (observable parameter name, value) for the simulated path.
    pub fn settings(&self, t: &Transfer, d: u64) -> Vec<(String, String)> {
        let mut s = vec![
            ("d".to_string(), d.to_string()),
            ("nu1".to_string(), if t.nu1.is_infinite() { "inf".to_string() } else { t.nu1.to_string() }),
            ("nu2".to_string(), t.nu2.to_string()),
            ("alpha_s".to_string(), t.alpha_s.to_string()),
            ("variant".to_string(), t.variant.name().to_string()),
        ];
        let optional = [
            ("alpha_g", self.alpha_g),
            ("sigma_s", self.sigma_s),
            ("sigma", self.sigma),
            ("lambda", self.ridge),
            ("lambda_wd", self.lambda_wd),
            ("steps", self.steps.map(|x| x as f64)),
        ];
        s.extend(optional.iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string()))));
        s
    }
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

/// Hidden activation of the joint-rich network.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[value(rename_all = "snake_case")]
pub enum PhiArg {
    Identity,
    Relu,
    Tanh,
}

impl PhiArg {
    /// The observable's name of the activation.
    pub fn name(self) -> &'static str {
        match self {
            PhiArg::Identity => "identity",
            PhiArg::Relu => "relu",
            PhiArg::Tanh => "tanh",
        }
    }
}

/// Options of `optimize richness --stage target` (refused with --stage source).
#[derive(Args, Debug)]
#[command(next_help_heading = "Stage target (gamma2* of lauditi.joint_rich)")]
pub struct TargetArgs {
    /// Loss minimised over gamma2 [default: target_loss].
    #[arg(long, value_enum)]
    pub objective: Option<Objective>,
    /// Hidden activation phi [default: relu, the observable's].
    #[arg(long, value_enum)]
    pub phi: Option<PhiArg>,
    /// Stage-1 richness gamma1 > 0 [default: 2, the observable's].
    #[arg(long, value_name = "G", value_parser = real, allow_hyphen_values = true)]
    pub gamma1: Option<f64>,
    /// Log-spaced gamma2 range LO,HI with 0 < LO < HI [default: 0.125,8]; gamma2 >= 5 needs many
    /// Euler steps (slow).
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    pub gamma2_range: Option<String>,
    /// Number of gamma2 grid points, >= 3 [default: 7, i.e. factors of 2 over 0.125..8].
    #[arg(long, value_name = "N")]
    pub gamma2_points: Option<usize>,
    /// Any other parameter of lauditi.joint_rich as NAME=VALUE (repeatable), e.g. n=500, test=200,
    /// t2=10, solver=network, target=he2; see `tlcheck observables`. gamma2 is swept, not set.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

impl TargetArgs {
    /// Refuses stage-target options given with --stage source.
    pub fn refuse_for_source(&self) -> Result<()> {
        let given = [
            ("--objective", self.objective.is_some()),
            ("--phi", self.phi.is_some()),
            ("--gamma1", self.gamma1.is_some()),
            ("--gamma2-range", self.gamma2_range.is_some()),
            ("--gamma2-points", self.gamma2_points.is_some()),
            ("--set", !self.set.is_empty()),
        ];
        match given.iter().find(|(_, g)| *g) {
            Some((name, _)) => Err(Error::input(format!("{name} only applies with --stage target"))),
            None => Ok(()),
        }
    }

    /// The gamma2 grid.
    pub fn grid(&self) -> Result<LogGrid> {
        let text = self.gamma2_range.as_deref().unwrap_or("0.125,8");
        let bad = || Error::input(format!("--gamma2-range {text:?}: expected LO,HI with 0 < LO < HI < inf"));
        let (lo, hi) = text.split_once(',').ok_or_else(bad)?;
        let (lo, hi) = (real(lo).map_err(|_| bad())?, real(hi).map_err(|_| bad())?);
        if !(lo > 0.0 && hi > lo) {
            return Err(bad());
        }
        let n = self.gamma2_points.unwrap_or(7);
        if n < 3 {
            return Err(Error::input(format!("--gamma2-points {n} must be at least 3")));
        }
        LogGrid::new(lo, hi, n)
    }
}

/// The parameters as text (name=value ...) and JSON, without the swept gamma2.
pub fn without_gamma2(params: &ParamSet) -> Result<(String, Value)> {
    let text = params.to_string().split(' ').filter(|p| !p.starts_with("gamma2=")).collect::<Vec<_>>().join(" ");
    let mut value = serde_json::to_value(params).map_err(|e| Error::numerical(format!("JSON encoding: {e}")))?;
    if let Some(map) = value.as_object_mut() {
        map.remove("gamma2");
    }
    Ok((text, value))
}
