//! Analyses built on audits and simulations: the checker's power against typos of a printed formula
//! ([`mutation`]), and the audit of a user's formula ([`formula_audit`]).

pub mod formula_audit;
pub mod mutation;
