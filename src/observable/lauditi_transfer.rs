//! Observables of Lauditi, Bordelon, Pehlevan (arXiv 2507.04448 v2) for finite source data:
//! the kernel coefficients of claim 3 and the transfer loss of every fine-tuning variant.

use faer::Col;

use super::lauditi::{
    ALPHA_S, D, ETA0, GAMMA1, INTEGRATOR, LAMBDA_WD, MAX_STEPS, NU1, NU2, SIGMA, SIGMA_S, TOL, WIDTH, source_task,
    stage1_training,
};
use super::{Observable, OutputSpec, TrialRunner, check_memory};
use crate::error::{Error, Result};
use crate::params::{Kind, ParamSet, ParamSpec};
use crate::rng::{Rng, derive};
use crate::sim::gaussian::normal_col;
use crate::sim::lauditi::finetune::{Reduced, TargetTask, fast_supports, loss_fast};
use crate::sim::lauditi::pretrain::{IsoSpike, Pretrained, SourceTask, Training, Width, pretrain};
use crate::sim::lauditi::transfer::{TargetData, Variant, finetune_loss, memory_bytes};
use crate::sim::sample_count;

const STAGE1: &[ParamSpec] = &[GAMMA1, WIDTH, NU1, SIGMA_S, LAMBDA_WD, INTEGRATOR, ETA0, TOL, MAX_STEPS];

/// Pre-training shared by the observables: once (population source, infinite width: deterministic) or
/// in every trial.
enum Stage1 {
    Once(Box<Pretrained>),
    PerTrial { task: SourceTask, training: Training, width: Width },
}

impl Stage1 {
    fn prepare(params: &ParamSet, seed: u64) -> Result<Stage1> {
        let (task, width) = source_task(params)?;
        let training = stage1_training(params.num("gamma1")?, params)?;
        if task.nu1.is_none() && width == Width::Infinite {
            let mut rng = <Rng as rand::SeedableRng>::seed_from_u64(derive(seed, &[u64::MAX]));
            Ok(Stage1::Once(Box::new(pretrain(&task, &training, width, &mut rng)?)))
        } else {
            Ok(Stage1::PerTrial { task, training, width })
        }
    }

    /// Runs `f` on this trial's pre-trained network.
    fn with<T>(&self, rng: &mut Rng, f: impl FnOnce(&Pretrained, &mut Rng) -> Result<T>) -> Result<T> {
        match self {
            Stage1::Once(pre) => f(pre, rng),
            Stage1::PerTrial { task, training, width } => {
                let pre = pretrain(task, training, *width, rng)?;
                f(&pre, rng)
            }
        }
    }
}

/// `lauditi.finite_source_kernel`: the coefficients of M - I in the (b_s, g_hat) plane.
pub struct FiniteSourceKernel;

const KERNEL_OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "c2", doc: "b_s^T (M - I) b_s (signal)" },
    OutputSpec { name: "c1", doc: "b_s^T (M - I) g_hat (crosstalk)" },
    OutputSpec { name: "c3", doc: "g_hat^T (M - I) g_hat (noise spike)" },
    OutputSpec { name: "q", doc: "|beta_hat|^2" },
    OutputSpec { name: "off_plane", doc: "Frobenius norm of the part of M - I outside the (b_s, g_hat) plane" },
    OutputSpec { name: "iso", doc: "mean diagonal of M outside the plane (1 without weight decay)" },
    OutputSpec { name: "steps", doc: "stage-1 training steps" },
];

const KERNEL_PARAMS: &[ParamSpec] = &[
    ParamSpec { kind: Kind::Count(3, 1_000_000), ..D },
    GAMMA1,
    WIDTH,
    NU1,
    SIGMA_S,
    LAMBDA_WD,
    INTEGRATOR,
    ETA0,
    TOL,
    MAX_STEPS,
];

struct KernelRunner(Stage1);

