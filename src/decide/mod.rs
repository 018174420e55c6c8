//! Decision rules: pure functions from a check's statistics to pass flags and a verdict. They know
//! nothing about observables or theorem files, so each is tested on synthetic data of known truth
//! (rejection rate under the null, power under a stated alternative: `tests/decision_rules.rs`,
//! `tests/decision_rules_grid.rs`, `tests/decision_rules_order.rs`).
//!
//! - [`budget`]: equality and inequality within a budget (Holm), and strict inequality ("the effect
//!   is shown beyond the budget", Bonferroni);
//! - [`steps`]: monotonicity from paired steps (budget, Holm, strict), and steps against a claimed
//!   direction;
//! - [`optimum`]: an interior simulated optimum and its trend; [`sign`]: a printed sign region;
//!   [`exhibit`]: opposite signs at equal key;
//! - [`interval`]: a printed value inside its bootstrap interval widened by a budget (exponents);
//! - [`collapse`]: the transition's significant drop and the scale audit's contradiction;
//! - [`exists`]: one-sided exceedance of a bound somewhere (Holm, at least one significant);
//! - [`resolution`]: the deviation a passing point excludes, equivalence within a declared margin
//!   (two one-sided tests) and the trials that would decide an undecided point;
//! - [`regime`]: the simplest description of the failing points ([`crate::outcome::Region`]).

pub mod budget;
pub mod collapse;
pub mod exhibit;
pub mod exists;
pub mod interval;
pub mod optimum;
pub mod regime;
pub mod resolution;
pub mod sign;
pub mod steps;
