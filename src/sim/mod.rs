//! Simulators of the learning procedures that claims are checked against.
//!
//! - [`lauditi`]: two-layer muP linear networks (pre-training, feature kernel, readout fine-tuning).
//! - [`wishart`]: exact low-cost sampling of Gaussian Gram matrices (tridiagonal model).
//! - [`gaussian`]: Gaussian vectors and matrices from the project's generator.

pub mod gaussian;
pub mod lauditi;
pub mod wishart;
