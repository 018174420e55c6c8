//! Observables: named simulated quantities with documented parameters.
//!
//! An [`Observable`] validates its parameters and prepares what all trials share; the returned
//! [`TrialRunner`] runs one independent trial. A trial writes one number per scalar output
//! ([`OutputSpec`]) and, optionally, one vector per named curve ([`CurveSpec`]), e.g. a loss at each
//! recorded time t_0, ..., t_{K-1}. [`simulate`] is the executor: it runs trials in parallel over
//! independent seeds (rayon, sequential faer inside a trial) and gathers outputs and curves in trial
//! order into a [`Sample`], so results are identical for any thread count. Outputs and curves are
//! looked up by name ([`position`]), never by position in a list kept in sync by hand.

pub mod lauditi;
pub mod lauditi_joint;
pub mod lauditi_real;
pub mod lauditi_transfer;
pub mod memory;
pub mod synthetic;
pub mod tahir;
pub mod yuan;

pub use memory::check_memory;

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::params::{ParamSet, ParamSpec};
use crate::rng::{Rng, trial_rng};
use crate::stats::Estimate;

/// One named output of an observable.
#[derive(Debug, Clone, Copy)]
pub struct OutputSpec {
    pub name: &'static str,
    pub doc: &'static str,
}

/// One named curve of an observable: per trial, the values y_0, ..., y_{K-1} at the points of an
/// abscissa x_0, ..., x_{K-1} (K may depend on the parameters, not on the trial).
#[derive(Debug, Clone, Copy)]
pub struct CurveSpec {
    pub name: &'static str,
    pub doc: &'static str,
    /// What x_k is, e.g. "stage-2 time t_k (curve `time`)".
    pub abscissa: &'static str,
}

/// A simulated quantity with named parameters; the first output is the primary one.
pub trait Observable: Sync {
    fn name(&self) -> &'static str;
    /// What is simulated, one paragraph.
    fn doc(&self) -> &'static str;
    fn params(&self) -> &'static [ParamSpec];
    fn outputs(&self) -> &'static [OutputSpec];
    /// Named curves each trial writes besides the scalar outputs (none by default).
    fn curves(&self) -> &'static [CurveSpec] {
        &[]
    }
    /// Checks sizes and prepares everything the trials share (deterministic given `seed`).
    fn prepare(&self, params: &ParamSet, seed: u64) -> Result<Box<dyn TrialRunner>>;

    /// As [`Observable::prepare`], for trials of which only the outputs `read` are kept: the runner may
    /// leave the others unwritten, but the kept outputs must be the values (and use the random numbers)
    /// they have when everything is computed. The default computes every output.
    fn prepare_reading(&self, params: &ParamSet, seed: u64, read: &[&str]) -> Result<Box<dyn TrialRunner>> {
        let _ = read;
        self.prepare(params, seed)
    }

    /// Resolves (name, text) pairs against this observable's parameter specifications.
    fn resolve(&self, given: &[(String, String)]) -> Result<ParamSet> {
        ParamSet::resolve(self.params(), given)
    }
}

/// Runs one trial: writes one value per output into `out`. `scratch` is per-thread memory
/// reused across trials.
pub trait TrialRunner: Sync {
    fn run(&self, scratch: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()>;

    /// Runs one trial as [`TrialRunner::run`] and, unless `curves` is empty (the caller wants no
    /// curves), writes curve c of the observable's [`Observable::curves`] into `curves[c]`. The
    /// default is for observables without curves.
    fn run_curves(
        &self,
        scratch: &mut Vec<f64>,
        rng: &mut Rng,
        out: &mut [f64],
        curves: &mut [Vec<f64>],
    ) -> Result<()> {
        let _ = curves;
        self.run(scratch, rng, out)
    }
}

/// Index of `name` in `names`: the one lookup of outputs and curves by name (`what` names the kind
/// in the error).
pub fn position<'a>(names: impl Iterator<Item = &'a str> + Clone, name: &str, what: &str) -> Result<usize> {
    names.clone().position(|n| n == name).ok_or_else(|| {
        let known: Vec<&str> = names.collect();
        Error::input(format!("unknown {what} `{name}`; known: {}", known.join(", ")))
    })
}

/// Writes one trial's scalar outputs by name: `out[j] = value` for the output `name` of `specs`, so the
/// order of `values` does not matter.
pub fn write_outputs(specs: &[OutputSpec], out: &mut [f64], values: &[(&str, f64)]) -> Result<()> {
    for &(name, value) in values {
        out[position(specs.iter().map(|s| s.name), name, "output")?] = value;
    }
    Ok(())
}

/// Writes one trial's curves by name (nothing when `curves` is empty: the caller wants none).
pub fn write_curves<const N: usize>(
    specs: &[CurveSpec],
    curves: &mut [Vec<f64>],
    values: [(&str, Vec<f64>); N],
) -> Result<()> {
    if curves.is_empty() {
        return Ok(());
    }
    for (name, value) in values {
        curves[position(specs.iter().map(|s| s.name), name, "curve")?] = value;
    }
    Ok(())
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
        &synthetic::Noisy,
    ]
}

