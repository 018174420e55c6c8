//! A synthetic observable whose truth is known by construction, for calibrating the decision
//! machinery (`tlcheck calibrate --theorems tests/calibration`): the false-refutation rate on claims
//! that hold and the power on claims that do not, measured over many seeds in seconds.
//!
//! `synthetic.noisy` returns y = f(x) + offset 1[x >= offset_from] + noise with the known function
//! f(x) = a x^2 + b computed here in Rust (not through the formula layer a theorem file uses), so a
//! claim `a * x^2 + b` holds exactly when `offset` is 0, is refuted by any nonzero `offset` applied
//! on the whole grid, and is regime-limited when the offset applies only from `offset_from` on.

use rand_distr::{Distribution, StudentT};

use super::{Observable, OutputSpec, TrialRunner, write_outputs};
use crate::error::{Error, Result};
use crate::params::{Kind, ParamSet, ParamSpec};
use crate::rng::Rng;
use crate::sim::gaussian::normal;

/// `synthetic.noisy`: a known function of the parameters plus noise of a stated distribution.
pub struct Noisy;

/// Degrees of freedom of the heavy-tailed noise (the fewest with a finite variance and a finite
/// third moment: the mean of a few hundred trials is close to normal, but single trials have
/// outliers many standard deviations out).
pub const HEAVY_DOF: f64 = 3.0;

const fn spec(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec { name, kind, default, doc, used_when: None }
}

const PARAMS: &[ParamSpec] = &[
    spec("x", Kind::Real("[0, inf)"), "1", "abscissa x of f(x) = a x^2 + b"),
    spec("a", Kind::Real("(-inf, inf)"), "1", "curvature a of f(x) = a x^2 + b"),
    spec("b", Kind::Real("(-inf, inf)"), "0", "intercept b of f(x) = a x^2 + b"),
    spec("sigma", Kind::Real("[0, inf)"), "1", "standard deviation of the noise"),
    spec(
        "noise",
        Kind::Choice(&["gaussian", "student_t3"]),
        "gaussian",
        "noise law: gaussian = N(0, sigma^2); student_t3 = Student t with 3 degrees of freedom scaled to \
         standard deviation sigma (t sigma / sqrt(3)), heavy-tailed",
    ),
    spec("offset", Kind::Real("(-inf, inf)"), "0", "known bias added to y where x >= offset_from"),
    spec("offset_from", Kind::Real("[0, inf)"), "0", "the offset applies where x >= offset_from (0: everywhere)"),
];

const OUTPUTS: &[OutputSpec] = &[
    OutputSpec { name: "y", doc: "a x^2 + b + offset [x >= offset_from] + noise" },
    OutputSpec { name: "noise", doc: "the noise of this trial alone (mean 0, standard deviation sigma)" },
];

struct Runner {
    /// The noise-free value f(x) + offset 1[x >= offset_from].
    mean: f64,
    sigma: f64,
    heavy: Option<StudentT<f64>>,
}

impl TrialRunner for Runner {
    fn run(&self, _: &mut Vec<f64>, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let unit = match &self.heavy {
            Some(t) => t.sample(rng) / (HEAVY_DOF / (HEAVY_DOF - 2.0)).sqrt(),
            None => normal(rng),
        };
        let noise = self.sigma * unit;
        write_outputs(OUTPUTS, out, &[("y", self.mean + noise), ("noise", noise)])
    }
}

impl Observable for Noisy {
    fn name(&self) -> &'static str {
        "synthetic.noisy"
    }
    fn doc(&self) -> &'static str {
        "Synthetic observable with a known truth, for calibrating the decision machinery: \
         y = a x^2 + b + offset [x >= offset_from] + noise, the noise Gaussian or Student t (3 degrees of \
         freedom) with standard deviation sigma. A claim y = a x^2 + b holds exactly when offset = 0."
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn outputs(&self) -> &'static [OutputSpec] {
        OUTPUTS
    }
    fn prepare(&self, params: &ParamSet, _seed: u64) -> Result<Box<dyn TrialRunner>> {
        let x = params.num("x")?;
        let shifted = x >= params.num("offset_from")?;
        let mean = params.num("a")? * x * x + params.num("b")? + if shifted { params.num("offset")? } else { 0.0 };
        let heavy = match params.text("noise")? {
            "student_t3" => {
                Some(StudentT::new(HEAVY_DOF).map_err(|e| Error::numerical(format!("Student t law: {e}")))?)
            }
            _ => None,
        };
        if !mean.is_finite() {
            return Err(Error::input(format!("a x^2 + b + offset = {mean} is not finite at {params}")));
        }
        Ok(Box::new(Runner { mean, sigma: params.num("sigma")?, heavy }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observable::simulate;

    fn sample(given: &[(&str, &str)], trials: usize) -> crate::observable::Sample {
        let given: Vec<(String, String)> = given.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        simulate(&Noisy, &Noisy.resolve(&given).unwrap(), trials, 7, None).unwrap()
    }

    /// Mean and standard deviation of the noise are as stated for both laws, and the offset applies
    /// exactly from `offset_from` on.
    #[test]
    fn noise_has_the_stated_mean_and_deviation() {
        for law in ["gaussian", "student_t3"] {
            let s = sample(&[("sigma", "2"), ("noise", law)], 40_000);
            let noise = s.column("noise").unwrap();
            let n = noise.len() as f64;
            let mean = noise.iter().sum::<f64>() / n;
            let sd = (noise.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            // se of the mean 2/200 = 0.01; the sample sd of t3 converges slowly (infinite kurtosis).
            assert!(mean.abs() < 0.05, "{law}: mean {mean}");
            assert!((sd - 2.0).abs() < if law == "gaussian" { 0.05 } else { 0.3 }, "{law}: sd {sd}");
        }
        let at = |x: &str| {
            sample(&[("x", x), ("a", "2"), ("b", "1"), ("sigma", "0"), ("offset", "5"), ("offset_from", "1")], 1)
        };
        assert_eq!(at("0.5").column("y").unwrap(), [1.5]);
        assert_eq!(at("1").column("y").unwrap(), [8.0]);
    }
}
