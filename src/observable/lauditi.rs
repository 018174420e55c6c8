//! Observables of Lauditi, Bordelon, Pehlevan (arXiv 2507.04448 v2), two-layer muP linear network.

use faer::{Col, Mat};

use super::{Observable, OutputSpec, TrialRunner, check_memory};
use crate::error::{Error, Result};
use crate::params::{Kind, ParamSet, ParamSpec};
use crate::rng::{Rng, derive};
use crate::sim::gaussian::unit_vector_orthogonal_to;
use crate::sim::lauditi::finetune::{Reduced, SIGNAL_DIM, TargetTask, fast_supports, loss_dense, loss_fast};
use crate::sim::lauditi::pretrain::{
    Integrator, Pretrained, SourceTask, Spike, Training, Width, memory_bytes, pretrain,
};
use crate::sim::sample_count;

pub(super) const D: ParamSpec =
    ParamSpec { name: "d", kind: Kind::Count(2, 1_000_000), default: "200", doc: "input dimension D", used_when: None };
const WIDTH_DOC: &str = "hidden width N of the pre-trained network, or inf for the exact infinite-width dynamics";
const NU1_DOC: &str = "source data ratio P1/D (nu1 d a whole number); inf = population source loss";

/// Stage-1 parameters shared by the pre-training observables (richness is named by each observable).
pub(super) const GAMMA1: ParamSpec = ParamSpec {
    name: "gamma1",
    kind: Kind::Real("(0, inf)"),
    default: "1",
    doc: "feature-learning richness gamma1 of pre-training (muP, unit-coefficient convention)",
    used_when: None,
};
pub(super) const WIDTH: ParamSpec = ParamSpec {
    name: "width",
    kind: Kind::CountOrInf(1, 100_000_000),
    default: "inf",
    doc: WIDTH_DOC,
    used_when: None,
};
pub(super) const NU1: ParamSpec =
    ParamSpec { name: "nu1", kind: Kind::RealOrInf("(0, inf)"), default: "inf", doc: NU1_DOC, used_when: None };
pub(super) const SIGMA_S: ParamSpec = ParamSpec {
    name: "sigma_s",
    kind: Kind::Real("[0, inf)"),
    default: "0",
    doc: "source label-noise standard deviation (finite nu1 only)",
    used_when: None,
};
pub(super) const LAMBDA_WD: ParamSpec = ParamSpec {
    name: "lambda_wd",
    kind: Kind::Real("[0, inf)"),
    default: "0",
    doc: "stage-1 weight decay on all weights (0 = plain gradient flow); with it, tol bounds the relative speed",
    used_when: None,
};
pub(super) const INTEGRATOR: ParamSpec = ParamSpec {
    name: "integrator",
    kind: Kind::Choice(&["flow", "gd"]),
    default: "flow",
    doc: "flow = exact flow over each step with the gradient frozen; gd = plain gradient descent",
    used_when: None,
};
pub(super) const ETA0: ParamSpec = ParamSpec {
    name: "eta0",
    kind: Kind::Real("(0, 1.9]"),
    default: "0.5",
    doc: "step scale: dt = eta0 / (2 E[z^2] lambda_max(source covariance))",
    used_when: None,
};
pub(super) const TOL: ParamSpec = ParamSpec {
    name: "tol",
    kind: Kind::Real("(0, 1)"),
    default: "1e-9",
    doc: "stop when |v| < tol (no weight decay) or the relative speed of the weights < tol (weight decay; use >= 1e-7)",
    used_when: None,
};
pub(super) const MAX_STEPS: ParamSpec = ParamSpec {
    name: "max_steps",
    kind: Kind::Count(1, 1_000_000_000),
    default: "1000000",
    doc: "error out if not converged after this many steps",
    used_when: None,
};

