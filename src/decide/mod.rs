//! Decision rules: pure functions from a check's statistics to pass flags and a verdict. They know
//! nothing about observables or theorem files, so each is tested on synthetic data of known truth
//! (rejection rate under the null, power under a stated alternative: `tests/decision_rules.rs`).
//!
//! - [`budget`]: equality and inequality within a budget (Holm), and strict inequality ("the effect
//!   is shown beyond the budget", Bonferroni);
//! - [`regime`]: the simplest description of the failing points ([`crate::outcome::Region`]);
//! - [`steps`]: monotonicity from paired steps; [`optimum`]: an interior simulated optimum and its
//!   trend; [`sign`]: a printed sign region; [`exhibit`]: opposite signs at equal key
//!   (synthetic error rates: `tests/decision_rules_grid.rs`).

pub mod budget;
pub mod exhibit;
pub mod optimum;
pub mod regime;
pub mod sign;
pub mod steps;
