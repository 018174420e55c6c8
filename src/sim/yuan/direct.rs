//! Direct method: filters as d-vectors; one step costs O(m N d) (two matrix products).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use super::{Data, Training, loss_weights, step_coefficients};
use crate::sim::registers::clear_upper;

/// Full-batch gradient descent on the d-vectors: Z = W Xi^T, then W += D Xi + c s^T.
pub fn train(w: &mut Mat<f64>, data: &Data, training: &Training) {
    let (two_m, n) = (w.nrows(), data.noise.nrows());
    let m = two_m / 2;
    let mut z = Mat::<f64>::zeros(two_m, n);
    let mut dmat = Mat::<f64>::zeros(two_m, n);
    let (mut sig, mut c, mut g) = (vec![0.0; two_m], vec![0.0; two_m], vec![0.0; n]);
    for _ in 0..training.steps {
        for (r, sr) in sig.iter_mut().enumerate() {
            *sr = (0..data.signal.len()).map(|k| w[(r, k)] * data.signal[k]).sum();
        }
        matmul(z.as_mut(), Accum::Replace, w.as_ref(), data.noise.transpose(), 1.0, Par::Seq);
        clear_upper();
        loss_weights(&sig, &z, data, m, &mut g);
        step_coefficients(&sig, &z, &g, data, training.eta, &mut c, &mut dmat);
        matmul(w.as_mut(), Accum::Add, dmat.as_ref(), data.noise.as_ref(), 1.0, Par::Seq);
        clear_upper();
        for (r, cr) in c.iter().enumerate() {
            for (k, sk) in data.signal.iter().enumerate() {
                w[(r, k)] += cr * sk;
            }
        }
    }
}
