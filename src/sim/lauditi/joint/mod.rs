//! Joint-rich transfer (gamma2 > 0): a two-layer muP network with phi = identity, ReLU or tanh, trained
//! on a source task with richness gamma1 and then on a target task with richness gamma2 from the
//! stage-1 parameters (claim 6 of Lauditi, Bordelon, Pehlevan, arXiv 2507.04448 v2).
//!
//! - [`task`]: Hermite teachers He_k(b . x)/sqrt(k!) and the four point sets of an experiment;
//! - [`activation`]: phi and phi';
//! - [`features`]: the finite-width network (D-dimensional weights) and the DMFT single-site population
//!   (pre-activations only, input kernel K^x = X X^T / D), and the readout;
//! - [`dynamics`]: the shared two-stage Euler loop, test losses (forgetting), kurtosis of h.
//!
//! Both solvers run the same equations; they differ in the hidden layer's representation and in the
//! output at the start: the network is the actual procedure (N i.i.d. neurons, random initial output of
//! variance about D E[phi^2] / (gamma1^2 N)); the population draws M i.i.d. neurons of the same
//! single-site law and subtracts their initial output (a control variate), so f = 0 at the start, as at
//! infinite width.

pub mod activation;
pub mod dynamics;
pub mod features;
pub mod task;

use faer::Col;

pub use activation::Phi;
pub use dynamics::{Curves, Schedule, run_two_stage};
pub use features::{Features, Network, Population, Readout};
pub use task::{HermiteTask, PointSet, SyntheticPair, TwoStageData};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::{normal, normal_matrix};
use dynamics::{Layout, stack_inputs};
use rand::{Rng as _, SeedableRng};

/// Which representation of the hidden layer runs the dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solver {
    /// Finite-width network with N i.i.d. neurons.
    Network { width: usize },
    /// DMFT single-site population of M neurons (initial output subtracted).
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
            let a = Col::from_fn(width, |_| readout_scale * normal(rng));
            let mut readout = Readout { a, offset: Col::zeros(layout.total()) };
            let mut net = Network::new(x, w, layout.source_train.clone());
            run_two_stage(data, phi, schedule, &mut net, &mut readout)
        }
        Solver::Dmft { population } => {
            if population < 2 {
                return Err(Error::input("the DMFT population must be at least 2"));
            }
            // The population's neurons come from a child stream: independent of a network drawn from `rng`
            // after the same data (so the two solvers can be compared on paired data).
            let mut own = <Rng as SeedableRng>::seed_from_u64(rng.next_u64());
            let (mut pop, mut readout) =
                Population::sample(&x, phi, readout_scale, population, layout.source_train.clone(), &mut own);
            run_two_stage(data, phi, schedule, &mut pop, &mut readout)
        }
    }
}
