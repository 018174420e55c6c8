//! Deep linear transfer of Tahir, Ganguli, Rotskoff (arXiv 2410.08194 v2, "Features are fate").
//!
//! Model: x ~ N(0, I_d), y = beta . x + eps with eps ~ N(0, sigma^2); unit teachers with
//! cos theta = beta_s . beta_t. By rotational invariance of x and of the initialisation we take
//! beta_s = e_1 and beta_t = cos theta e_1 + sin theta e_2 (identical in distribution to a random
//! pair). Risk R = |beta_hat - beta_t|^2 (excess risk). Procedures on n = gamma d target samples:
//! scratch (all layers from the small init), linear transfer (last layer on frozen pre-trained
//! features), fine-tuning (all layers from the pre-trained weights).
//!
//! - [`exact`]: closed-form fast paths (min-norm interpolation / least squares, the 1-D regression
//!   of linear transfer, the row-space projector of fine-tuning, gradient flow of the balanced
//!   rank-one network in fine-tuning).
//! - [`gd`]: the ground truth, full-batch gradient descent on a depth-L linear network in f64.
//! - [`relu`]: the arc-cosine kernel projection of the nonlinear extension.
//! - [`student`]: the mean-field two-layer ReLU student (gradient descent, linear transfer, scratch).

pub mod exact;
pub mod gd;
pub mod relu;
pub mod student;

use faer::{Col, Mat};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::{normal_col, normal_matrix};

/// Which weights a target procedure trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Procedure {
    /// All layers from the small initialisation.
    Scratch,
    /// Last layer only, on the frozen pre-trained hidden layers (ridge lambda).
    Linear,
    /// All layers from the pre-trained weights.
    Finetune,
}

impl Procedure {
    /// Parses scratch | lt | ft.
    pub fn parse(word: &str) -> Option<Procedure> {
        match word {
            "scratch" => Some(Procedure::Scratch),
            "lt" => Some(Procedure::Linear),
            "ft" => Some(Procedure::Finetune),
            _ => None,
        }
    }
}

/// Where pre-training gets its data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// Population source loss |beta_s - beta_hat|^2.
    Population,
    /// n_s noisy samples (noise standard deviation sigma_s).
    Finite { n_s: usize, sigma_s: f64 },
}

/// The target task.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub d: usize,
    /// Number of target samples n = gamma d.
    pub n: usize,
    /// Angle between the unit teachers (radians).
    pub theta: f64,
    /// Label-noise standard deviation.
    pub sigma: f64,
    /// Ridge of the transferred head (linear transfer only).
    pub lambda: f64,
}

/// A regression data set y = X beta + eps, X of shape n x d.
pub struct Data {
    pub x: Mat<f64>,
    pub y: Col<f64>,
}

/// The source teacher e_1 in dimension d.
pub fn beta_s(d: usize) -> Col<f64> {
    Col::from_fn(d, |i| if i == 0 { 1.0 } else { 0.0 })
}

/// Samples y = X beta + sigma eps with n rows.
pub fn sample(rng: &mut Rng, beta: &Col<f64>, n: usize, sigma: f64) -> Data {
    let x = normal_matrix(rng, n, beta.nrows());
    let y = &x * beta + normal_col(rng, n) * sigma;
    Data { x, y }
}

impl Target {
    /// The target teacher cos theta e_1 + sin theta e_2.
    pub fn beta_t(&self) -> Col<f64> {
        let (s, c) = self.theta.sin_cos();
        Col::from_fn(self.d, |i| match i {
            0 => c,
            1 => s,
            _ => 0.0,
        })
    }

    /// Draws the target data set.
    pub fn sample(&self, rng: &mut Rng) -> Data {
        sample(rng, &self.beta_t(), self.n, self.sigma)
    }

    /// Excess risk |beta - beta_t|^2.
    pub fn risk(&self, beta: &Col<f64>) -> f64 {
        (beta - self.beta_t()).squared_norm_l2()
    }
}

/// Draws the source data set of a finite source (None for the population source).
pub fn source_data(rng: &mut Rng, d: usize, source: Source) -> Option<Data> {
    match source {
        Source::Population => None,
        Source::Finite { n_s, sigma_s } => Some(sample(rng, &beta_s(d), n_s, sigma_s)),
    }
}

/// Independent generators of one trial: pre-training, target data, scratch initialisation. Exact and
/// gradient-descent runs of the same trial seed then see the same data (common random numbers).
pub struct Streams {
    pub pre: Rng,
    pub data: Rng,
    pub init: Rng,
}

/// Splits a trial generator into [`Streams`].
pub fn streams(rng: &mut Rng) -> Streams {
    use rand::{Rng as _, SeedableRng};
    let mut next = || Rng::seed_from_u64(rng.next_u64());
    Streams { pre: next(), data: next(), init: next() }
}

/// How a procedure is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Gradient descent on the deep linear network (ground truth).
    Gd,
    /// The closed-form fast paths of [`exact`].
    Exact,
    /// As [`Method::Exact`], except that fine-tuning follows gradient flow of the balanced rank-one
    /// network ([`exact::balanced_finetune`]).
    Balanced,
}