impl TrialRunner for KernelRunner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        self.0.with(rng, |pre, rng| {
            let plane = pre.source_plane(rng);
            let q = pre.beta_hat.squared_norm_l2();
            out.copy_from_slice(&[plane.c2, plane.c1, plane.c3, q, plane.off, plane.iso, pre.steps as f64]);
            Ok(())
        })
    }
}

impl Observable for FiniteSourceKernel {
    fn name(&self) -> &'static str {
        "lauditi.finite_source_kernel"
    }
    fn doc(&self) -> &'static str {
        "Pre-train on the source (population or P1 = nu1 D samples, optional label noise and weight decay) and \
         project the feature kernel: M - I = c2 b_s b_s^T + c1 (g_hat b_s^T + b_s g_hat^T) + c3 g_hat g_hat^T + rest, \
         g_hat the unit vector along the part of beta_hat orthogonal to b_s."
    }
    fn params(&self) -> &'static [ParamSpec] {
        KERNEL_PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        KERNEL_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, seed: u64) -> Result<Box<dyn TrialRunner>> {
        Ok(Box::new(KernelRunner(Stage1::prepare(params, seed)?)))
    }
}

/// `lauditi.transfer_loss`: pre-train, fine-tune on the target with one variant, compare with lazy.
pub struct TransferLoss;

const TRANSFER_OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "loss", doc: "target test loss |beta_hat_2 - b_t|^2 after fine-tuning the pre-trained network" },
    OutputSpec { name: "lazy", doc: "the same with the lazy kernel (gamma1 = 0) on the same target samples" },
    OutputSpec { name: "gain", doc: "lazy - loss (positive: pre-training helps)" },
    OutputSpec {
        name: "rho",
        doc: "r . b_t, overlap of the learned direction r = beta_hat/|beta_hat| with the target",
    },
    OutputSpec { name: "chi", doc: "r^T (M - I) r, the learned spike" },
];

const TARGET_PARAMS: &[ParamSpec] = &[
    NU2,
    ALPHA_S,
    ParamSpec {
        name: "alpha_g",
        kind: Kind::Real("[-1, 1]"),
        default: "0",
        doc: "target overlap g_hat . b_t with this run's g_hat (alpha_s^2 + alpha_g^2 <= 1)",
        used_when: None,
    },
    ParamSpec {
        name: "variant",
        kind: Kind::Choice(&["readout", "ridge", "early_stop", "ntk"]),
        default: "readout",
        doc: "readout = ridgeless refit; ridge = ridge lambda; early_stop = `steps` GD steps on the readout at step \
              1/lambda_max(X K X^T / P2); ntk = lazy training of all weights (kernel M + E[z^2] I)",
        used_when: None,
    },
    ParamSpec {
        name: "lambda",
        kind: Kind::Real("(0, inf)"),
        default: "0.01",
        doc: "ridge lambda (objective normalised by P2)",
        used_when: Some(("variant", "ridge")),
    },
    ParamSpec {
        name: "steps",
        kind: Kind::Count(0, 100_000_000),
        default: "100",
        doc: "early-stopping time T2 in gradient steps",
        used_when: Some(("variant", "early_stop")),
    },
    SIGMA,
    ParamSpec {
        name: "repeats",
        kind: Kind::Count(1, 1_000_000),
        default: "1",
        doc: "independent target draws per pre-trained network; a trial's outputs are their averages",
        used_when: None,
    },
    ParamSpec {
        name: "method",
        kind: Kind::Choice(&["auto", "fast", "dense"]),
        default: "auto",
        doc: "fine-tuning path: fast = rotational invariance (O(P2), exact for M = iso I + spike r r^T, not for \
              early_stop), dense = explicit O(P2 D^2); auto = fast where exact",
        used_when: None,
    },
];

