//! Evidence of `monotone` checks.

use super::{finite_size, fmt_num, fmt_point, region_suffix};
use crate::outcome::CheckOutcome;
use crate::outcome::details::MonotoneDetails;

pub(super) fn render(c: &CheckOutcome, d: &MonotoneDetails) -> String {
    let fails = c.points.iter().filter(|p| !p.pass).count();
    let mut text = format!(
        "{} {}{} in {} ({}): {fails} of {} steps violate (Holm, family alpha {:.2e}, {} paired trials per step)",
        d.output,
        if d.decreasing { "decreasing" } else { "increasing" },
        if d.strict { " strictly (by more than the budget)" } else { "" },
        d.variable,
        d.observable,
        c.points.len(),
        c.rule.family_alpha,
        c.rule.trials
    );
    if let Some(w) = c.worst_point() {
        let change = w.simulated.map_or(0.0, |s| s.mean);
        let se = w.simulated.map_or(0.0, |s| s.se);
        text += &format!(
            "; worst step at {}: change {} (se {}, budget {})",
            fmt_point(&w.at),
            fmt_num(change),
            fmt_num(se),
            fmt_num(w.budget)
        );
    }
    text += &region_suffix(c);
    text += &format!("; {}", finite_size(&c.finite_size));
    text
}
