//! Observables: named simulated quantities with documented parameters.
//!
//! An [`Observable`] validates its parameters and prepares what all trials share; the returned
//! [`TrialRunner`] runs one independent trial. [`simulate`] is the executor: it runs trials in
//! parallel over independent seeds (rayon, sequential faer inside a trial) and gathers them in
//! trial order, so results are identical for any thread count.

pub mod lauditi;
pub mod lauditi_joint;
pub mod lauditi_real;
pub mod lauditi_transfer;
pub mod tahir;
pub mod yuan;

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::params::{ParamSet, ParamSpec};
use crate::rng::{Rng, trial_rng};
use crate::stats::Estimate;

/// Refuse runs that would need more memory than this per trial (bytes).
pub const MEMORY_LIMIT: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;

/// One named output of an observable.
#[derive(Debug, Clone, Copy)]
pub struct OutputSpec {
    pub name: &'static str,
    pub doc: &'static str,
}

/// A simulated quantity with named parameters; the first output is the primary one.
pub trait Observable: Sync {
    fn name(&self) -> &'static str;
    /// What is simulated, one paragraph.
    fn doc(&self) -> &'static str;
    fn params(&self) -> &'static [ParamSpec];
    fn outputs(&self) -> &'static [OutputSpec];
    /// Checks sizes and prepares everything the trials share (deterministic given `seed`).
    fn prepare(&self, params: &ParamSet, seed: u64) -> Result<Box<dyn TrialRunner>>;

    /// Resolves (name, text) pairs against this observable's parameter specifications.
    fn resolve(&self, given: &[(String, String)]) -> Result<ParamSet> {
        ParamSet::resolve(self.params(), given)
    }
}

/// Runs one trial: writes one value per output into `out`. `scratch` is per-thread memory
/// reused across trials.
pub trait TrialRunner: Sync {
    fn run(&self, scratch: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()>;
}

/// All observables tlcheck knows.
pub fn registry() -> &'static [&'static dyn Observable] {
    &[
        &lauditi::KernelSpike,
        &lauditi::FinetuneLoss,
        &lauditi_transfer::FiniteSourceKernel,
        &lauditi_transfer::TransferLoss,
        &lauditi_joint::JointRich,
        &lauditi_joint::PolynomialTransfer,
        &lauditi_real::RealTransfer,
        &tahir::Risk,
        &tahir::Transferability,
        &tahir::ReluProjection,
        &tahir::ReluStudent,
        &yuan::TestError,
    ]
}

/// Looks an observable up by name.
pub fn find(name: &str) -> Result<&'static dyn Observable> {
    registry().iter().copied().find(|o| o.name() == name).ok_or_else(|| {
        let names: Vec<&str> = registry().iter().map(|o| o.name()).collect();
        Error::input(format!("unknown observable `{name}`; known: {}", names.join(", ")))
    })
}

/// Per-trial values of every output.
#[derive(Debug, Clone)]
pub struct Sample {
    pub outputs: Vec<&'static str>,
    /// `rows[t][j]` = output j of trial t.
    pub rows: Vec<Vec<f64>>,
}

impl Sample {
    /// Values of one output across trials.
    pub fn column(&self, output: &str) -> Result<Vec<f64>> {
        let j =
            self.outputs.iter().position(|o| *o == output).ok_or_else(|| {
                Error::input(format!("unknown output `{output}`; known: {}", self.outputs.join(", ")))
            })?;
        Ok(self.rows.iter().map(|r| r[j]).collect())
    }

    /// Mean and standard error of one output.
    pub fn estimate(&self, output: &str) -> Result<Estimate> {
        Ok(Estimate::from_samples(&self.column(output)?))
    }
}

/// Checks a memory estimate against [`MEMORY_LIMIT`].
pub fn check_memory(bytes: f64, what: &str) -> Result<()> {
    if bytes > MEMORY_LIMIT {
        Err(Error::input(format!(
            "{what} would need about {:.1} GiB of memory (limit {:.0} GiB); reduce the size",
            bytes / 1024f64.powi(3),
            MEMORY_LIMIT / 1024f64.powi(3)
        )))
    } else {
        Ok(())
    }
}

/// Runs `trials` independent trials of `obs` at `params` with seeds derived from `seed`.
pub fn simulate(
    obs: &dyn Observable,
    params: &ParamSet,
    trials: usize,
    seed: u64,
    progress: Option<&ProgressBar>,
) -> Result<Sample> {
    if trials == 0 {
        return Err(Error::input("trials must be at least 1"));
    }
    let n_out = obs.outputs().len();
    check_memory(trials as f64 * (8.0 * n_out as f64 + 64.0), "storing the trials")?;
    faer::set_global_parallelism(faer::Par::Seq);
    let runner = obs.prepare(params, seed)?;
    let rows = (0..trials as u64)
        .into_par_iter()
        .map_init(Vec::new, |scratch, t| {
            let mut rng = trial_rng(seed, t);
            let mut out = vec![0.0; n_out];
            runner.run(scratch, &mut rng, &mut out)?;
            if let Some(j) = out.iter().position(|x| !x.is_finite()) {
                return Err(Error::numerical(format!(
                    "{} produced a non-finite {} in trial {t} at {params}",
                    obs.name(),
                    obs.outputs()[j].name
                )));
            }
            if let Some(bar) = progress {
                bar.inc(1);
            }
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Sample { outputs: obs.outputs().iter().map(|o| o.name).collect(), rows })
}
