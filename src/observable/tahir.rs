//! Observables of Tahir, Ganguli, Rotskoff (arXiv 2410.08194 v2): deep linear transfer
//! (`tahir.risk`, `tahir.transferability`) and the ReLU projection of the nonlinear extension
//! (`tahir.relu_projection`). Note gamma = n/d is a data ratio here.

use super::{Observable, OutputSpec, TrialRunner, check_memory};
use faer::{Col, Mat};

use crate::error::{Error, Result};
use crate::params::{Kind, ParamSet, ParamSpec};
use crate::rng::Rng;
use crate::sim::sample_count;
use crate::sim::tahir::{
    Config, Data, Method, Pretrained, Procedure, Source, Streams, Target, beta_s, exact, gd, pretrain,
    projector_transfer_mean, relu, streams, student, train_target,
};

const fn spec(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec { name, kind, default, doc, used_when: None }
}

const COMMON: [ParamSpec; 14] = [
    spec("d", Kind::Count(3, 100_000), "200", "input dimension d (hidden width d)"),
    spec("gamma", Kind::Real("(0, inf)"), "0.5", "target data ratio n/d; n = gamma d must be a whole number"),
    spec(
        "theta",
        Kind::Real("[0, 3.141593]"),
        "0.785398",
        "angle between the unit source and target teachers (radians)",
    ),
    spec("sigma", Kind::Real("[0, inf)"), "0", "target label-noise standard deviation"),
    spec(
        "lambda",
        Kind::Real("[0, inf)"),
        "0",
        "ridge of the transferred head, c = (F^T F + n lambda I)^-1 F^T y (lt only)",
    ),
    spec("depth", Kind::Count(2, 8), "2", "number of layers L (square hidden layers)"),
    spec(
        "gamma_s",
        Kind::RealOrInf("(0, inf)"),
        "inf",
        "source data ratio n_s/d (n_s whole); inf = population source loss",
    ),
    spec("sigma_s", Kind::Real("[0, inf)"), "0", "source label-noise standard deviation (finite gamma_s only)"),
    spec(
        "method",
        Kind::Choice(&["exact", "gd", "balanced"]),
        "exact",
        "exact = closed-form fast paths; gd = gradient descent on the network; balanced = exact, but fine-tuning \
         by gradient flow of the balanced rank-one network",
    ),
    spec(
        "alpha",
        Kind::Real("(0, 1]"),
        "1e-5",
        "gd: initialisation scale (hidden alpha N(0, 1/d), last alpha N(0, 1))",
    ),
    spec(
        "eta",
        Kind::Real("(0, 1.5]"),
        "0.5",
        "gd: step = eta / curvature bound (L lambda_max(X^T X/n) max(1, |y|^2/n))",
    ),
    spec("tol", Kind::Real("(0, 1)"), "1e-8", "gd: stop when the end-to-end gradient norm is below tol"),
    spec(
        "max_steps",
        Kind::Count(1, 100_000_000),
        "200000",
        "gd: stop (reported as not converged) after this many steps",
    ),
    ParamSpec {
        name: "richardson",
        kind: Kind::Choice(&["no", "yes"]),
        default: "no",
        doc: "gd: yes = also run every fit at step eta/2 on the same data and report 2 x(eta/2) - x(eta) for each \
              risk (removes the O(eta) bias of discrete steps against gradient flow; steps add up)",
        used_when: Some(("method", "gd")),
    },
];

const REPLICATES: ParamSpec = spec(
    "replicates",
    Kind::Count(0, 100_000),
    "0",
    "transfer_cv: fresh draws of the fast paths averaged into its control variate (ft)",
);