fn transfer_params() -> &'static [ParamSpec] {
    static PARAMS: std::sync::OnceLock<Vec<ParamSpec>> = std::sync::OnceLock::new();
    PARAMS.get_or_init(|| {
        let mut v = vec![ParamSpec { kind: Kind::Count(3, 1_000_000), default: "400", ..D }];
        v.extend_from_slice(STAGE1);
        v.extend_from_slice(TARGET_PARAMS);
        v
    })
}

struct TransferRunner {
    stage1: Stage1,
    p2: usize,
    alpha_s: f64,
    alpha_g: f64,
    sigma: f64,
    variant: Variant,
    repeats: usize,
    method: Method,
}

#[derive(Clone, Copy, PartialEq)]
enum Method {
    Auto,
    Fast,
    Dense,
}

/// A ridgeless refit needs an isotropic part of M above this fraction of its spike (condition number
/// of the kernel below 1e10); weight decay can shrink it to rounding level.
const ILL_POSED: f64 = 1e-10;

/// Off-spike part of M below this (relative to |M|_F) counts as exactly iso I + spike r r^T.
const EXACT_TOL: f64 = 1e-9;

/// Unit target teacher b_t = alpha_s b_s + alpha_g g_hat + sqrt(1 - alpha_s^2 - alpha_g^2) n, with n a
/// random unit vector orthogonal to b_s and g_hat.
fn target_teacher(b_s: &Col<f64>, g_hat: &Col<f64>, alpha_s: f64, alpha_g: f64, rng: &mut Rng) -> Col<f64> {
    let mut n = normal_col(rng, b_s.nrows());
    for e in [b_s, g_hat] {
        let c = e.transpose() * &n;
        n -= e * c;
    }
    let norm = n.norm_l2();
    let rest = (1.0 - alpha_s * alpha_s - alpha_g * alpha_g).max(0.0).sqrt();
    b_s * alpha_s + g_hat * alpha_g + n * (rest / norm)
}

impl TransferRunner {
    /// (loss, lazy) of one target draw by the fast path: the kernel iso I + spike r r^T regresses like
    /// I + (spike/iso) r r^T with ridge lambda/iso; the lazy kernel I uses the same basis and draws.
    fn fast_draw(
        &self,
        form: &IsoSpike,
        ez2: f64,
        b_t: &Col<f64>,
        rng: &mut Rng,
        scratch: &mut Vec<f64>,
    ) -> Result<(f64, f64)> {
        let (iso, lambda) = match self.variant {
            Variant::Readout => (form.iso, 0.0),
            Variant::Ridge(l) => (form.iso, l),
            Variant::Ntk => (form.iso + ez2, 0.0),
            Variant::EarlyStop(_) => return Err(Error::input("early_stop has no fast path; use method=dense")),
        };
        let task = TargetTask { p: self.p2, lambda: lambda / iso, sigma: self.sigma };
        let lazy_task = TargetTask { lambda, ..task };
        let transfer = Reduced::spiked(form.spike / iso, form.r.as_ref(), b_t.as_ref())?;
        let lazy = Reduced::spiked(0.0, form.r.as_ref(), b_t.as_ref())?;
        let lazy_loss = loss_fast(&lazy, &lazy_task, &mut rng.clone(), scratch)?;
        Ok((loss_fast(&transfer, &task, rng, scratch)?, lazy_loss))
    }

    fn fast_ok(&self, form: &IsoSpike, pre: &Pretrained) -> bool {
        let k = 2; // span{r, b_t}
        !matches!(self.variant, Variant::EarlyStop(_))
            && form.iso > 0.0
            && form.off <= EXACT_TOL * pre.m.norm_l2()
            && fast_supports(pre.m.nrows(), k, &TargetTask { p: self.p2, lambda: 0.0, sigma: 0.0 }).is_ok()
    }
}

