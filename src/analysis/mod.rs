//! Analyses behind the commands, as plain request -> result functions: the stability of verdicts
//! over seeds ([`calibration`]), the numerics of phase diagrams
//! (grids, Brent roots, zero contours), optimal-richness studies, real-data experiments, the checker's
//! power against typos of a printed formula ([`mutation`]) and the audit of a user's formula
//! ([`formula_audit`]). The command line only parses arguments into requests and prints or plots the
//! results.

pub mod calibration;
pub mod experiment;
pub mod formula_audit;
pub mod mutation;
pub mod phase;
pub mod richness;
pub mod shard;