/// `procedure`, then the common parameters, then `extra`.
const fn with_procedure<const N: usize>(
    choices: &'static [&'static str],
    default: &'static str,
    extra: &[ParamSpec],
) -> [ParamSpec; N] {
    let mut out = [spec("procedure", Kind::Choice(choices), default, "target procedure"); N];
    let mut i = 0;
    while i < COMMON.len() {
        out[i + 1] = COMMON[i];
        i += 1;
    }
    let mut j = 0;
    while j < extra.len() {
        out[1 + COMMON.len() + j] = extra[j];
        j += 1;
    }
    out
}

const RISK_PARAMS: [ParamSpec; 15] = with_procedure(&["scratch", "lt", "ft"], "scratch", &[]);
const TRANSFER_PARAMS: [ParamSpec; 16] = with_procedure(&["lt", "ft"], "lt", &[REPLICATES]);

fn config(params: &ParamSet) -> Result<Config> {
    let d = params.size("d")?;
    let n = sample_count("gamma", params.num("gamma")?, d)?;
    let gamma_s = params.num("gamma_s")?;
    let source = if gamma_s.is_finite() {
        Source::Finite { n_s: sample_count("gamma_s", gamma_s, d)?, sigma_s: params.num("sigma_s")? }
    } else {
        Source::Population
    };
    let method = match params.text("method")? {
        "gd" => Method::Gd,
        "balanced" => Method::Balanced,
        _ => Method::Exact,
    };
    let depth = params.size("depth")?;
    let n_s = match source {
        Source::Finite { n_s, .. } => n_s,
        Source::Population => 0,
    };
    check_memory(8.0 * d as f64 * ((n + n_s) as f64 + 2.0 * depth as f64 * d as f64 + 4.0 * d as f64), "tahir trial")?;
    Ok(Config {
        target: Target {
            d,
            n,
            theta: params.num("theta")?,
            sigma: params.num("sigma")?,
            lambda: params.num("lambda")?,
        },
        depth,
        source,
        method,
        gd: gd::Settings {
            alpha: params.num("alpha")?,
            eta: params.num("eta")?,
            tol: params.num("tol")?,
            max_steps: params.size("max_steps")?,
        },
        richardson: method == Method::Gd && params.text("richardson")? == "yes",
    })
}

fn procedure(params: &ParamSet) -> Result<Procedure> {
    let word = params.text("procedure")?;
    Procedure::parse(word).ok_or_else(|| Error::input(format!("unknown procedure `{word}`")))
}

fn steps_converged(fits: &[Option<gd::Fit>]) -> (f64, f64) {
    let steps = fits.iter().flatten().map(|f| f.steps).sum::<usize>() as f64;
    (steps, if fits.iter().flatten().all(|f| f.converged) { 1.0 } else { 0.0 })
}

/// The risks of one trial's fits and the gradient-descent runs behind them.
struct Fits {
    risks: Vec<f64>,
    runs: Vec<Option<gd::Fit>>,
}

/// Runs `trial` at the configured step and, with `richardson`, again at half the step; `trial` draws from
/// clones of the same streams, so both runs see the same data and initialisations. Risks are then
/// 2 x(eta/2) - x(eta): the end point of gradient descent is a smooth function of the step, x(eta) =
/// x(0) + a eta + O(eta^2), x(0) being gradient flow.
fn richardson(cfg: &Config, trial: impl Fn(&Config) -> Result<Fits>) -> Result<Fits> {
    let coarse = trial(cfg)?;
    if !cfg.richardson {
        return Ok(coarse);
    }
    let fine = trial(&Config { gd: gd::Settings { eta: cfg.gd.eta / 2.0, ..cfg.gd }, ..*cfg })?;
    Ok(Fits {
        risks: fine.risks.iter().zip(&coarse.risks).map(|(f, c)| 2.0 * f - c).collect(),
        runs: [coarse.runs, fine.runs].concat(),
    })
}

/// `tahir.risk`: excess risk of one target procedure.
pub struct Risk;

