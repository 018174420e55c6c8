//! `lauditi.real_transfer`: the regression transfer experiment on real images of Lauditi, Bordelon,
//! Pehlevan (arXiv 2507.04448 v2, experiments of claim 6): a two-layer muP network is trained on a
//! source class pair (labels +-1) with richness gamma1, then on a target class pair with gamma2, and
//! the target test loss is compared with the same run at a small reference richness gamma1_ref.
//!
//! Inputs: the images of the four classes (grey-scale for CIFAR-10), per-pixel mean removed and scaled
//! by one global factor so that the mean of |x|^2 over them is D ([`crate::data::Normaliser`]); the file
//! is read once, in `prepare`. Per trial: a random split (target training images first, then source
//! training images among the rest, test images = everything not trained on, at most `test` per task;
//! class 0 belongs to both pairs by default, so the two training sets never share an image and no test
//! image was trained on), a network initialisation, and two runs of [`joint::simulate`] on the same split
//! and the same initial draws (z_i, w_i), one at gamma1 and one at gamma1_ref (common random numbers).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use faer::{Col, Mat};
use rand::RngExt;

use super::{Observable, OutputSpec, TrialRunner, check_memory};
use crate::data::cifar::BATCHES;
use crate::data::{Dataset, Normaliser};
use crate::error::{Error, Result};
use crate::params::{Kind, ParamSet, ParamSpec};
use crate::rng::Rng;
use crate::sim::lauditi::joint::{self, Phi, PointSet, Schedule, Solver, TwoStageData};

/// `lauditi.real_transfer`.
pub struct RealTransfer;

const fn class(name: &'static str, default: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec { name, kind: Kind::Count(0, 255), default, doc, used_when: None }
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "data",
        kind: Kind::Text("path"),
        default: concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv"),
        doc: "images: a CIFAR-10 directory (data_batch_1.bin ..), one CIFAR-10 .bin file, or a CSV file \
              (header `label,p0,..`); default: the 8x8 digits shipped in data/; relative paths are relative to the working directory (in a theorem file: to the file)",
        used_when: None,
    },
    class("source_plus", "0", "source class labelled +1"),
    class("source_minus", "1", "source class labelled -1"),
    class("target_plus", "0", "target class labelled +1"),
    class("target_minus", "9", "target class labelled -1"),
    ParamSpec {
        name: "p1",
        kind: Kind::Count(1, 1_000_000),
        default: "50",
        doc: "source training images P1",
        used_when: None,
    },
    ParamSpec {
        name: "p2",
        kind: Kind::Count(1, 1_000_000),
        default: "20",
        doc: "target training images P2",
        used_when: None,
    },
    ParamSpec {
        name: "test",
        kind: Kind::Count(1, 1_000_000),
        default: "400",
        doc: "at most this many test images per task (the untrained images of its pair, in random order)",
        used_when: None,
    },
    ParamSpec {
        name: "gamma1",
        kind: Kind::Real("(0, inf)"),
        default: "1",
        doc: "source richness gamma1 (unit-coefficient convention of docs/conventions.md)",
        used_when: None,
    },
    ParamSpec {
        name: "gamma1_ref",
        kind: Kind::Real("(0, inf)"),
        default: "0.1",
        doc: "reference (nearly lazy) source richness of `loss_ref`",
        used_when: None,
    },
    ParamSpec {
        name: "gamma2",
        kind: Kind::Real("[0, inf)"),
        default: "0",
        doc: "target richness gamma2 (0 = fine-tuning on the frozen stage-1 features)",
        used_when: None,
    },
    ParamSpec {
        name: "phi",
        kind: Kind::Choice(&["identity", "relu", "tanh"]),
        default: "relu",
        doc: "hidden-layer activation",
        used_when: None,
    },
    ParamSpec {
        name: "readout",
        kind: Kind::Choice(&["reset", "keep"]),
        default: "reset",
        doc: "reset = readout set to 0 before stage 2 (fine-tuning as in docs/conventions.md), keep = continue from stage 1",
        used_when: None,
    },
    ParamSpec {
        name: "t1",
        kind: Kind::Real("(0, inf)"),
        default: "10",
        doc: "stage-1 training time (joint engine units; on digits the test losses at 10 and 40 agree within \
              their se for relu, identity keeps overfitting slowly)",
        used_when: None,
    },
    ParamSpec {
        name: "t2",
        kind: Kind::Real("(0, inf)"),
        default: "10",
        doc: "stage-2 training time (joint engine units)",
        used_when: None,
    },
    ParamSpec {
        name: "solver",
        kind: Kind::Choice(&["network", "dmft"]),
        default: "network",
        doc: "network = finite width n; dmft = single-site population of n neurons",
        used_when: None,
    },
    ParamSpec {
        name: "n",
        kind: Kind::Count(2, 1_000_000),
        default: "128",
        doc: "network width N, or DMFT population M",
        used_when: None,
    },
    ParamSpec {
        name: "eta0",
        kind: Kind::Real("(0, 2)"),
        default: "1.5",
        doc: "Euler step scale: dt = eta0 / (bound on the tangent kernel's largest eigenvalue)",
        used_when: None,
    },
];

const OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "loss", doc: "target test MSE (1/T) sum (f - y)^2 at the end of stage 2 (1 = zero predictor)" },
    OutputSpec { name: "loss_ref", doc: "the same with gamma1 = gamma1_ref, same split and initial draws" },
    OutputSpec { name: "gain", doc: "loss_ref - loss (positive: richer pre-training helps)" },
    OutputSpec { name: "forgetting", doc: "source test MSE at the end of stage 2 minus at the end of stage 1" },
    OutputSpec { name: "source_loss", doc: "source test MSE at the end of stage 1" },
    OutputSpec { name: "steps", doc: "Euler steps of the gamma1 run (both stages)" },
];

/// Normalised images of the four classes and the two class pairs as (row, label) lists.
struct Images {
    x: Mat<f64>,
    source: Vec<(usize, f64)>,
    target: Vec<(usize, f64)>,
    name: String,
}

/// Identifies a data set on disk: path, classes, and (size, modification time) of the files read.
type Key = (String, Vec<u8>, Vec<(u64, Option<SystemTime>)>);

/// The last data set read: a theorem grid or an experiment prepares many points on the same file.
static CACHE: Mutex<Option<(Key, Arc<Images>)>> = Mutex::new(None);

/// Reads (or takes from the cache) the normalised images of `classes` = (source +, source -, target +,
/// target -) at `path`.
fn images(path: &Path, classes: &[u8]) -> Result<Arc<Images>> {
    let stamp = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.len(), m.modified().ok()));
    let files: Vec<_> = if path.is_dir() {
        BATCHES.iter().filter_map(|b| stamp(&path.join(b))).collect()
    } else {
        stamp(path).into_iter().collect()
    };
    let key: Key = (path.display().to_string(), classes.to_vec(), files);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((k, images)) = cache.as_ref()
        && *k == key
    {
        return Ok(images.clone());
    }
    let set = Dataset::load(path, Some(classes))?;
    let mut pools: [Vec<(usize, f64)>; 2] = [Vec::new(), Vec::new()];
    for (pool, pair) in pools.iter_mut().zip([&classes[0..2], &classes[2..4]]) {
        let (plus, minus) = (set.indices_of(pair[0])?, set.indices_of(pair[1])?);
        pool.extend(plus.into_iter().map(|i| (i, 1.0)).chain(minus.into_iter().map(|i| (i, -1.0))));
    }
    let [source, target] = pools;
    let mut x = set.images;
    Normaliser::fit(&x, &set.name)?.apply(&mut x);
    let images = Arc::new(Images { x, source, target, name: set.name });
    *cache = Some((key, images.clone()));
    Ok(images)
}

/// One prepared point: the shared images, sizes and the two schedules (gamma1 and gamma1_ref).
struct Runner {
    images: Arc<Images>,
    p1: usize,
    p2: usize,
    test: usize,
    phi: Phi,
    schedule: Schedule,
    schedule_ref: Schedule,
    solver: Solver,
}

impl Runner {
    /// Rows of one trial's four sets: (source train, target train, source test, target test).
    fn split(&self, rng: &mut Rng) -> [Vec<(usize, f64)>; 4] {
        // A uniformly random rank per image (Fisher-Yates), then each set takes the lowest ranks it may.
        let n = self.images.x.nrows();
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let mut rank = vec![0; n];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let by_rank = |pool: &[(usize, f64)]| {
            let mut v = pool.to_vec();
            v.sort_unstable_by_key(|e| rank[e.0]);
            v
        };
        let (source, target) = (by_rank(&self.images.source), by_rank(&self.images.target));
        let mut used = vec![false; n];
        let target_train: Vec<_> = target.iter().take(self.p2).copied().collect();
        target_train.iter().for_each(|e| used[e.0] = true);
        let source_train: Vec<_> = source.iter().filter(|e| !used[e.0]).take(self.p1).copied().collect();
        source_train.iter().for_each(|e| used[e.0] = true);
        let rest = |pool: &[(usize, f64)]| pool.iter().filter(|e| !used[e.0]).take(self.test).copied().collect();
        [source_train, target_train, rest(&source), rest(&target)]
    }

    fn set(&self, rows: &[(usize, f64)]) -> PointSet {
        let x = &self.images.x;
        PointSet {
            x: Mat::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i].0, j)]),
            y: Col::from_fn(rows.len(), |i| rows[i].1),
        }
    }
}

