//! tlcheck: a symbolic-numeric checker for the theory of transfer learning.
//!
//! Printed closed forms (kernel spikes, fine-tuning losses, phase boundaries) are encoded verbatim
//! as theorem files (`theorems/*.toml`) and decided against independent simulations of the learning
//! procedure they describe. Data flows one way (the README's "Architecture" lists the layers):
//!
//! - [`spec`]: a theorem file as written, one typed struct per check method; [`statement`]: its
//!   formulas compiled; [`claim`]: the file compiled into runnable checks;
//! - [`engine`]: the decision pipeline (plan -> samples -> decision -> outcome), with a run-owned
//!   cache and progress observers; [`methods`]: one module per check method;
//! - [`stats`]: every statistics routine once; [`decide`]: decision rules on statistics;
//! - [`outcome`]: structured outcomes; [`audit`]: runs claims against their recorded verdicts;
//!   [`report`]: tables, evidence text and JSON rendered from outcomes;
//! - [`observable`]: simulated quantities with documented parameters, and the parallel executor;
//!   [`sim`]: the simulators; [`data`]: real image data; [`params`]: parameter specs;
//! - [`formula`]: parse, evaluate and differentiate printed formulas; [`closed_form`]: the papers'
//!   closed forms as functions; [`optimize`]: optimal richness;
//! - [`analysis`]: phase diagrams, richness studies, experiments, mutation power, formula audits;
//!   [`plot`]: SVG figures; [`cli`]: the thin command line.

pub mod analysis;
pub mod audit;
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
pub mod outcome;
pub mod params;
pub mod plot;
pub mod report;
pub mod rng;
pub mod sim;
pub mod spec;
pub mod statement;
pub mod stats;

pub use error::{Error, Result};