const RISK_OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "risk", doc: "excess risk |beta_hat - beta_t|^2" },
    OutputSpec {
        name: "rank_ratio",
        doc: "sigma_2/sigma_1 of the pre-trained representation W_1...W_{L-1} (gd with lt/ft; 0 when no network is pre-trained)",
    },
    OutputSpec {
        name: "misalignment",
        doc: "1 - |M^T beta_s|^2/sigma_1(M)^2 of the pre-trained representation M (0 iff its top direction is beta_s)",
    },
    OutputSpec { name: "steps", doc: "gradient-descent steps of pre-training plus target training (0 for exact)" },
    OutputSpec { name: "converged", doc: "1 if every gradient-descent run met its tolerance, else 0" },
    OutputSpec {
        name: "exact_risk",
        doc: "risk of the closed-form fast path on the same source and target data (validates gd trial by trial)",
    },
];

/// The same trial computed with the closed-form fast paths.
fn exact_twin(cfg: &Config) -> Config {
    Config { method: Method::Exact, richardson: false, ..*cfg }
}

struct RiskRunner {
    cfg: Config,
    procedure: Procedure,
}

impl RiskRunner {
    /// Pre-training (unless scratch) and the target procedure: risk and the rank-one diagnostics.
    fn trial(&self, cfg: &Config, s: &Streams, data: &Data) -> Result<Fits> {
        let pre = if self.procedure == Procedure::Scratch { None } else { Some(pretrain(cfg, &mut s.pre.clone())?) };
        let rank = match pre.as_ref().and_then(|p| p.net.as_ref()) {
            Some(net) => net.rank_one(&beta_s(cfg.target.d))?,
            None => (0.0, 0.0),
        };
        let empty = Pretrained { beta: beta_s(1), net: None, fit: None };
        let outcome = train_target(cfg, self.procedure, pre.as_ref().unwrap_or(&empty), data, &mut s.init.clone())?;
        Ok(Fits { risks: vec![outcome.risk, rank.0, rank.1], runs: vec![pre.and_then(|p| p.fit), outcome.fit] })
    }
}

impl TrialRunner for RiskRunner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let s = streams(rng);
        let data = self.cfg.target.sample(&mut s.data.clone());
        let fits = richardson(&self.cfg, |cfg| self.trial(cfg, &s, &data))?;
        let (steps, converged) = steps_converged(&fits.runs);
        let exact = if self.cfg.method == Method::Exact {
            fits.risks[0]
        } else {
            self.trial(&exact_twin(&self.cfg), &s, &data)?.risks[0]
        };
        out.copy_from_slice(&[fits.risks[0], fits.risks[1], fits.risks[2], steps, converged, exact]);
        Ok(())
    }
}

impl Observable for Risk {
    fn name(&self) -> &'static str {
        "tahir.risk"
    }
    fn doc(&self) -> &'static str {
        "Deep linear network (depth L, width d), teachers at angle theta, n = gamma d noisy target samples: \
         pre-train on the source (population or n_s = gamma_s d samples), then train the target by \
         scratch / linear transfer (lt) / fine-tuning (ft); excess risk |beta_hat - beta_t|^2."
    }
    fn params(&self) -> &'static [ParamSpec] {
        &RISK_PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        RISK_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        Ok(Box::new(RiskRunner { cfg: config(params)?, procedure: procedure(params)? }))
    }
}

/// `tahir.transferability`: R_scratch - R_transfer on common target data.
pub struct Transferability;

