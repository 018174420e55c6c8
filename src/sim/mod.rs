//! Simulators of the learning procedures that claims are checked against.
//!
//! - [`lauditi`]: two-layer muP linear networks (pre-training, feature kernel, readout fine-tuning).
//! - [`tahir`]: deep linear networks of Tahir et al. (scratch, linear transfer, fine-tuning).
//! - [`wishart`]: exact low-cost sampling of Gaussian Gram matrices (tridiagonal model).
//! - [`yuan`]: two-layer ReLU CNN, parameter transfer (upstream, transfer, downstream, scratch).
//! - [`gaussian`]: Gaussian vectors and matrices from the project's generator.
//! - [`registers`]: clearing the vector registers' upper halves after matrix products (speed).

pub mod gaussian;
pub mod lauditi;
pub mod registers;
pub mod tahir;
pub mod wishart;
pub mod yuan;

use crate::error::{Error, Result};

/// Number of samples P = ratio * d, which must be a whole positive number: rounding would shift the
/// effective ratio by up to 1/(2d), an O(1/d) bias that differs between sizes and spoils
/// extrapolation in d.
pub fn sample_count(name: &str, ratio: f64, d: usize) -> Result<usize> {
    let p = ratio * d as f64;
    if !p.is_finite() || p < 0.5 || (p - p.round()).abs() > 1e-9 * p {
        return Err(Error::input(format!(
            "{name} * d = {ratio} * {d} = {p} is not a whole positive number of samples; choose d so that it is"
        )));
    }
    Ok(p.round() as usize)
}