/// Target-task parameters shared by the fine-tuning observables.
pub(super) const NU2: ParamSpec = ParamSpec {
    name: "nu2",
    kind: Kind::Real("(0, inf)"),
    default: "0.5",
    doc: "target data ratio P2/D; P2 = nu2 d must be a whole number >= 1",
    used_when: None,
};
pub(super) const ALPHA_S: ParamSpec = ParamSpec {
    name: "alpha_s",
    kind: Kind::Real("[-1, 1]"),
    default: "0.5",
    doc: "alignment b_s . b_t of unit source and target teachers",
    used_when: None,
};
pub(super) const SIGMA: ParamSpec = ParamSpec {
    name: "sigma",
    kind: Kind::Real("[0, inf)"),
    default: "0",
    doc: "target label-noise standard deviation",
    used_when: None,
};

pub(super) fn stage1_training(gamma: f64, params: &ParamSet) -> Result<Training> {
    let integrator = match params.text("integrator").unwrap_or("flow") {
        "gd" => Integrator::Gd,
        _ => Integrator::Flow,
    };
    Ok(Training {
        gamma,
        eta0: params.num("eta0").unwrap_or(0.5),
        tol: params.num("tol").unwrap_or(1e-9),
        max_steps: params.count("max_steps").ok().flatten().unwrap_or(1_000_000),
        integrator,
        weight_decay: params.num("lambda_wd").unwrap_or(0.0),
    })
}

pub(super) fn source_task(params: &ParamSet) -> Result<(SourceTask, Width)> {
    let d = params.size("d")?;
    let nu1 = params.num("nu1")?;
    if nu1.is_finite() {
        sample_count("nu1", nu1, d)?; // validate now rather than in the first trial
    }
    let task = SourceTask { d, nu1: nu1.is_finite().then_some(nu1), sigma_s: params.num("sigma_s").unwrap_or(0.0) };
    let width = params.count("width")?.map_or(Width::Infinite, Width::Finite);
    check_memory(memory_bytes(&task, width), "pre-training")?;
    Ok((task, width))
}

/// `lauditi.kernel_spike`: pre-train and measure the feature kernel along the learned direction.
pub struct KernelSpike;

const SPIKE_PARAMS: &[ParamSpec] =
    &[D, ParamSpec { name: "gamma", ..GAMMA1 }, WIDTH, NU1, SIGMA_S, INTEGRATOR, ETA0, TOL, MAX_STEPS];

const SPIKE_OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "spike", doc: "r^T (M - I) r along r = beta_hat/|beta_hat| (the printed chi)" },
    OutputSpec { name: "ez2", doc: "E[z^2], mean squared readout weight" },
    OutputSpec { name: "q", doc: "|beta_hat|^2, squared norm of the learned predictor" },
    OutputSpec { name: "off_spike", doc: "Frobenius norm of M - I - spike r r^T (0 iff M is exactly I + spike r r^T)" },
    OutputSpec { name: "steps", doc: "training steps taken" },
];

struct SpikeRunner {
    task: SourceTask,
    training: Training,
    width: Width,
}

impl TrialRunner for SpikeRunner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let pre = pretrain(&self.task, &self.training, self.width, rng)?;
        let s = pre.spike();
        out.copy_from_slice(&[s.value, pre.ez2, s.q, s.off, pre.steps as f64]);
        Ok(())
    }
}

impl Observable for KernelSpike {
    fn name(&self) -> &'static str {
        "lauditi.kernel_spike"
    }
    fn doc(&self) -> &'static str {
        "Train the two-layer linear muP network on the source task (population loss, or P1 = nu1 D samples) \
         to convergence and measure the feature kernel M = (1/N) sum_i w_i w_i^T along the learned direction."
    }
    fn params(&self) -> &'static [ParamSpec] {
        SPIKE_PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        SPIKE_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        let (task, width) = source_task(params)?;
        let training = stage1_training(params.num("gamma")?, params)?;
        Ok(Box::new(SpikeRunner { task, training, width }))
    }
}

/// `lauditi.finetune_loss`: readout fine-tuning on the adapted kernel.
pub struct FinetuneLoss;