const TRANSFER_OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "transfer", doc: "R_scratch - R_transfer on the same target data (> 0: positive transfer)" },
    OutputSpec { name: "r_scratch", doc: "excess risk of scratch training" },
    OutputSpec { name: "r_transfer", doc: "excess risk of the transfer procedure" },
    OutputSpec { name: "steps", doc: "gradient-descent steps in total (0 for exact)" },
    OutputSpec { name: "converged", doc: "1 if every gradient-descent run met its tolerance, else 0" },
    OutputSpec { name: "exact_transfer", doc: "transfer of the closed-form fast paths on the same data" },
    OutputSpec {
        name: "balanced_transfer",
        doc: "transfer of the fast paths with fine-tuning by gradient flow of the balanced rank-one network, on \
              the same data (equals exact_transfer for lt)",
    },
    OutputSpec {
        name: "transfer_cv",
        doc: "transfer - balanced_transfer + the mean of balanced_transfer - exact_transfer + E[exact_transfer] \
              over this trial's data and `replicates` fresh draws (E exact at finite d, n, n_s): an unbiased \
              estimate of E[transfer] with a smaller variance (ft; for lt, and where n_s is within 1 of d, \
              transfer itself)",
    },
];

struct TransferRunner {
    cfg: Config,
    procedure: Procedure,
    replicates: usize,
}

impl TransferRunner {
    /// The control variate of `transfer_cv`: the mean of T_balanced - T_exact + E[T_exact] over this
    /// trial's fast paths (`own` = [R_sc, R_exact, R_balanced]) and `replicates` fresh draws from `rng`.
    /// E[T_exact] is exact ([`projector_transfer_mean`]); so is the control variate's mean, E[T_balanced],
    /// whatever T_balanced is: transfer_cv = T - T_balanced + (control variate) is unbiased for E[T].
    /// None for lt, and where E[T_exact] is infinite: then `transfer_cv` is `transfer` itself.
    fn control_variate(&self, rng: &mut Rng, own: [f64; 3]) -> Result<Option<f64>> {
        let mean = projector_transfer_mean(&self.cfg.target, self.cfg.source);
        if self.procedure != Procedure::Finetune || !mean.is_finite() {
            return Ok(None);
        }
        let mut total = own[1] - own[2];
        for _ in 0..self.replicates {
            let s = streams(rng);
            let data = self.cfg.target.sample(&mut s.data.clone());
            let [_, exact, balanced] = fast_paths(&self.cfg, self.procedure, &s, &data)?;
            total += exact - balanced;
        }
        Ok(Some(total / (self.replicates + 1) as f64 + mean))
    }
}

/// Risks of the fast paths on one trial's data: scratch, the procedure, and the procedure with balanced
/// fine-tuning.
fn fast_paths(cfg: &Config, procedure: Procedure, s: &Streams, data: &Data) -> Result<[f64; 3]> {
    let cfg = exact_twin(cfg);
    let pre = pretrain(&cfg, &mut s.pre.clone())?;
    if procedure == Procedure::Finetune {
        // One factorisation of the target Gram matrix serves all three fits.
        let rows = exact::RowSpace::new(&data.x)?;
        let scratch = rows.min_norm(&data.y, None);
        let closest = rows.min_norm(&data.y, Some(&pre.beta));
        let balanced = exact::balanced(&rows, &scratch, &closest, &pre.beta, cfg.depth);
        return Ok([&scratch, &closest, &balanced].map(|b| cfg.target.risk(b)));
    }
    let risk =
        |cfg: &Config, p: Procedure| Ok::<f64, Error>(train_target(cfg, p, &pre, data, &mut s.init.clone())?.risk);
    let balanced = Config { method: Method::Balanced, ..cfg };
    Ok([risk(&cfg, Procedure::Scratch)?, risk(&cfg, procedure)?, risk(&balanced, procedure)?])
}

