//! Analyses behind the commands: the numerics of phase diagrams (grids, Brent roots, zero contours),
//! optimal-richness studies and real-data experiments, as plain request -> result functions. The
//! command line only parses arguments into requests and prints or plots the results.

pub mod experiment;
pub mod phase;
pub mod richness;