const FINETUNE_PARAMS: &[ParamSpec] = &[
    ParamSpec { default: "400", ..D },
    NU2,
    ALPHA_S,
    ParamSpec {
        name: "kernel",
        kind: Kind::Choice(&["ideal", "spiked2", "pretrained"]),
        default: "ideal",
        doc: "ideal = I + chi b_s b_s^T; spiked2 = claim 3's form I + c2 b_s b_s^T + c1 (g b_s^T + b_s g^T) + c3 g g^T \
              with g a unit vector orthogonal to b_s; pretrained = M from a lauditi.kernel_spike pre-training",
        used_when: None,
    },
    ParamSpec {
        name: "c1",
        kind: Kind::Real("(-inf, inf)"),
        default: "0",
        doc: "crosstalk coefficient ((1 + c2)(1 + c3) > c1^2 keeps M positive definite)",
        used_when: Some(("kernel", "spiked2")),
    },
    ParamSpec {
        name: "c2",
        kind: Kind::Real("(-1, inf)"),
        default: "1",
        doc: "signal coefficient along b_s",
        used_when: Some(("kernel", "spiked2")),
    },
    ParamSpec {
        name: "c3",
        kind: Kind::Real("(-1, inf)"),
        default: "0",
        doc: "noise-spike coefficient along g",
        used_when: Some(("kernel", "spiked2")),
    },
    ParamSpec {
        name: "alpha_g",
        kind: Kind::Real("[-1, 1]"),
        default: "0",
        doc: "target overlap g . b_t (alpha_s^2 + alpha_g^2 <= 1)",
        used_when: Some(("kernel", "spiked2")),
    },
    ParamSpec {
        name: "chi",
        kind: Kind::Real("[0, inf)"),
        default: "1",
        doc: "spike of the ideal kernel",
        used_when: Some(("kernel", "ideal")),
    },
    ParamSpec {
        name: "gamma1",
        kind: Kind::Real("(0, inf)"),
        default: "1",
        doc: "richness of the pre-training",
        used_when: Some(("kernel", "pretrained")),
    },
    ParamSpec {
        name: "width",
        kind: Kind::CountOrInf(1, 100_000_000),
        default: "inf",
        doc: WIDTH_DOC,
        used_when: Some(("kernel", "pretrained")),
    },
    ParamSpec {
        name: "nu1",
        kind: Kind::RealOrInf("(0, inf)"),
        default: "inf",
        doc: NU1_DOC,
        used_when: Some(("kernel", "pretrained")),
    },
    ParamSpec {
        name: "lambda",
        kind: Kind::Real("[0, inf)"),
        default: "0",
        doc: "ridge lambda of the readout refit (0 = ridgeless)",
        used_when: None,
    },
    SIGMA,
    ParamSpec {
        name: "method",
        kind: Kind::Choice(&["auto", "fast", "dense"]),
        default: "auto",
        doc: "fast = rotational-invariance path (O(P2) per trial), dense = explicit Gram matrix; auto picks fast when exact",
        used_when: None,
    },
];

const FINETUNE_OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "loss", doc: "test loss |beta_hat_2 - b_t|^2 (noise floor excluded)" },
    OutputSpec { name: "spike", doc: "spike of the kernel used, r^T (M - I) r" },
    OutputSpec { name: "rho", doc: "overlap r . b_t of the spike direction with the target teacher" },
    OutputSpec {
        name: "gain",
        doc: "lazy loss (kernel I, same target samples) minus loss: > 0 when pre-training helps",
    },
];

/// Where the kernel comes from.
enum KernelSource {
    /// A kernel given in closed form, already reduced to its signal subspace; `spike` and `rho` are
    /// its largest spike and that spike direction's overlap with the target.
    Ideal { red: Reduced, spike: f64, rho: f64 },
    /// Pre-trained once (deterministic: infinite width, population source).
    Fixed(Box<(Pretrained, Spike)>),
    /// Pre-trained in every trial.
    PerTrial { task: SourceTask, training: Training, width: Width },
}

struct FinetuneRunner {
    alpha_s: f64,
    task: TargetTask,
    kernel: KernelSource,
    fast: bool,
}