impl TrialRunner for Runner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let [s_tr, t_tr, s_te, t_te] = self.split(rng);
        let data = TwoStageData {
            source_train: self.set(&s_tr),
            target_train: self.set(&t_tr),
            source_test: self.set(&s_te),
            target_test: self.set(&t_te),
        };
        let mut rng_ref = rng.clone();
        let rich = joint::simulate(&data, self.phi, &self.schedule, self.solver, rng)?;
        let lazy = joint::simulate(&data, self.phi, &self.schedule_ref, self.solver, &mut rng_ref)?;
        let end = |c: &joint::Curves| (c.target_loss.last().copied(), c.source_loss.last().copied());
        let ((Some(loss), Some(source_end)), (Some(loss_ref), _)) = (end(&rich), end(&lazy)) else {
            return Err(Error::numerical("the two-stage run recorded no losses"));
        };
        out.copy_from_slice(&[
            loss,
            loss_ref,
            loss_ref - loss,
            source_end - rich.source_after_stage1,
            rich.source_after_stage1,
            rich.steps as f64,
        ]);
        Ok(())
    }
}

/// Checks that every set of every split is non-empty: the pools minus what the other training set can
/// take from a shared class must leave at least one test image.
fn check_sizes(source: &[(usize, f64)], target: &[(usize, f64)], p1: usize, p2: usize, name: &str) -> Result<()> {
    let rows = source.iter().chain(target).map(|e| e.0 + 1).max().unwrap_or(0);
    let mut in_target = vec![false; rows];
    target.iter().for_each(|t| in_target[t.0] = true);
    let shared = source.iter().filter(|s| in_target[s.0]).count();
    let source_left = source.len() as i64 - p1 as i64 - p2.min(shared) as i64;
    let target_left = target.len() as i64 - p2 as i64 - p1.min(shared) as i64;
    if source_left < 1 || target_left < 1 {
        return Err(Error::input(format!(
            "{name}: too few images for p1 = {p1}, p2 = {p2}: the source pair has {} and the target pair {} \
             images ({shared} shared); every split must leave a test image for each task",
            source.len(),
            target.len()
        )));
    }
    Ok(())
}

impl Observable for RealTransfer {
    fn name(&self) -> &'static str {
        "lauditi.real_transfer"
    }
    fn doc(&self) -> &'static str {
        "Regression transfer on real images: a two-layer muP network (width n or DMFT population n) trained on \
         the source class pair (labels +-1, P1 images, richness gamma1, time t1), then on the target pair (P2 \
         images, gamma2, time t2, readout reset by default); inputs grey-scale, per-pixel centred, |x|^2 = D on \
         average. Each trial draws a split and an initialisation and also runs gamma1 = gamma1_ref on the same \
         draws. Defaults (digits, D = 64): about 0.06 s (relu) to 0.1 s (identity) of CPU per trial."
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        let classes = ["source_plus", "source_minus", "target_plus", "target_minus"]
            .map(|c| params.size(c).map(|v| v as u8))
            .into_iter()
            .collect::<Result<Vec<u8>>>()?;
        for (name, pair) in [("source", &classes[0..2]), ("target", &classes[2..4])] {
            if pair[0] == pair[1] {
                return Err(Error::input(format!(
                    "the {name} pair needs two different classes (got {} twice)",
                    pair[0]
                )));
            }
        }
        let (p1, p2, test) = (params.size("p1")?, params.size("p2")?, params.size("test")?);
        let phi = Phi::parse(params.text("phi")?)?;
        let n = params.size("n")?;
        let solver = match params.text("solver")? {
            "dmft" => Solver::Dmft { population: n },
            _ => Solver::Network { width: n },
        };
        let t2 = params.num("t2")?;
        let schedule = Schedule {
            gamma1: params.num("gamma1")?,
            gamma2: params.num("gamma2")?,
            t1: params.num("t1")?,
            t2,
            record: vec![t2],
            eta0: params.num("eta0")?,
            reset_readout: params.text("readout")? == "reset",
            max_steps: 10_000_000,
        };
        schedule.validate()?;
        let schedule_ref = Schedule { gamma1: params.num("gamma1_ref")?, ..schedule.clone() };

        let images = images(Path::new(params.text("data")?), &classes)?;
        check_sizes(&images.source, &images.target, p1, p2, &images.name)?;
        let rows = images.source.len().max(images.target.len());
        let sizes = (p1 + p2 + 2 * test.min(rows)) as f64;
        let d = images.x.ncols() as f64;
        let per_run = match solver {
            Solver::Network { width } => 8.0 * (sizes * d + width as f64 * (d + 5.0 * sizes)),
            Solver::Dmft { population } => 8.0 * (sizes * sizes + sizes * d + population as f64 * 7.0 * sizes),
        };
        check_memory(2.0 * per_run, "lauditi.real_transfer")?;
        Ok(Box::new(Runner { images, p1, p2, test, phi, schedule, schedule_ref, solver }))
    }
}
