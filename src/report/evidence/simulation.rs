//! Evidence of `simulation` checks.

use super::{finite_size, fmt_num, fmt_point, region_suffix};
use crate::outcome::CheckOutcome;
use crate::outcome::details::SimulationDetails;

pub(super) fn render(c: &CheckOutcome, d: &SimulationDetails) -> String {
    let fails = c.points.iter().filter(|p| !p.pass).count();
    let mut text = format!(
        "{} vs `{}` ({}): {fails} of {} points beyond tolerance ({}, family alpha {:.2e}, {} trials per point)",
        d.output,
        d.compared,
        d.observable,
        c.points.len(),
        if c.rule.kind == crate::outcome::RuleKind::Holm { "Holm" } else { "shown beyond the budget, Bonferroni" },
        c.rule.family_alpha,
        c.rule.trials
    );
    if let Some(w) = c.worst_point() {
        let sim = w.simulated.map_or_else(
            || format!("residual {}", fmt_num(w.residual)),
            |s| format!("simulated {} vs claimed {}", fmt_num(s.mean), fmt_num(w.claimed.unwrap_or(f64::NAN))),
        );
        let se = w.residual_se.or(w.simulated.map(|s| s.se)).unwrap_or(0.0);
        text += &format!(
            "; worst at {}: {sim} (residual {}, se {}, budget {}{})",
            fmt_point(&w.at),
            fmt_num(w.residual),
            fmt_num(se),
            fmt_num(w.budget),
            w.z.map_or_else(|| ", deterministic".to_string(), |z| format!(", z {z:.2}"))
        );
    }
    text += &region_suffix(c);
    text += &format!("; {}", finite_size(&c.finite_size));
    if let Some(m) = &d.margin {
        text += &format!("; equivalence margin `{}` (two one-sided tests): {}", m.formula, m.reason);
    }
    if d.undefined > 0 {
        text += &format!("; claimed value undefined (not finite) at {} points", d.undefined);
    }
    text
}
