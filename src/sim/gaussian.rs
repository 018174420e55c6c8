//! Gaussian building blocks, all drawn from the caller's generator so trials stay reproducible.

use faer::{Col, Mat};
use rand_distr::{Distribution, StandardNormal};

use crate::rng::Rng;

/// One standard normal variate.
pub fn normal(rng: &mut Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// Fills a slice with i.i.d. standard normals.
pub fn fill_normal(rng: &mut Rng, out: &mut [f64]) {
    for x in out {
        *x = normal(rng);
    }
}

/// An n x m matrix with i.i.d. N(0, 1) entries.
pub fn normal_matrix(rng: &mut Rng, rows: usize, cols: usize) -> Mat<f64> {
    Mat::from_fn(rows, cols, |_, _| normal(rng))
}

/// A vector with i.i.d. N(0, 1) entries.
pub fn normal_col(rng: &mut Rng, n: usize) -> Col<f64> {
    Col::from_fn(n, |_| normal(rng))
}

/// A uniformly random unit vector in R^n.
pub fn unit_vector(rng: &mut Rng, n: usize) -> Col<f64> {
    loop {
        let v = normal_col(rng, n);
        let norm = v.norm_l2();
        if norm > 1e-12 {
            return v * (1.0 / norm);
        }
    }
}

/// A uniformly random unit vector orthogonal to the unit vector `e` (n >= 2).
pub fn unit_vector_orthogonal_to(rng: &mut Rng, e: &Col<f64>) -> Col<f64> {
    loop {
        let v = normal_col(rng, e.nrows());
        let v = &v - e * (e.transpose() * &v);
        let norm = v.norm_l2();
        if norm > 1e-12 {
            return v * (1.0 / norm);
        }
    }
}