/// Exactly-spiked kernels are those with off-spike part below this (relative to 1 + spike).
const EXACT_SPIKE_TOL: f64 = 1e-8;

impl FinetuneRunner {
    fn run_pretrained(
        &self,
        pre: &Pretrained,
        spike: &Spike,
        scratch: &mut Vec<f64>,
        rng: &mut Rng,
        out: &mut [f64],
    ) -> Result<()> {
        let b_perp = unit_vector_orthogonal_to(rng, &pre.b_s);
        let b_t: Col<f64> = &pre.b_s * self.alpha_s + b_perp * (1.0 - self.alpha_s * self.alpha_s).max(0.0).sqrt();
        let rho = spike.r.transpose() * &b_t;
        let loss = if self.fast {
            if spike.off > EXACT_SPIKE_TOL * (1.0 + spike.value.abs()) {
                return Err(Error::numerical(format!(
                    "method=fast needs an exactly spiked kernel, but its off-spike part is {:.2e}",
                    spike.off
                )));
            }
            let lazy = Reduced::spiked(0.0, spike.r.as_ref(), b_t.as_ref())?;
            let lazy = loss_fast(&lazy, &self.task, &mut rng.clone(), scratch)?;
            (loss_fast(&Reduced::spiked(spike.value, spike.r.as_ref(), b_t.as_ref())?, &self.task, rng, scratch)?, lazy)
        } else {
            let lazy = loss_dense(
                Mat::<f64>::identity(b_t.nrows(), b_t.nrows()).as_ref(),
                b_t.as_ref(),
                &self.task,
                &mut rng.clone(),
            )?;
            (loss_dense(pre.m.as_ref(), b_t.as_ref(), &self.task, rng)?, lazy)
        };
        out.copy_from_slice(&[loss.0, spike.value, rho, loss.1 - loss.0]);
        Ok(())
    }
}

impl TrialRunner for FinetuneRunner {
    fn run(&self, scratch: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        match &self.kernel {
            KernelSource::Ideal { red, spike, rho } => {
                let (loss, lazy) = if self.fast {
                    let lazy = loss_fast(&red.lazy()?, &self.task, &mut rng.clone(), scratch)?;
                    (loss_fast(red, &self.task, rng, scratch)?, lazy)
                } else {
                    let (m, b_t) = red.embed(rng);
                    let eye = Mat::<f64>::identity(b_t.nrows(), b_t.nrows());
                    let lazy = loss_dense(eye.as_ref(), b_t.as_ref(), &self.task, &mut rng.clone())?;
                    (loss_dense(m.as_ref(), b_t.as_ref(), &self.task, rng)?, lazy)
                };
                out.copy_from_slice(&[loss, *spike, *rho, lazy - loss]);
                Ok(())
            }
            KernelSource::Fixed(fixed) => self.run_pretrained(&fixed.0, &fixed.1, scratch, rng, out),
            KernelSource::PerTrial { task, training, width } => {
                let pre = pretrain(task, training, *width, rng)?;
                self.run_pretrained(&pre, &pre.spike(), scratch, rng, out)
            }
        }
    }
}

/// Claim 3's kernel in the orthonormal basis (b_s, g, n) with b_t = alpha_s b_s + alpha_g g + t3 n:
/// K = [[1 + c2, c1, 0], [c1, 1 + c3, 0], [0, 0, 1]].
fn spiked2(d: usize, alpha_s: f64, params: &ParamSet) -> Result<KernelSource> {
    let (c1, c2, c3, alpha_g) = (params.num("c1")?, params.num("c2")?, params.num("c3")?, params.num("alpha_g")?);
    let rest = 1.0 - alpha_s * alpha_s - alpha_g * alpha_g;
    if rest < -1e-12 {
        return Err(Error::input(format!("alpha_s^2 + alpha_g^2 must be <= 1 (got {alpha_s}, {alpha_g})")));
    }
    if (1.0 + c2) * (1.0 + c3) <= c1 * c1 {
        return Err(Error::input(format!(
            "kernel=spiked2 is not positive definite: (1 + c2)(1 + c3) = {} <= c1^2 = {}",
            (1.0 + c2) * (1.0 + c3),
            c1 * c1
        )));
    }
    if d < 4 {
        return Err(Error::input("kernel=spiked2 needs d >= 4"));
    }
    let t3 = rest.max(0.0).sqrt();
    let red =
        Reduced::new(d, 1.0, vec![1.0 + c2, c1, 0.0, c1, 1.0 + c3, 0.0, 0.0, 0.0, 1.0], vec![alpha_s, alpha_g, t3])?;
    // Largest eigenvalue of the plane block [[c2, c1], [c1, c3]] and its unit eigenvector (cos, sin).
    let (m, h) = ((c2 + c3) / 2.0, ((c2 - c3) / 2.0).hypot(c1));
    let angle = 0.5 * (2.0 * c1).atan2(c2 - c3);
    Ok(KernelSource::Ideal { red, spike: m + h, rho: angle.cos() * alpha_s + angle.sin() * alpha_g })
}

