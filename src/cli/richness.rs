//! `tlcheck optimize richness`: the optimal pre-training richness gamma1* of the Lauditi transfer
//! setting, from the closed forms (default) or from simulations (`--simulate`), optionally as a
//! curve gamma1*(nu2) (`--nu2-grid`, `--svg`).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::{progress_bar, to_json};
use crate::closed_form::lauditi::{Transfer, Variant};
use crate::error::{Error, Result};
use crate::optimize::{Location, LogGrid, Optimum, SIMULATED, SimOptimum, minimize_closed};
use crate::plot::{Axis, Curve, Figure, Points, write_svg};
use crate::report::table;

use super::richness_target::{Stage, TargetArgs};

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
    #[arg(long, default_value_t = 1)]
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

/// Linear grid of n points from lo to hi, rounded to 12 decimals (0.3, not 0.30000000000000004).
pub fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n).map(|k| ((lo + (hi - lo) * k as f64 / (n - 1) as f64) * 1e12).round() / 1e12).collect()
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

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn inputs_json(args: &RichnessArgs, t: &Transfer) -> Value {
    let s = &args.setting;
    let nu2 = args.nu2_grid.as_ref().map_or(number(t.nu2), |g| json!(g));
    json!({
        "nu1": if t.nu1.is_infinite() { json!("inf") } else { number(t.nu1) },
        "nu2": nu2, "alpha_s": t.alpha_s, "alpha_g": t.alpha_g, "sigma_s": t.sigma_s,
        "sigma": t.sigma, "variant": s.variant.to_possible_value().map(|v| v.get_name().to_string()),
        "ridge": s.ridge, "steps": s.steps, "lambda_wd": s.lambda_wd.unwrap_or(0.0),
    })
}

/// One optimisation result, either path.
struct Answer {
    optimum: Optimum,
    lazy: f64,
    rich: Option<f64>,
    sim: Option<SimOptimum>,
}

impl Answer {
    fn json(&self) -> Value {
        let o = &self.optimum;
        let mut v = json!({
            "gamma1_star": o.gamma1_star.map_or(Value::Null, number),
            "bounded": o.bounded(),
            "location": o.location,
            "loss_at_star": number(o.loss_at_star),
            "loss_lazy": number(self.lazy),
            "loss_infinite_richness": self.rich.map_or(Value::Null, number),
        });
        if let Some(s) = &self.sim {
            v["ci"] = json!(s.ci);
            v["mean"] = json!(s.mean);
            v["se"] = json!(s.se);
        }
        v
    }

    fn star_text(&self) -> String {
        match (self.optimum.location, self.optimum.gamma1_star) {
            (Location::Interior, Some(g)) => format!("{g:.6}"),
            (Location::Lazy, _) => "0 (lazy)".to_string(),
            (Location::Flat, _) => "any (flat)".to_string(),
            _ => "unbounded".to_string(),
        }
    }
}

fn closed(t: &Transfer, grid: &LogGrid) -> Result<Answer> {
    let loss = |g: f64| t.loss(g);
    let optimum = minimize_closed(&loss, grid)?;
    Ok(Answer { optimum, lazy: t.lazy()?, rich: Some(t.infinite_richness()?), sim: None })
}

fn simulated(args: &RichnessArgs, t: &Transfer, grid: &LogGrid) -> Result<Answer> {
    let target = SIMULATED;
    let settings = args.setting.settings(t, args.sim.d());
    let gammas = grid.points();
    let (trials, seed) = (args.sim.trials(), args.sim.seed);
    target.params(&settings, gammas[0])?; // refuse what the observable cannot simulate before running
    let bar = progress_bar((trials * target.sweep_runs(gammas.len())) as u64, &format!("{} sweep", target.richness));
    let (sim, lazy) = target.sweep(&settings, &gammas, trials, seed, Some(&bar))?;
    bar.finish_and_clear();
    let lazy = lazy.iter().sum::<f64>() / lazy.len() as f64;
    let rich = if args.setting.no_closed_form().is_none() { Some(t.infinite_richness()?) } else { None };
    Ok(Answer { optimum: sim.optimum, lazy, rich, sim: Some(sim) })
}

