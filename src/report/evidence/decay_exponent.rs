//! Evidence of `decay_exponent` checks.

use super::fmt_num;
use crate::outcome::details::DecayExponentDetails;
use crate::outcome::{CheckOutcome, Verdict};

pub(super) fn render(c: &CheckOutcome, d: &DecayExponentDetails) -> String {
    let budget = c.points.last().map_or(0.0, |p| p.budget);
    format!(
        "{} ~ A {}^-nu fitted over {} = {:?} ({} trials each): A = {}, nu = {} with {}% CI [{}, {}] (bootstrap standard error from {} resamples x Student t); printed nu = {} (budget {}): {}",
        d.output,
        d.param,
        d.param,
        d.sizes,
        c.rule.trials,
        fmt_num(d.prefactor),
        fmt_num(d.exponent),
        100.0 * d.level,
        fmt_num(d.ci.0),
        fmt_num(d.ci.1),
        c.rule.resamples.unwrap_or(0),
        fmt_num(d.printed),
        fmt_num(budget),
        if c.verdict == Verdict::Holds { "inside" } else { "outside the interval" }
    )
}