impl Observable for FinetuneLoss {
    fn name(&self) -> &'static str {
        "lauditi.finetune_loss"
    }
    fn doc(&self) -> &'static str {
        "Readout fine-tuning (gamma2 -> 0): reset the readout and refit it by kernel regression with the frozen \
         feature kernel on P2 = nu2 D fresh target samples, y = b_t . x + sigma eps; return |beta_hat_2 - b_t|^2."
    }
    fn params(&self) -> &'static [ParamSpec] {
        FINETUNE_PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        FINETUNE_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, seed: u64) -> Result<Box<dyn TrialRunner>> {
        let d = params.size("d")?;
        let p = sample_count("nu2", params.num("nu2")?, d)?;
        let alpha_s = params.num("alpha_s")?;
        let task = TargetTask { p, lambda: params.num("lambda")?, sigma: params.num("sigma")? };
        let method = params.text("method")?;
        let (kernel, exact) = match params.text("kernel")? {
            "ideal" => {
                let chi = params.num("chi")?;
                (KernelSource::Ideal { red: Reduced::ideal(d, chi, alpha_s)?, spike: chi, rho: alpha_s }, true)
            }
            "spiked2" => (spiked2(d, alpha_s, params)?, true),
            _ => {
                let (src, width) = source_task(params)?;
                let training = stage1_training(params.num("gamma1")?, params)?;
                let exact = width == Width::Infinite;
                if exact && src.nu1.is_none() {
                    let mut rng = <Rng as rand::SeedableRng>::seed_from_u64(derive(seed, &[u64::MAX]));
                    let pre = pretrain(&src, &training, width, &mut rng)?;
                    let spike = pre.spike();
                    (KernelSource::Fixed(Box::new((pre, spike))), true)
                } else {
                    (KernelSource::PerTrial { task: src, training, width }, exact)
                }
            }
        };
        // The fast path needs an exactly spiked kernel and a supported (P2, lambda) regime.
        let k = match &kernel {
            KernelSource::Ideal { red, .. } => red.dim(),
            _ => SIGNAL_DIM,
        };
        let fast_ok = exact && fast_supports(d, k, &task).is_ok();
        let fast = match method {
            "fast" if !exact => {
                return Err(Error::input("method=fast needs an exactly spiked kernel (kernel=ideal or width=inf)"));
            }
            "fast" => {
                fast_supports(d, k, &task)?;
                true
            }
            "dense" => false,
            _ => fast_ok,
        };
        let (p_f, d_f) = (p as f64, d as f64);
        if fast {
            // Least squares (lambda = 0, P2 >= D) works in D dimensions, the dual path in P2.
            let n = if task.lambda == 0.0 && p >= d { 6.0 * d_f } else { 10.0 * p_f };
            check_memory(8.0 * n, "fast fine-tuning")?;
        } else {
            check_memory(8.0 * (2.0 * p_f * d_f + d_f * d_f + p_f * p_f), "dense fine-tuning")?;
        }
        Ok(Box::new(FinetuneRunner { alpha_s, task, kernel, fast }))
    }
}
