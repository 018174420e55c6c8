//! Check methods: each compiles its typed spec ([`crate::spec::CheckSpec`]) against the claim's
//! statement and supplies only what is its own to the pipeline ([`crate::engine::Method`]): its plan,
//! its statistic per point and its decision rule.
//!
//! To add a method: a spec struct in `crate::spec::check`, a module here implementing
//! [`Method`], its rule in `crate::decide` (with synthetic error-rate tests), its details in
//! `crate::outcome::details` and their evidence in `crate::report::evidence`.

pub mod boundary;
pub mod collapse;
pub mod decay_exponent;
pub mod directions;
pub mod exhibit;
pub mod exists;
mod groups;
pub mod monotone;
pub mod optimum;
pub mod order;
pub mod power_law;
pub mod search;
pub mod simulation;

use crate::engine::{Check, Method};
use crate::error::Result;
use crate::rng::derive_label;
use crate::spec::CheckSpec;
use crate::statement::Statement;

/// What a method compiles against: the claim and the check's place in it.
pub struct Context<'a> {
    pub claim_id: &'a str,
    /// 0-based index of the check in its theorem file.
    pub index: usize,
    pub statement: &'a Statement,
}

impl Context<'_> {
    /// The check's random stream: every seed of the check derives from (run seed, stream).
    pub fn stream(&self) -> u64 {
        derive_label(self.index as u64, self.claim_id)
    }

    /// The claim's stream, common to its checks: a cell seeded from it is the same experiment (the
    /// same trials) in every check of the claim that plans it with the same parameters.
    pub fn claim_stream(&self) -> u64 {
        derive_label(u64::MAX, self.claim_id)
    }
}

/// Compiles one check of a claim.
pub fn compile(spec: &CheckSpec, cx: &Context) -> Result<Check> {
    let method: Box<dyn Method> = match spec {
        CheckSpec::Simulation(s) => Box::new(simulation::Simulation::compile(s, cx)?),
        CheckSpec::Search(s) => Box::new(search::Search::compile(s, cx.statement)?),
        CheckSpec::Collapse(s) => Box::new(collapse::Collapse::compile(s, cx)?),
        CheckSpec::Directions(s) => Box::new(directions::Directions::compile(s, cx)?),
        CheckSpec::Exists(s) => Box::new(exists::Exists::compile(s, cx)?),
        CheckSpec::PowerLaw(s) => Box::new(power_law::PowerLaw::compile(s, cx)?),
        CheckSpec::DecayExponent(s) => Box::new(decay_exponent::DecayExponent::compile(s, cx)?),
        CheckSpec::Monotone(s) => Box::new(monotone::Monotone::compile(s, cx)?),
        CheckSpec::Optimum(s) => Box::new(optimum::Optimum::compile(s, cx)?),
        CheckSpec::Boundary(s) => Box::new(boundary::Boundary::compile(s, cx)?),
        CheckSpec::Exhibit(s) => Box::new(exhibit::Exhibit::compile(s, cx)?),
    };
    Ok(Check {
        index: cx.index + 1,
        method_name: spec.method(),
        describe: spec.describe().to_string(),
        regime: spec.regime().map(str::to_string),
        consistency: spec.consistency().map(str::to_string),
        method,
    })
}