/// Everything one trial needs.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub target: Target,
    pub depth: usize,
    pub source: Source,
    pub method: Method,
    pub gd: gd::Settings,
    /// Gradient descent only: also run every fit at half the step on the same data and report the
    /// Richardson extrapolation 2 x(eta/2) - x(eta) of each risk (removes the O(eta) bias of
    /// discrete steps against gradient flow, the limit the theory describes).
    pub richardson: bool,
}

/// The pre-trained model: end-to-end vector, the network (gradient descent only) and its fit.
pub struct Pretrained {
    pub beta: Col<f64>,
    pub net: Option<gd::Net>,
    pub fit: Option<gd::Fit>,
}

/// A trained target model: its risk and, for gradient descent, the fit.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub risk: f64,
    pub fit: Option<gd::Fit>,
}

/// Pre-trains on the source (population loss, or the drawn source data).
pub fn pretrain(cfg: &Config, rng: &mut Rng) -> Result<Pretrained> {
    let d = cfg.target.d;
    let b_s = beta_s(d);
    let data = source_data(rng, d, cfg.source);
    match cfg.method {
        Method::Exact | Method::Balanced => {
            let beta = match &data {
                None => b_s,
                Some(s) => exact::min_norm(&s.x, &s.y, None)?,
            };
            Ok(Pretrained { beta, net: None, fit: None })
        }
        Method::Gd => {
            let mut net = gd::Net::init(rng, d, cfg.depth, cfg.gd.alpha);
            let loss = match &data {
                None => gd::Loss::Population(&b_s),
                Some(s) => gd::Loss::Data { x: &s.x, y: &s.y },
            };
            let fit = gd::train(&mut net, &loss, gd::Trainable::All, &cfg.gd)?;
            Ok(Pretrained { beta: net.end_to_end(), net: Some(net), fit: Some(fit) })
        }
    }
}

/// Trains one target procedure on `data` and measures its risk.
pub fn train_target(
    cfg: &Config,
    procedure: Procedure,
    pre: &Pretrained,
    data: &Data,
    rng: &mut Rng,
) -> Result<Outcome> {
    let t = &cfg.target;
    let (beta, fit) = match (cfg.method, procedure, &pre.net) {
        (Method::Exact | Method::Balanced, Procedure::Scratch, _) => (exact::min_norm(&data.x, &data.y, None)?, None),
        (Method::Exact | Method::Balanced, Procedure::Linear, _) => {
            (exact::linear_transfer(&data.x, &data.y, &exact::feature(&pre.beta, cfg.depth), t.lambda), None)
        }
        (Method::Exact, Procedure::Finetune, _) => (exact::min_norm(&data.x, &data.y, Some(&pre.beta))?, None),
        (Method::Balanced, Procedure::Finetune, _) => {
            (exact::balanced_finetune(&data.x, &data.y, &pre.beta, cfg.depth)?, None)
        }
        (Method::Gd, Procedure::Scratch, _) => {
            let mut net = gd::Net::init(rng, t.d, cfg.depth, cfg.gd.alpha);
            let fit = gd::train(&mut net, &gd::Loss::Data { x: &data.x, y: &data.y }, gd::Trainable::All, &cfg.gd)?;
            (net.end_to_end(), Some(fit))
        }
        (Method::Gd, procedure, Some(net)) => {
            let mut net = net.clone();
            let what = match procedure {
                Procedure::Linear => gd::Trainable::Last { lambda: t.lambda },
                _ => gd::Trainable::All,
            };
            let fit = gd::train(&mut net, &gd::Loss::Data { x: &data.x, y: &data.y }, what, &cfg.gd)?;
            (net.end_to_end(), Some(fit))
        }
        (Method::Gd, _, None) => return Err(Error::numerical("gradient-descent transfer needs a pre-trained network")),
    };
    Ok(Outcome { risk: t.risk(&beta), fit })
}

/// Expectation of the projector path's fine-tuning transferability R_sc - R_ft (exact, finite d and n).
///
/// For n < d, R_sc - R_ft = 2 b^T (I - P) beta_t - b^T (I - P) b with b the pre-trained vector and P the
/// projector on row(X), a uniformly random n-dimensional subspace independent of b: E (I - P) =
/// (1 - n/d) I. Over the source: b = beta_s (population); for n_s < d - 1 noisy samples b = P_s beta_s +
/// X_s^+ eps with E b.beta_t = (n_s/d) cos theta, E|b|^2 = n_s/d + sigma_s^2 n_s/(d - n_s - 1) (inverse
/// Wishart mean); for n_s > d + 1 least squares, E b.beta_t = cos theta, E|b|^2 = 1 + sigma_s^2 d/(n_s - d - 1).
/// Zero for n >= d (both fits are least squares); NaN for |n_s - d| <= 1, where E|b|^2 is infinite.
pub fn projector_transfer_mean(target: &Target, source: Source) -> f64 {
    let d = target.d as f64;
    let (along, norm2) = match source {
        Source::Population => (1.0, 1.0),
        Source::Finite { n_s, sigma_s } => {
            let ns = n_s as f64;
            if ns < d - 1.0 {
                (ns / d, ns / d + sigma_s * sigma_s * ns / (d - ns - 1.0))
            } else if ns > d + 1.0 {
                (1.0, 1.0 + sigma_s * sigma_s * d / (ns - d - 1.0))
            } else {
                return f64::NAN;
            }
        }
    };
    (1.0 - target.n as f64 / d).max(0.0) * (2.0 * along * target.theta.cos() - norm2)
}
