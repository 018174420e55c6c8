//! Teachers and data of the joint-rich experiments: single-index Hermite teachers
//! y = He_k(b . x) / sqrt(k!) on x ~ N(0, I_D) (unit variance for every k; k = 1 is the linear
//! teacher y = b . x), a source direction b_s and a target direction b_t with b_s . b_t = alpha_s.

use faer::{Col, Mat};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::sim::gaussian::{normal, normal_matrix, unit_vector, unit_vector_orthogonal_to};

/// Highest Hermite degree offered.
pub const MAX_DEGREE: usize = 5;

/// Normalised probabilists' Hermite polynomial He_k(u) / sqrt(k!), by He_{k+1} = u He_k - k He_{k-1}.
pub fn hermite(k: usize, u: f64) -> f64 {
    let (mut prev, mut cur) = (1.0, u);
    if k == 0 {
        return 1.0;
    }
    let mut norm = 1.0;
    for j in 1..k {
        let next = u * cur - j as f64 * prev;
        prev = cur;
        cur = next;
        norm *= (j + 1) as f64;
    }
    cur / norm.sqrt()
}

/// A labelled set of inputs: rows of `x` are the inputs x_mu in R^D, `y` their labels.
#[derive(Debug, Clone)]
pub struct PointSet {
    pub x: Mat<f64>,
    pub y: Col<f64>,
}

impl PointSet {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// True when the set has no points.
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }
}

/// The four sets of the two-stage experiment. Test labels are noiseless.
#[derive(Debug, Clone)]
pub struct TwoStageData {
    pub source_train: PointSet,
    pub target_train: PointSet,
    pub source_test: PointSet,
    pub target_test: PointSet,
}

impl TwoStageData {
    /// Input dimension D.
    pub fn dim(&self) -> usize {
        self.source_train.x.ncols()
    }

    /// Checks that every set is non-empty, all share D, and every number is finite.
    pub fn validate(&self) -> Result<()> {
        let d = self.dim();
        let sets = [
            ("source training", &self.source_train),
            ("target training", &self.target_train),
            ("source test", &self.source_test),
            ("target test", &self.target_test),
        ];
        for (name, set) in sets {
            if set.is_empty() {
                return Err(Error::input(format!("the {name} set is empty")));
            }
            if set.x.ncols() != d || set.y.nrows() != set.len() {
                return Err(Error::input(format!(
                    "the {name} set does not have D = {d} columns and one label per row"
                )));
            }
            let finite = (0..set.len()).all(|i| set.y[i].is_finite() && (0..d).all(|j| set.x[(i, j)].is_finite()));
            if !finite {
                return Err(Error::input(format!("the {name} set contains a non-finite number")));
            }
        }
        Ok(())
    }
}

/// A single-index Hermite teacher task.
#[derive(Debug, Clone, Copy)]
pub struct HermiteTask {
    /// Hermite degree k in 1..=5 (1 = linear).
    pub degree: usize,
    /// Label-noise standard deviation of training labels.
    pub noise: f64,
}

/// Sizes and teachers of a synthetic two-stage experiment.
#[derive(Debug, Clone, Copy)]
pub struct SyntheticPair {
    pub d: usize,
    pub source: HermiteTask,
    pub target: HermiteTask,
    /// Overlap b_s . b_t of the unit teacher directions, in [-1, 1].
    pub alpha_s: f64,
    pub p1: usize,
    pub p2: usize,
    /// Test points per task.
    pub test: usize,
}

impl SyntheticPair {
    /// Draws teachers and all four point sets.
    pub fn sample(&self, rng: &mut Rng) -> Result<TwoStageData> {
        for task in [self.source, self.target] {
            if !(1..=MAX_DEGREE).contains(&task.degree) {
                return Err(Error::input(format!("Hermite degree {} outside 1..={MAX_DEGREE}", task.degree)));
            }
        }
        if !(-1.0..=1.0).contains(&self.alpha_s) || self.d < 2 {
            return Err(Error::input("alpha_s must lie in [-1, 1] and d >= 2"));
        }
        let b_s = unit_vector(rng, self.d);
        let perp = unit_vector_orthogonal_to(rng, &b_s);
        let b_t = &b_s * self.alpha_s + &perp * (1.0 - self.alpha_s * self.alpha_s).sqrt();
        let set = |n: usize, b: &Col<f64>, task: HermiteTask, noisy: bool, rng: &mut Rng| {
            let x = normal_matrix(rng, n, self.d);
            let u = &x * b;
            let y =
                Col::from_fn(n, |i| hermite(task.degree, u[i]) + if noisy { task.noise * normal(rng) } else { 0.0 });
            PointSet { x, y }
        };
        Ok(TwoStageData {
            source_train: set(self.p1, &b_s, self.source, true, rng),
            target_train: set(self.p2, &b_t, self.target, true, rng),
            source_test: set(self.test, &b_s, self.source, false, rng),
            target_test: set(self.test, &b_t, self.target, false, rng),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::hermite;

    /// Gauss-Hermite-free check: E[He_j He_k / sqrt(j! k!)] = delta_jk by a fine Riemann sum.
    #[test]
    fn hermite_orthonormal() {
        let n = 200_000;
        let (lo, hi) = (-12.0, 12.0);
        let du = (hi - lo) / n as f64;
        for j in 1..=5 {
            for k in 1..=5 {
                let s: f64 = (0..n)
                    .map(|i| {
                        let u = lo + (i as f64 + 0.5) * du;
                        hermite(j, u) * hermite(k, u) * (-u * u / 2.0).exp()
                    })
                    .sum::<f64>()
                    * du
                    / (2.0 * std::f64::consts::PI).sqrt();
                let want = if j == k { 1.0 } else { 0.0 };
                assert!((s - want).abs() < 1e-9, "E[He{j} He{k}] = {s}");
            }
        }
    }
}