/// Runs `tlcheck optimize ...`.
pub fn run(cmd: &OptimizeCommand) -> Result<i32> {
    let OptimizeCommand::Richness(args) = cmd;
    if args.stage == Stage::Target {
        return super::richness_target::run(args);
    }
    args.target.refuse_for_source()?;
    args.sim.check(args.sim.simulate)?;
    let missing = |name: &str| Error::input(format!("--stage source needs --{name}"));
    let nu1 = args.nu1.ok_or_else(|| missing("nu1"))?;
    let alpha_s = args.alpha_s.ok_or_else(|| missing("alpha-s"))?;
    if args.svg.is_some() && args.nu2_grid.is_none() {
        return Err(Error::input("--svg needs --nu2-grid with --stage source"));
    }
    let start = Instant::now();
    let simulate = args.sim.simulate;
    if !simulate && let Some(why) = args.setting.no_closed_form() {
        return Err(Error::input(why));
    }
    let default_grid = if simulate { "0.1:100:10" } else { "1e-3:1e3:61" };
    let (lo, hi, n) = range(args.gamma_grid.as_deref().unwrap_or(default_grid), "--gamma-grid")?;
    let grid = LogGrid::new(lo, hi, n)?;
    let nu2s = match &args.nu2_grid {
        Some(text) => {
            let (a, b, n) = range(text, "--nu2-grid")?;
            linspace(a, b, n)
        }
        None => vec![args.nu2.ok_or_else(|| Error::input("give --nu2 or --nu2-grid"))?],
    };
    let mut rows = Vec::new();
    for &nu2 in &nu2s {
        let t = args.setting.transfer(nu1, nu2, alpha_s)?;
        t.direction()?; // validates nu1, alpha_s, alpha_g, sigma_s up front on both paths
        if nu2 <= 0.0 {
            return Err(Error::input(format!("nu2 = {nu2} must be positive")));
        }
        let answer = if simulate { simulated(args, &t, &grid)? } else { closed(&t, &grid)? };
        rows.push((t, answer));
    }
    let method = if simulate { "simulation" } else { "closed-form" };
    let elapsed = start.elapsed().as_secs_f64();
    let sim_json = simulate.then(|| {
        json!({"observable": SIMULATED.observable, "swept": SIMULATED.richness, "d": args.sim.d(),
               "trials": args.sim.trials(), "seed": args.sim.seed, "grid": grid.points()})
    });
    if let Some(path) = &args.svg {
        write_svg(&curve_figure(args, &rows, &grid, method)?, path)?;
    }
    if args.json {
        let doc = if args.nu2_grid.is_some() {
            let curve: Vec<Value> = rows
                .iter()
                .map(|(t, a)| {
                    let mut v = a.json();
                    v["nu2"] = number(t.nu2);
                    v
                })
                .collect();
            json!({"method": method, "inputs": inputs_json(args, &rows[0].0), "curve": curve,
                   "simulation": sim_json, "elapsed_s": elapsed})
        } else {
            let (t, a) = &rows[0];
            let mut v = a.json();
            v["method"] = json!(method);
            v["inputs"] = inputs_json(args, t);
            v["simulation"] = sim_json.unwrap_or(Value::Null);
            v["elapsed_s"] = json!(elapsed);
            v
        };
        println!("{}", to_json(&doc)?);
        return Ok(0);
    }
    let what = if simulate {
        format!(
            "simulation of {} (its {} set from gamma1, D = {}, {} trials, seed {}, 95% bootstrap CI)",
            SIMULATED.observable,
            SIMULATED.richness,
            args.sim.d(),
            args.sim.trials(),
            args.sim.seed
        )
    } else {
        "closed forms (derived, D -> infinity)".to_string()
    };
    println!("optimal richness gamma1*, {what}");
    println!("inputs: {}", inputs_json(args, &rows[0].0));
    let fmt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.6}"));
    let header = ["nu2", "gamma1*", "loss at gamma1*", "lazy loss", "gamma1 -> inf", "95% CI"];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(t, a)| {
            let ci = a.sim.as_ref().map_or("-".to_string(), |s| {
                format!(
                    "[{}, {}] ({:.0}% unbounded)",
                    s.ci.lo.map_or("inf".to_string(), |h| format!("{h:.4}")),
                    s.ci.hi.map_or("inf".to_string(), |h| format!("{h:.4}")),
                    100.0 * s.ci.fraction_unbounded
                )
            });
            vec![
                format!("{}", t.nu2),
                a.star_text(),
                format!("{:.6}", a.optimum.loss_at_star),
                format!("{:.6}", a.lazy),
                fmt(a.rich),
                ci,
            ]
        })
        .collect();
    print!("{}", table(&header, &body));
    if rows.iter().any(|(_, a)| a.optimum.location == Location::Unbounded) {
        println!(
            "unbounded: minimum at the top end of the gamma1 grid (up to {:e}) with the loss still falling: gamma1* = infinity{}",
            grid.hi,
            if simulate { "" } else { "; loss at gamma1* = the gamma1 -> inf limit" }
        );
    }
    println!("{:.3}s", elapsed);
    Ok(0)
}

/// gamma1*(nu2) as log10 gamma1* against nu2; unbounded / lazy optima as marked points at the top / bottom.
fn curve_figure(args: &RichnessArgs, rows: &[(Transfer, Answer)], grid: &LogGrid, method: &str) -> Result<Figure> {
    let (ylo, yhi) = (grid.lo.log10(), grid.hi.log10());
    let interior: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|(t, a)| a.optimum.gamma1_star.filter(|g| *g > 0.0).map(|g| (t.nu2, g.log10().clamp(ylo, yhi))))
        .collect();
    let marked = |loc: Location, y: f64| -> Vec<(f64, f64, f64)> {
        rows.iter().filter(|(_, a)| a.optimum.location == loc).map(|(t, _)| (t.nu2, y, 0.0)).collect()
    };
    let mut points = Vec::new();
    for (loc, y, label) in [
        (Location::Unbounded, yhi, "unbounded: gamma1* = inf (drawn at top)"),
        (Location::Lazy, ylo, "lazy: gamma1* = 0 (drawn at bottom)"),
        (Location::Flat, (ylo + yhi) / 2.0, "flat: loss independent of gamma1"),
    ] {
        let p = marked(loc, y);
        if !p.is_empty() {
            points.push(Points { label: label.to_string(), points: p });
        }
    }
    let mut curves = Vec::new();
    if !interior.is_empty() {
        curves.push(Curve { label: format!("gamma1* ({method})"), points: interior, dashed: false });
    }
    let (x0, x1) = (rows[0].0.nu2, rows[rows.len() - 1].0.nu2);
    Ok(Figure {
        title: format!(
            "optimal richness, {} fine-tuning, nu1 = {}, alpha_s = {}",
            args.setting.variant.to_possible_value().map_or(String::new(), |v| v.get_name().to_string()),
            rows[0].0.nu1,
            rows[0].0.alpha_s
        ),
        x: Axis::new("nu2 = P2/D", x0, x1),
        y: Axis::new("log10 gamma1*", ylo, yhi),
        heat: None,
        curves,
        points,
    })
}
