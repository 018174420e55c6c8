//! Decision rules: pure functions from a check's statistics to pass flags and a verdict. They know
//! nothing about observables or theorem files, so each is tested on synthetic data of known truth
//! (rejection rate under the null, power under a stated alternative: `tests/decision_rules.rs`).
//!
//! - [`budget`]: equality and inequality within a budget (Holm), and strict inequality ("the effect
//!   is shown beyond the budget", Bonferroni);
//! - [`regime`]: the simplest description of the failing points ([`crate::outcome::Region`]).

pub mod budget;
pub mod regime;
