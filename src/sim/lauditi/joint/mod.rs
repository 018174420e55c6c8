//! Joint-rich transfer (gamma2 > 0): a two-layer muP network with phi = identity, ReLU or tanh, trained
//! on a source task with richness gamma1 and then on a target task with richness gamma2 from the
//! stage-1 parameters (claim 6 of Lauditi, Bordelon, Pehlevan, arXiv 2507.04448 v2).
//!
//! - [`task`]: Hermite teachers He_k(b . x)/sqrt(k!) and the four point sets of an experiment;
//! - [`activation`]: phi and phi';
//! - [`features`]: the finite-width network (D-dimensional weights) and the DMFT single-site population
//!   (pre-activations only, input kernel K^x = X X^T / D);
//! - [`dynamics`]: the shared two-stage Euler loop, test losses (forgetting), kurtosis of h.
//!
//! Both solvers run the same equations; they differ in the hidden layer's representation and in the
//! initial ensemble: the network draws N i.i.d. neurons (the actual procedure), the population draws M/2
//! neurons and adds each one's mirror (h, -a) (antithetic variates: f = 0 at the start exactly, as at
//! infinite width, and the same single-site law).

pub mod activation;
pub mod dynamics;
pub mod features;
pub mod task;

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};

pub use activation::Phi;
pub use dynamics::{Curves, Schedule, run_two_stage};
pub use features::{Features, Network, Population};
pub use task::{HermiteTask, PointSet, SyntheticPair, TwoStageData};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::{normal, normal_matrix};
use dynamics::{Layout, stack_inputs};

/// Which representation of the hidden layer runs the dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solver {
    /// Finite-width network with N i.i.d. neurons.
    Network { width: usize },
    /// DMFT single-site population of M neurons (M even, antithetic pairs).
    Dmft { population: usize },
}

/// Draws the initial network for `solver` and runs both stages.
pub fn simulate(data: &TwoStageData, phi: Phi, schedule: &Schedule, solver: Solver, rng: &mut Rng) -> Result<Curves> {
    data.validate()?;
    schedule.validate()?;
    let layout = Layout::of(data);
    let x = stack_inputs(data);
    let d = data.dim();
    let readout_scale = (d as f64).sqrt() / schedule.gamma1;
    match solver {
        Solver::Network { width } => {
            if width == 0 {
                return Err(Error::input("the network width must be at least 1"));
            }
            let w = normal_matrix(rng, width, d);
            let mut a = Col::from_fn(width, |_| readout_scale * normal(rng));
            let mut net = Network::new(x, w, layout.source_train.clone());
            run_two_stage(data, phi, schedule, &mut net, &mut a)
        }
        Solver::Dmft { population } => {
            if population < 2 || population % 2 != 0 {
                return Err(Error::input("the DMFT population must be an even number >= 2"));
            }
            let half = population / 2;
            // Rows of h0 ~ N(0, K^x), sampled through the factor X / sqrt(D) of K^x: h0 = X z / sqrt(D) with
            // z ~ N(0, I_D) drawn once and discarded (no weight is stored or evolved).
            let z = normal_matrix(rng, half, d);
            let mut h0 = Mat::zeros(population, layout.total());
            let scale = 1.0 / (d as f64).sqrt();
            matmul(h0.subrows_mut(0, half), Accum::Replace, &z, x.transpose(), scale, Par::Seq);
            let (top, mut bottom) = h0.as_mut().split_at_row_mut(half);
            bottom.copy_from(top);
            let mut a = Col::zeros(population);
            for i in 0..half {
                let v = readout_scale * normal(rng);
                a[i] = v;
                a[half + i] = -v;
            }
            let mut kx = Mat::zeros(layout.total(), layout.total());
            matmul(&mut kx, Accum::Replace, &x, x.transpose(), 1.0 / d as f64, Par::Seq);
            let mut pop = Population::new(kx, h0, layout.source_train.clone());
            run_two_stage(data, phi, schedule, &mut pop, &mut a)
        }
    }
}
