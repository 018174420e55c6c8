//! Coefficient method: w_r = s_r + a_r . e + sum_i rho_{r,i} xi_i with s_r the stage's starting
//! filter, e the signal coordinates and xi_i the training noise patches. With the Gram matrix
//! G = Xi Xi^T, the starting projections Z0 = S Xi^T and the noise's signal coordinates X_e, the
//! activations are <w_r, xi_i> = Z0 + A X_e^T + R G (O(m N^2) per step) and
//! <w_r, s> = <s_r, s> + a_r . s + sum_i rho_{r,i} <xi_i, s>. The d-vectors are rebuilt once at the end.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use super::{Data, SIGNAL_COORDS, Training, loss_weights, step_coefficients};
use crate::sim::registers::clear_upper;

/// Full-batch gradient descent in coefficient form; `w` holds the starting filters on entry and
/// the trained ones on exit.
pub fn train(w: &mut Mat<f64>, data: &Data, training: &Training) {
    let (two_m, n) = (w.nrows(), data.noise.nrows());
    let m = two_m / 2;
    let xi = data.noise.as_ref();
    let mut gram = Mat::<f64>::zeros(n, n);
    matmul(gram.as_mut(), Accum::Replace, xi, xi.transpose(), 1.0, Par::Seq);
    let mut z0 = Mat::<f64>::zeros(two_m, n);
    matmul(z0.as_mut(), Accum::Replace, w.as_ref(), xi.transpose(), 1.0, Par::Seq);
    clear_upper();
    let s = data.signal;
    let dot_s = |row: &dyn Fn(usize) -> f64| (0..SIGNAL_COORDS).map(|k| row(k) * s[k]).sum::<f64>();
    let sig0: Vec<f64> = (0..two_m).map(|r| dot_s(&|k| w[(r, k)])).collect();
    let xi_s: Vec<f64> = (0..n).map(|i| dot_s(&|k| xi[(i, k)])).collect();
    // a_r . s for the signal increments: a_r = (sum of c_r) s, so track the scalar total t_r.
    let mut t = vec![0.0; two_m];
    let mut rho = Mat::<f64>::zeros(two_m, n);
    let mut z = Mat::<f64>::zeros(two_m, n);
    let mut dmat = Mat::<f64>::zeros(two_m, n);
    let (mut sig, mut c, mut g, mut rx) = (vec![0.0; two_m], vec![0.0; two_m], vec![0.0; n], vec![0.0; two_m]);
    let s2: f64 = s.iter().map(|x| x * x).sum();
    for _ in 0..training.steps {
        signal_activations(&rho, &xi_s, &mut rx);
        for r in 0..two_m {
            sig[r] = sig0[r] + t[r] * s2 + rx[r];
        }
        z.copy_from(&z0);
        for (i, &x) in xi_s.iter().enumerate() {
            for (zr, &tr) in z.col_as_slice_mut(i).iter_mut().zip(&t) {
                if tr != 0.0 {
                    *zr += tr * x;
                }
            }
        }
        matmul(z.as_mut(), Accum::Add, rho.as_ref(), gram.as_ref(), 1.0, Par::Seq);
        clear_upper();
        loss_weights(&sig, &z, data, m, &mut g);
        step_coefficients(&sig, &z, &g, data, training.eta, &mut c, &mut dmat);
        rho += &dmat;
        for (tr, cr) in t.iter_mut().zip(&c) {
            *tr += cr;
        }
    }
    matmul(w.as_mut(), Accum::Add, rho.as_ref(), xi, 1.0, Par::Seq);
    clear_upper();
    for (r, tr) in t.iter().enumerate() {
        for (k, sk) in s.iter().enumerate() {
            w[(r, k)] += tr * sk;
        }
    }
}

/// out_r = sum_i rho_{r,i} <xi_i, s>, summed over i in order, column by column of `rho` (contiguous).
fn signal_activations(rho: &Mat<f64>, xi_s: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    for (i, &x) in xi_s.iter().enumerate() {
        out.iter_mut().zip(rho.col_as_slice(i)).for_each(|(o, &p)| *o += p * x);
    }
}