impl TrialRunner for TransferRunner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let s = streams(rng);
        let data = self.cfg.target.sample(&mut s.data.clone());
        let [sc_x, tr_x, tr_b] = fast_paths(&self.cfg, self.procedure, &s, &data)?;
        let (sc, tr, runs) = match self.cfg.method {
            Method::Exact => (sc_x, tr_x, Vec::new()),
            Method::Balanced => (sc_x, tr_b, Vec::new()),
            Method::Gd => {
                let fits = richardson(&self.cfg, |cfg| {
                    let pre = pretrain(cfg, &mut s.pre.clone())?;
                    let tr = train_target(cfg, self.procedure, &pre, &data, &mut s.init.clone())?;
                    let sc = train_target(cfg, Procedure::Scratch, &pre, &data, &mut s.init.clone())?;
                    Ok(Fits { risks: vec![sc.risk, tr.risk], runs: vec![pre.fit, tr.fit, sc.fit] })
                })?;
                (fits.risks[0], fits.risks[1], fits.runs)
            }
        };
        let (steps, converged) = steps_converged(&runs);
        let cv = self.control_variate(rng, [sc_x, tr_x, tr_b])?;
        let balanced = sc_x - tr_b;
        let transfer_cv = cv.map_or(sc - tr, |cv| sc - tr - balanced + cv);
        out.copy_from_slice(&[sc - tr, sc, tr, steps, converged, sc_x - tr_x, balanced, transfer_cv]);
        Ok(())
    }
}

impl Observable for Transferability {
    fn name(&self) -> &'static str {
        "tahir.transferability"
    }
    fn doc(&self) -> &'static str {
        "Transferability R_scratch - R_transfer of linear transfer (lt) or fine-tuning (ft), both trained on \
         the same n = gamma d target samples after one pre-training (see tahir.risk)."
    }
    fn params(&self) -> &'static [ParamSpec] {
        &TRANSFER_PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        TRANSFER_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        Ok(Box::new(TransferRunner {
            cfg: config(params)?,
            procedure: procedure(params)?,
            replicates: params.size("replicates")?,
        }))
    }
}

/// `tahir.relu_projection`: |P_perp f_t|^2 / |f_t|^2 for the arc-cosine kernel.
pub struct ReluProjection;

const RELU_PARAMS: &[ParamSpec] = &[
    spec("d", Kind::Count(2, 100_000), "100", "input dimension d"),
    spec("m", Kind::Count(1, 20_000), "100", "number m* of unit teacher neurons (output weights 1/m*)"),
    spec("mu", Kind::Real("[0, 1]"), "0.2", "fraction of teacher neurons removed from the source (mu m* whole)"),
    spec("n", Kind::Count(1, 10_000_000), "2000", "samples of the linear-transfer fit (lt_error only)"),
    spec("n_test", Kind::Count(1, 10_000_000), "2000", "fresh test samples measuring lt_error"),
];

const RELU_OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "fraction", doc: "|P_perp f_t|^2 / |f_t|^2, the target's part outside the source span" },
    OutputSpec {
        name: "lt_error",
        doc: "relative test error of least squares on the source neurons' features from n samples (linear transfer)",
    },
];

struct ReluRunner {
    d: usize,
    m: usize,
    removed: usize,
    n: usize,
    n_test: usize,
}

impl TrialRunner for ReluRunner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let w = relu::teacher(rng, self.d, self.m);
        out[0] = relu::projection_fraction(&w, self.removed)?;
        out[1] = relu::lt_error(rng, &w, self.removed, self.n, self.n_test)?;
        Ok(())
    }
}

impl Observable for ReluProjection {
    fn name(&self) -> &'static str {
        "tahir.relu_projection"
    }
    fn doc(&self) -> &'static str {
        "ReLU teacher of m* random unit neurons in dimension d; the source keeps a fraction 1 - mu of them. \
         Fraction of the target's L2 norm outside the span of the source neurons (arc-cosine kernel), and the \
         test error of linear transfer on the source neurons' features from n samples."
    }
    fn params(&self) -> &'static [ParamSpec] {
        RELU_PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        RELU_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        let (d, m, mu) = (params.size("d")?, params.size("m")?, params.num("mu")?);
        let r = mu * m as f64;
        if (r - r.round()).abs() > 1e-9 * m as f64 {
            return Err(Error::input(format!("mu * m = {mu} * {m} = {r} is not a whole number of neurons")));
        }
        let (n, n_test) = (params.size("n")?, params.size("n_test")?);
        check_memory(8.0 * ((m * m + d * m) as f64 * 3.0 + (n.max(n_test) * (d + 2 * m)) as f64), "relu projection")?;
        Ok(Box::new(ReluRunner { d, m, removed: r.round() as usize, n, n_test }))
    }
}