impl TrialRunner for TransferRunner {
    fn run(&self, scratch: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        self.stage1.with(rng, |pre, rng| {
            let plane = pre.source_plane(rng);
            let form = pre.iso_spike();
            if self.variant == Variant::Readout && form.iso <= ILL_POSED * (form.iso + form.spike.abs()) {
                return Err(Error::numerical(format!(
                    "the pre-trained kernel is numerically rank-deficient (isotropic part {:.1e} of spike {:.1e}): \
                     a ridgeless refit is ill-posed in f64; use variant=ridge or early_stop",
                    form.iso, form.spike
                )));
            }
            let fast = match self.method {
                Method::Dense => false,
                Method::Fast if !self.fast_ok(&form, pre) => {
                    return Err(Error::input(
                        "method=fast needs an exactly spiked kernel (width=inf), a variant other than early_stop \
                         and P2 <= D - 2 or P2 >= D; use method=dense",
                    ));
                }
                Method::Fast => true,
                Method::Auto => self.fast_ok(&form, pre),
            };
            let (mut loss, mut lazy, mut rho) = (0.0, 0.0, 0.0);
            for _ in 0..self.repeats {
                let b_t = target_teacher(&pre.b_s, &plane.g_hat, self.alpha_s, self.alpha_g, rng);
                let (l, z) = if fast {
                    self.fast_draw(&form, pre.ez2, &b_t, rng, scratch)?
                } else {
                    let data = TargetData::draw(b_t.as_ref(), self.p2, self.sigma, rng);
                    (
                        finetune_loss(Some(pre.m.as_ref()), pre.ez2, &data, b_t.as_ref(), self.variant)?,
                        finetune_loss(None, 1.0, &data, b_t.as_ref(), self.variant)?,
                    )
                };
                loss += l;
                lazy += z;
                rho += form.r.transpose() * &b_t;
            }
            let k = self.repeats as f64;
            let chi = form.spike + form.iso - 1.0;
            out.copy_from_slice(&[loss / k, lazy / k, (lazy - loss) / k, rho / k, chi]);
            Ok(())
        })
    }
}

impl Observable for TransferLoss {
    fn name(&self) -> &'static str {
        "lauditi.transfer_loss"
    }
    fn doc(&self) -> &'static str {
        "Pre-train on the source (population or nu1), build a unit target teacher with overlaps alpha_s with b_s and \
         alpha_g with this run's g_hat, fine-tune on P2 = nu2 D target samples with the chosen variant, and compare \
         with the lazy baseline (gamma1 = 0) on the same samples. Dense: O(P2 D^2) per trial."
    }
    fn params(&self) -> &'static [ParamSpec] {
        transfer_params()
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        TRANSFER_OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, seed: u64) -> Result<Box<dyn TrialRunner>> {
        let d = params.size("d")?;
        let p2 = sample_count("nu2", params.num("nu2")?, d)?;
        let (alpha_s, alpha_g) = (params.num("alpha_s")?, params.num("alpha_g")?);
        if alpha_s * alpha_s + alpha_g * alpha_g > 1.0 + 1e-12 {
            return Err(Error::input(format!(
                "alpha_s^2 + alpha_g^2 must be <= 1 for a unit target (got {alpha_s}, {alpha_g})"
            )));
        }
        let variant = match params.text("variant")? {
            "ridge" => Variant::Ridge(params.num("lambda")?),
            "early_stop" => Variant::EarlyStop(params.count("steps")?.unwrap_or(0)),
            "ntk" => Variant::Ntk,
            _ => Variant::Readout,
        };
        let method = match params.text("method")? {
            "fast" => Method::Fast,
            "dense" => Method::Dense,
            _ => Method::Auto,
        };
        if method != Method::Fast {
            check_memory(memory_bytes(d, p2), "dense fine-tuning")?;
        }
        let stage1 = Stage1::prepare(params, seed)?;
        let repeats = params.count("repeats")?.unwrap_or(1);
        let sigma = params.num("sigma")?;
        Ok(Box::new(TransferRunner { stage1, p2, alpha_s, alpha_g, sigma, variant, repeats, method }))
    }
}
