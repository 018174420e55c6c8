//! Observable of Yuan, Meng et al. (arXiv 2509.22056): downstream test error of a two-layer ReLU
//! CNN after parameter transfer, and of the same network trained from scratch on common data.

use super::{Observable, OutputSpec, TrialRunner, check_memory};
use crate::error::{Error, Result};
use crate::params::{Kind, ParamSet, ParamSpec};
use crate::rng::Rng;
use crate::sim::yuan::{Experiment, Method, Task, Training, memory_bytes, transfer_trial};

/// `yuan.test_error`: upstream training, transfer of alpha m filters per class, downstream training.
pub struct TestError;

const fn real(name: &'static str, domain: &'static str, default: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec { name, kind: Kind::Real(domain), default, doc, used_when: None }
}

const fn count(name: &'static str, lo: u64, hi: u64, default: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec { name, kind: Kind::Count(lo, hi), default, doc, used_when: None }
}

const PARAMS: &[ParamSpec] = &[
    count("d", 4, 1_000_000, "1000", "patch dimension d (signal vectors use 3 coordinates)"),
    count("m", 1, 10_000, "10", "filters per class m"),
    count("N1", 1, 1_000_000, "100", "upstream (task 1) training samples"),
    count("N2", 1, 1_000_000, "20", "downstream (task 2) training samples"),
    real("u_norm", "(0, inf)", "1", "|u|, norm of the universal signal shared by both tasks"),
    real("v1_norm", "[0, inf)", "1", "|v1|, norm of the upstream-specific signal"),
    real("v2_norm", "[0, inf)", "1", "|v2|, norm of the downstream-specific signal"),
    real("sigma_p1", "(0, inf)", "1", "upstream noise-patch standard deviation sigma_{p,1}"),
    real("sigma_p2", "(0, inf)", "1", "downstream noise-patch standard deviation sigma_{p,2}"),
    real("alpha", "[0, 1]", "0.5", "fraction of each class's m filters inherited (alpha m must be whole)"),
    real("eta", "(0, inf)", "0.5", "gradient-descent step size of both stages"),
    count("steps1", 0, 100_000_000, "300", "upstream gradient-descent steps"),
    count("steps2", 0, 100_000_000, "300", "downstream gradient-descent steps"),
    real("sigma0", "(0, inf)", "0.01", "standard deviation of the filter initialisation"),
    real("p", "[0, 0.5)", "0", "label-flip probability (Bayes-optimal test error = p)"),
    ParamSpec {
        name: "procedure",
        kind: Kind::Choice(&["transfer", "scratch"]),
        default: "transfer",
        doc: "which model's error is the primary output test_error (both are always trained)",
        used_when: None,
    },
    ParamSpec {
        name: "method",
        kind: Kind::Choice(&["coefficient", "direct"]),
        default: "coefficient",
        doc: "coefficient = filters tracked in span{start, signal, noise}, O(m N^2) per step; direct = d-vectors, O(m N d)",
        used_when: None,
    },
    count("n_test", 1, 100_000_000, "2000", "test noise draws per trial (each scored with y = +1 and -1)"),
];

const OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "test_error", doc: "downstream 0-1 test error of the chosen procedure" },
    OutputSpec { name: "diff", doc: "transfer minus scratch test error on common training and test data" },
    OutputSpec { name: "transfer_error", doc: "downstream 0-1 test error after parameter transfer" },
    OutputSpec { name: "scratch_error", doc: "downstream 0-1 test error when trained from scratch" },
    OutputSpec {
        name: "upstream_snr",
        doc: "upstream filters: sum_r |<dw_r, u>|/|u| over sum_r |dw_r outside the signal coordinates| (0 if alpha = 0)",
    },
    OutputSpec {
        name: "u_ratio",
        doc: "inherited filters after upstream training: sum_r |gamma_r| / sum_r mean_i |rho_ri| with dw_r = gamma_r u/|u|^2 + v1 part + sum_i rho_ri xi_i/|xi_i|^2 (0 if alpha = 0; NaN if N1 > d - 2)",
    },
    OutputSpec {
        name: "inherited_error",
        doc: "downstream 0-1 test error of the transferred model at inheritance, before downstream training (own test draws)",
    },
];

struct Runner {
    experiment: Experiment,
    method: Method,
    transfer: bool,
}

impl TrialRunner for Runner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let o = transfer_trial(&self.experiment, self.method, rng);
        let primary = if self.transfer { o.transfer } else { o.scratch };
        out.copy_from_slice(&[
            primary,
            o.transfer - o.scratch,
            o.transfer,
            o.scratch,
            o.upstream_snr,
            o.u_ratio,
            o.inherited,
        ]);
        Ok(())
    }
}

/// Builds the experiment from validated parameters.
pub fn experiment(params: &ParamSet) -> Result<Experiment> {
    let m = params.size("m")?;
    let alpha = params.num("alpha")?;
    let inherited = alpha * m as f64;
    if (inherited - inherited.round()).abs() > 1e-9 {
        return Err(Error::input(format!("alpha * m = {alpha} * {m} = {inherited} is not a whole number of filters")));
    }
    let task = |u: f64, v: f64, coord: usize, s: f64| -> Result<Task> {
        Ok(Task { u_norm: u, v_norm: v, v_coord: coord, sigma_p: s, flip: params.num("p")? })
    };
    let u = params.num("u_norm")?;
    let e = Experiment {
        d: params.size("d")?,
        m,
        n1: params.size("N1")?,
        n2: params.size("N2")?,
        upstream: task(u, params.num("v1_norm")?, 1, params.num("sigma_p1")?)?,
        downstream: task(u, params.num("v2_norm")?, 2, params.num("sigma_p2")?)?,
        inherited: inherited.round() as usize,
        stage1: Training { eta: params.num("eta")?, steps: params.size("steps1")? },
        stage2: Training { eta: params.num("eta")?, steps: params.size("steps2")? },
        sigma0: params.num("sigma0")?,
        n_test: params.size("n_test")?,
    };
    check_memory(memory_bytes(&e), "yuan.test_error")?;
    Ok(e)
}

impl Observable for TestError {
    fn name(&self) -> &'static str {
        "yuan.test_error"
    }
    fn doc(&self) -> &'static str {
        "Two-layer ReLU CNN (2m filters, second layer +-1/m, patches y(u + v_k) and projected Gaussian noise), \
         full-batch GD on the logistic loss: train upstream on N1 task-1 samples, copy a random alpha m filters \
         per class into a fresh network, train all filters on N2 task-2 samples; the same fresh network is also \
         trained from scratch on the same data. Outputs downstream 0-1 test errors on common test data."
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        let method = if params.text("method")? == "direct" { Method::Direct } else { Method::Coefficient };
        Ok(Box::new(Runner {
            experiment: experiment(params)?,
            method,
            transfer: params.text("procedure")? == "transfer",
        }))
    }
}
