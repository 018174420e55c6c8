//! tlcheck: a symbolic-numeric checker for the theory of transfer learning.
//!
//! Printed closed forms (kernel spikes, fine-tuning losses, phase boundaries) are encoded verbatim
//! as theorem files (`theorems/*.toml`) and decided against independent simulations of the learning
//! procedure they describe. The pieces, kept apart as in argmin (problem / solver / executor):
//!
//! - [`theorem`]: a claim as written (TOML) and its validated, compiled form [`theorem::Claim`];
//! - [`observable`]: simulated quantities with documented parameters, and the parallel executor;
//! - [`check`]: ways of deciding a claim (simulation on a grid, counterexample search);
//! - [`audit`]: runs claims and compares verdicts with the recorded ones; [`report`] prints them;
//! - [`sim`]: the simulators; [`formula`]: parse, evaluate and differentiate printed formulas;
//! - [`stats`]: estimates, Holm correction, extrapolation in size; [`params`]: parameter specs.
//! - [`order`]: order-parameter audit (scale audit, collapse fit of exponents, transition).
//! - [`plot`]: SVG figures (heat maps with contours, curves with error bars).
//! - [`data`]: real image data (CIFAR-10 binary, CSV), class pairs, normalisation.
//! - [`closed_form`]: the papers' closed forms as functions; [`optimize`]: optimal richness gamma1*.
//! - [`analysis`]: phase diagrams, richness studies and experiments behind the commands.

pub mod analysis;
pub mod audit;
pub mod check;
pub mod claim;
pub mod cli;
pub mod closed_form;
pub mod data;
pub mod decide;
pub mod engine;
pub mod error;
pub mod formula;
pub mod methods;
pub mod observable;
pub mod optimize;
pub mod order;
pub mod outcome;
pub mod params;
pub mod plot;
pub mod report;
pub mod rng;
pub mod sim;
pub mod spec;
pub mod statement;
pub mod stats;
pub mod theorem;

pub use error::{Error, Result};