/// `tahir.relu_student`: the mean-field two-layer ReLU student of the nonlinear extension at reduced size.
pub struct ReluStudent;

const STUDENT_PARAMS: &[ParamSpec] = &[
    spec("d", Kind::Count(2, 10_000), "20", "input dimension d"),
    spec("m", Kind::Count(1, 10_000), "20", "number m* of unit teacher neurons (output weights 1/m*)"),
    spec("width", Kind::Count(1, 100_000), "200", "student width N (mean-field scaling 1/N)"),
    spec("mu", Kind::Real("[0, 1]"), "0.5", "fraction of teacher neurons removed from the source (mu m* whole)"),
    spec("n", Kind::Count(1, 1_000_000), "100", "target training samples (linear transfer and scratch)"),
    spec("n_source", Kind::Count(1, 1_000_000), "400", "source samples of the student's pre-training"),
    spec("steps", Kind::Count(1, 1_000_000), "1000", "full-batch GD steps of pre-training"),
    spec(
        "scratch_steps",
        Kind::Count(0, 1_000_000),
        "1000",
        "full-batch GD steps of scratch training (0: scratch_error of the untrained student)",
    ),
    spec("lr", Kind::Real("(0, 100]"), "0.5", "mean-field learning rate (per-parameter step lr N dL/dtheta)"),
    spec(
        "float",
        Kind::Choice(&["f64", "f32"]),
        "f64",
        "arithmetic of the gradient-descent training (f32: twice the matrix-product throughput)",
    ),
    spec("ridge", Kind::Real("[0, 10]"), "1e-4", "ridge of the linear-transfer readout (0: least squares / min-norm)"),
    spec("n_test", Kind::Count(1, 1_000_000), "2000", "fresh test samples of the relative errors"),
];

const STUDENT_OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "lt_error",
        doc: "relative test error |f_t - f|^2/|f_t|^2 of linear transfer: readout refitted by least squares on n \
              target samples over the features of the student pre-trained on the source teacher",
    },
    OutputSpec {
        name: "scratch_error",
        doc: "relative test error of the student trained from scratch on n target samples",
    },
    OutputSpec { name: "fraction", doc: "|P_perp f_t|^2 / |f_t|^2 of the same teacher (arc-cosine kernel)" },
    OutputSpec { name: "source_loss", doc: "training loss (1/2 n_s) |f - y|^2 at the end of pre-training" },
    OutputSpec {
        name: "span_fraction",
        doc: "|P_perp f_t|^2 / |f_t|^2 outside the span of the pre-trained student's N features (arc-cosine \
              kernel of its neurons): the n -> infinity limit of lt_error",
    },
];

/// Which outputs a student trial computes (the others are left unwritten).
struct Wanted {
    lt: bool,
    scratch: bool,
    fraction: bool,
    source_loss: bool,
    span: bool,
}

impl Wanted {
    fn new(read: &[&str]) -> Wanted {
        let has = |name: &str| read.contains(&name);
        Wanted {
            lt: has("lt_error"),
            scratch: has("scratch_error"),
            fraction: has("fraction"),
            source_loss: has("source_loss"),
            span: has("span_fraction"),
        }
    }
}

struct StudentRunner {
    d: usize,
    m: usize,
    width: usize,
    removed: usize,
    n: usize,
    n_source: usize,
    steps: usize,
    scratch_steps: usize,
    lr: f64,
    f32: bool,
    ridge: f64,
    n_test: usize,
    wanted: Wanted,
}