/// Looks an observable up by name.
pub fn find(name: &str) -> Result<&'static dyn Observable> {
    Ok(registry()[position(registry().iter().map(|o| o.name()), name, "observable")?])
}

/// Per-trial values of every output and curve.
#[derive(Debug, Clone)]
pub struct Sample {
    pub outputs: Vec<&'static str>,
    /// `rows[t][j]` = output j of trial t.
    pub rows: Vec<Vec<f64>>,
    pub curve_names: Vec<&'static str>,
    /// `curves[t][c]` = curve c of trial t.
    pub curves: Vec<Vec<Vec<f64>>>,
}

impl Sample {
    /// The first `n` trials.
    pub fn prefix(&self, n: usize) -> Sample {
        Sample {
            outputs: self.outputs.clone(),
            rows: self.rows[..n.min(self.rows.len())].to_vec(),
            curve_names: self.curve_names.clone(),
            curves: self.curves[..n.min(self.curves.len())].to_vec(),
        }
    }

    /// Appends the trials of `more` (the same cell's later trials).
    pub fn extend(&mut self, more: Sample) {
        self.rows.extend(more.rows);
        self.curves.extend(more.curves);
    }

    /// Values of one output across trials.
    pub fn column(&self, output: &str) -> Result<Vec<f64>> {
        let j = position(self.outputs.iter().copied(), output, "output")?;
        Ok(self.rows.iter().map(|r| r[j]).collect())
    }

    /// One curve of every trial, in trial order.
    pub fn curve(&self, name: &str) -> Result<Vec<Vec<f64>>> {
        let c = position(self.curve_names.iter().copied(), name, "curve")?;
        Ok(self.curves.iter().map(|t| t[c].clone()).collect())
    }

    /// Mean and standard error of one output.
    pub fn estimate(&self, output: &str) -> Result<Estimate> {
        Ok(Estimate::from_samples(&self.column(output)?))
    }
}

/// Runs `trials` independent trials of `obs` at `params` with seeds derived from `seed`: trial t draws
/// from `trial_rng(seed, t)`, so two calls with the same seed share every trial's random numbers.
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
    simulate_trials(obs, params, 0..trials as u64, seed, None, progress)
}

