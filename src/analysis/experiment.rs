//! Real-data transfer experiment (Lauditi et al., experiments of claim 6): the target test loss of the
//! observable `lauditi.real_transfer` on a grid of source richnesses gamma1 x target sizes P2, each
//! point the mean and standard error over trials. Every point uses the same trial seeds, so at a given
//! P2 the curves share their splits and initial draws (common random numbers).

use indicatif::ProgressBar;

use crate::error::Result;
use crate::observable::{find, simulate};
use crate::params::ParamSet;
use crate::stats::Estimate;

/// The observable the experiment runs.
pub const REAL_TRANSFER: &str = "lauditi.real_transfer";

/// A gamma1 x P2 experiment.
#[derive(Clone, Debug)]
pub struct RealTransferRequest {
    /// Parameters of [`REAL_TRANSFER`] (name, text) other than gamma1 and p2.
    pub base: Vec<(String, String)>,
    /// Source richnesses, one curve each.
    pub gammas: Vec<f64>,
    /// Target training-set sizes.
    pub p2s: Vec<u64>,
    pub trials: usize,
    pub seed: u64,
}

impl RealTransferRequest {
    /// Simulation trials of the experiment (for a progress bar).
    pub fn trials_run(&self) -> usize {
        self.gammas.len() * self.p2s.len() * self.trials
    }
}

/// Loss curves: `estimates[gi * p2s.len() + pi]` at gamma1 = `gammas[gi]`, P2 = `p2s[pi]`.
#[derive(Clone, Debug)]
pub struct RealTransferCurves {
    /// Resolved parameters of every point, in the order of `estimates`.
    pub params: Vec<ParamSet>,
    pub estimates: Vec<Estimate>,
    points_per_curve: usize,
}

impl RealTransferCurves {
    /// The estimate on curve `gi` (gamma1) at P2 index `pi`.
    pub fn at(&self, gi: usize, pi: usize) -> Estimate {
        self.estimates[gi * self.points_per_curve + pi]
    }
}

/// Runs the experiment: resolves every point first (refusing bad parameters or data before any
/// simulation; the data file is read by each point's preparation), then simulates the points with
/// the same trial seeds and estimates the output `loss`.
pub fn real_transfer(req: &RealTransferRequest, progress: Option<&ProgressBar>) -> Result<RealTransferCurves> {
    let obs = find(REAL_TRANSFER)?;
    let mut params = Vec::new();
    for &g in &req.gammas {
        for &p in &req.p2s {
            let mut given = req.base.clone();
            given.push(("gamma1".into(), g.to_string()));
            given.push(("p2".into(), p.to_string()));
            params.push(obs.resolve(&given)?);
        }
    }
    let estimates = params
        .iter()
        .map(|p| simulate(obs, p, req.trials, req.seed, progress)?.estimate("loss"))
        .collect::<Result<Vec<_>>>()?;
    Ok(RealTransferCurves { params, estimates, points_per_curve: req.p2s.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_data_is_refused_before_simulating() {
        let req = RealTransferRequest {
            base: vec![("data".into(), "no/such/file.csv".into())],
            gammas: vec![1.0],
            p2s: vec![5, 10],
            trials: 2,
            seed: 1,
        };
        assert_eq!(req.trials_run(), 4);
        let err = real_transfer(&req, None).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
    }

    #[test]
    fn curves_index_gamma_major() {
        let e = |m: f64| Estimate { mean: m, se: 0.0, trials: 2 };
        let c = RealTransferCurves {
            params: Vec::new(),
            estimates: (0..6).map(|k| e(k as f64)).collect(),
            points_per_curve: 3,
        };
        assert_eq!((c.at(0, 2).mean, c.at(1, 0).mean, c.at(1, 2).mean), (2.0, 3.0, 5.0));
    }
}