impl StudentRunner {
    /// Gradient descent for `steps` steps in the configured float; the final training loss.
    fn train(&self, s: &mut student::Student, x: &Mat<f64>, y: &Col<f64>, steps: usize) -> f64 {
        if self.f32 {
            student::train_in::<f32>(s, x, y, self.lr, steps)
        } else {
            student::train_in::<f64>(s, x, y, self.lr, steps)
        }
    }
}

impl TrialRunner for StudentRunner {
    /// Every random number is drawn whatever is wanted (the two initialisations before any training,
    /// which draws none), so an output has the same value whichever others are computed.
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let w = relu::teacher(rng, self.d, self.m);
        let kept = self.m - self.removed;
        let (xs, ys) = student::teacher_data(rng, &w, kept, self.n_source);
        let (x, y) = student::teacher_data(rng, &w, self.m, self.n);
        let (xt, yt) = student::teacher_data(rng, &w, self.m, self.n_test);
        let mut pre = student::Student::init(rng, self.d, self.width);
        let mut scratch = student::Student::init(rng, self.d, self.width);
        let want = &self.wanted;
        if want.lt || want.source_loss || want.span {
            out[3] = self.train(&mut pre, &xs, &ys, self.steps);
        }
        if want.lt {
            out[0] = student::linear_transfer_error(&pre, &x, &y, self.ridge, &xt, &yt)?;
        }
        if want.span {
            out[4] = student::span_fraction(&pre, &w)?;
        }
        if want.scratch {
            self.train(&mut scratch, &x, &y, self.scratch_steps);
            out[1] = student::relative_error(&scratch.predict(&xt), &yt);
        }
        if want.fraction {
            out[2] = relu::projection_fraction(&w, self.removed)?;
        }
        Ok(())
    }
}

impl Observable for ReluStudent {
    fn name(&self) -> &'static str {
        "tahir.relu_student"
    }
    fn doc(&self) -> &'static str {
        "Mean-field two-layer ReLU student f(x) = (1/N) sum_i a_i relu(v_i . x) against a teacher of m* unit \
         neurons; the source teacher drops a fraction mu of them. Full-batch GD (f64, or f32) pre-training on n_source \
         source samples, then linear transfer (readout refitted on n target samples) versus scratch training on \
         the same n samples; relative test errors, and the target's part outside the span of the teacher's source \
         neurons (fraction) and of the pre-trained student's features (span_fraction)."
    }
    fn params(&self) -> &'static [ParamSpec] {
        STUDENT_PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        STUDENT_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, seed: u64) -> Result<Box<dyn TrialRunner>> {
        let all: Vec<&str> = STUDENT_OUTPUTS.iter().map(|o| o.name).collect();
        self.prepare_reading(params, seed, &all)
    }
    fn prepare_reading(&self, params: &ParamSet, _seed: u64, read: &[&str]) -> Result<Box<dyn TrialRunner>> {
        let (d, m, mu) = (params.size("d")?, params.size("m")?, params.num("mu")?);
        let r = mu * m as f64;
        if (r - r.round()).abs() > 1e-9 * m as f64 {
            return Err(Error::input(format!("mu * m = {mu} * {m} = {r} is not a whole number of neurons")));
        }
        let (width, n, n_source, n_test) =
            (params.size("width")?, params.size("n")?, params.size("n_source")?, params.size("n_test")?);
        let rows = n.max(n_source).max(n_test);
        check_memory(
            8.0 * (rows * (d + 3 * width) + 3 * d * width + 3 * width * width + m * m) as f64,
            "relu student",
        )?;
        Ok(Box::new(StudentRunner {
            d,
            m,
            width,
            removed: r.round() as usize,
            n,
            n_source,
            steps: params.size("steps")?,
            scratch_steps: params.size("scratch_steps")?,
            lr: params.num("lr")?,
            f32: params.text("float")? == "f32",
            ridge: params.num("ridge")?,
            n_test,
            wanted: Wanted::new(read),
        }))
    }
}