/// Trials `range` of a cell (trial t always draws from stream (seed, t), so the trials of a larger
/// batch extend those of a smaller one: sequential checks reuse what earlier looks drew). With `read`,
/// the sample holds only those outputs (the trials may skip the others); without, every output.
pub fn simulate_trials(
    obs: &dyn Observable,
    params: &ParamSet,
    range: std::ops::Range<u64>,
    seed: u64,
    read: Option<&[&'static str]>,
    progress: Option<&ProgressBar>,
) -> Result<Sample> {
    let all: Vec<&'static str> = obs.outputs().iter().map(|o| o.name).collect();
    let read = read.map_or_else(|| all.clone(), <[&str]>::to_vec);
    let keep = read.iter().map(|r| position(all.iter().copied(), r, "output")).collect::<Result<Vec<_>>>()?;
    check_memory(range.end as f64 * (8.0 * keep.len() as f64 + 64.0), "storing the trials")?;
    faer::set_global_parallelism(faer::Par::Seq);
    let runner = obs.prepare_reading(params, seed, &read)?;
    let trial = |scratch: &mut Vec<f64>, t: u64| {
        let done = run_trial(obs, runner.as_ref(), scratch, (seed, t, &keep), params)?;
        if let Some(bar) = progress {
            bar.inc(1);
        }
        Ok(done)
    };
    let (rows, curves) =
        range.into_par_iter().map_init(Vec::new, trial).collect::<Result<Vec<_>>>()?.into_iter().unzip();
    Ok(Sample { outputs: read, rows, curve_names: obs.curves().iter().map(|c| c.name).collect(), curves })
}

/// Trial t of `runner` (seeded by `trial_rng(seed, t)`): its outputs `keep` (indices) and curves,
/// checked to be finite and every curve written.
fn run_trial(
    obs: &dyn Observable,
    runner: &dyn TrialRunner,
    scratch: &mut Vec<f64>,
    (seed, t, keep): (u64, u64, &[usize]),
    params: &ParamSet,
) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    crate::sim::registers::clear_upper();
    let mut rng = trial_rng(seed, t);
    let mut all = vec![0.0; obs.outputs().len()];
    let mut curves = vec![Vec::new(); obs.curves().len()];
    runner.run_curves(scratch, &mut rng, &mut all, &mut curves)?;
    let out: Vec<f64> = keep.iter().map(|&j| all[j]).collect();
    let bad = |what: String| Err(Error::numerical(format!("{} produced {what} in trial {t} at {params}", obs.name())));
    if let Some(j) = out.iter().position(|x| !x.is_finite()) {
        return bad(format!("a non-finite {}", obs.outputs()[keep[j]].name));
    }
    for (c, spec) in curves.iter().zip(obs.curves()) {
        if c.is_empty() || c.iter().any(|x| !x.is_finite()) {
            return bad(format!("an empty or non-finite curve {}", spec.name));
        }
    }
    Ok((out, curves))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small sizes of every registered observable (a new observable must be added here).
    fn small(name: &str, csv: &str) -> Vec<(String, String)> {
        let joint = "d=8 n=20 test=10 t1=1 t2=1";
        let rich = "d=8 n=20 test=10 t1=1 t2=1 points=5";
        let pairs = match name {
            "lauditi.kernel_spike" | "lauditi.finite_source_kernel" => "d=20",
            "lauditi.finetune_loss" | "lauditi.transfer_loss" | "tahir.risk" | "tahir.transferability" => "d=20",
            "lauditi.joint_rich" => rich,
            "lauditi.polynomial_transfer" => joint,
            "lauditi.real_transfer" => "p1=6 p2=4 test=4 n=8 t1=1 t2=1",
            "tahir.relu_projection" => "d=10 m=10 n=50 n_test=50",
            "tahir.relu_student" => "d=6 m=6 width=10 n=20 n_source=40 steps=10 n_test=20",
            "yuan.test_error" => "d=50 N1=20 N2=10 steps1=10 steps2=10 n_test=50",
            "synthetic.noisy" => "x=1 noise=student_t3",
            other => panic!("no small parameters for {other}"),
        };
        let mut given: Vec<(String, String)> =
            pairs.split(' ').map(|p| p.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap()).collect();
        if name == "lauditi.real_transfer" {
            given.push(("data".into(), csv.into()));
        }
        given
    }

    /// A CSV image file with 12 images of each of the classes 0, 1 and 9 (16 pixels).
    fn digits() -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("tlcheck-observable-{}.csv", std::process::id()));
        let mut text = String::from("label");
        (0..16).for_each(|j| text.push_str(&format!(",p{j}")));
        for (r, label) in [0, 1, 9].iter().flat_map(|&l| std::iter::repeat_n(l, 12)).enumerate() {
            text.push_str(&format!("\n{label}"));
            (0..16).for_each(|j| text.push_str(&format!(",{}", (r * 37 + j * 11 + label * 5) % 17)));
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Every registered observable's runner writes each of its `outputs().len()` values (a NaN left in
    /// `out` is an unwritten output; a runner writing past the end panics) and every declared curve.
    #[test]
    fn every_runner_writes_all_outputs_and_curves() {
        let csv = digits();
        for obs in registry() {
            let params = obs.resolve(&small(obs.name(), csv.to_str().unwrap())).unwrap();
            let runner = obs.prepare(&params, 5).unwrap();
            let mut out = vec![f64::NAN; obs.outputs().len()];
            let mut curves = vec![Vec::new(); obs.curves().len()];
            runner.run_curves(&mut Vec::new(), &mut trial_rng(5, 0), &mut out, &mut curves).unwrap();
            for (x, spec) in out.iter().zip(obs.outputs()) {
                assert!(x.is_finite(), "{}: output {} not written ({x})", obs.name(), spec.name);
            }
            for (c, spec) in curves.iter().zip(obs.curves()) {
                assert!(!c.is_empty() && c.iter().all(|x| x.is_finite()), "{}: curve {}", obs.name(), spec.name);
            }
            let (mut plain, mut again) = (vec![f64::NAN; out.len()], out.clone());
            runner.run(&mut Vec::new(), &mut trial_rng(5, 0), &mut plain).unwrap();
            runner.run_curves(&mut Vec::new(), &mut trial_rng(5, 0), &mut again, &mut []).unwrap();
            assert_eq!((&plain, &again), (&out, &out), "{}: curves change the outputs", obs.name());
        }
        std::fs::remove_file(csv).unwrap();
    }

    /// Names resolve through `position`, unknown names are input errors listing the known ones.
    #[test]
    fn outputs_and_curves_by_name() {
        let specs = [OutputSpec { name: "a", doc: "" }, OutputSpec { name: "b", doc: "" }];
        let mut out = [0.0; 2];
        write_outputs(&specs, &mut out, &[("b", 2.0), ("a", 1.0)]).unwrap();
        assert_eq!(out, [1.0, 2.0]);
        let e = write_outputs(&specs, &mut out, &[("c", 3.0)]).unwrap_err();
        assert!(e.to_string().contains("unknown output `c`; known: a, b"), "{e}");
        let sample = Sample {
            outputs: vec!["a", "b"],
            rows: vec![vec![1.0, 2.0], vec![3.0, 4.0]],
            curve_names: vec!["y"],
            curves: vec![vec![vec![1.0, 2.0]], vec![vec![3.0]]],
        };
        assert_eq!(sample.column("b").unwrap(), [2.0, 4.0]);
        assert_eq!(sample.curve("y").unwrap(), [vec![1.0, 2.0], vec![3.0]]);
        assert!(sample.curve("a").unwrap_err().to_string().contains("unknown curve `a`; known: y"));
    }
}
