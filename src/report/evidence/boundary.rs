//! Evidence of `boundary` checks.

use super::{fmt_num, fmt_point, region_suffix};
use crate::outcome::details::{BoundaryDetails, SignLine};
use crate::outcome::{CheckOutcome, FiniteSize};

/// "theta=0.4 sigma=0: simulated sign changes of transfer at gamma = [0.31], printed negative set (0.2, 0.5) u ...".
fn line(l: &SignLine, output: &str, scan: &str) -> String {
    let roots: Vec<String> = l.crossings.iter().map(|r| fmt_num(*r)).collect();
    let ivs: Vec<String> = l
        .printed
        .iter()
        .map(|(lo, hi)| {
            if lo.is_nan() || hi.is_nan() {
                "(undefined: empty)".to_string()
            } else {
                format!("({}, {})", fmt_num(*lo), fmt_num(*hi))
            }
        })
        .collect();
    format!(
        "{}: simulated sign changes of {output} at {scan} = [{}], printed negative set {}",
        fmt_point(&l.at),
        roots.join(", "),
        ivs.join(" u ")
    )
}

pub(super) fn render(c: &CheckOutcome, d: &BoundaryDetails) -> String {
    let (budget, reason) = match &c.finite_size {
        FiniteSize::Budget { abs, reason, .. } => (*abs, reason.as_str()),
        _ => (0.0, ""),
    };
    let fails = c.points.iter().filter(|p| !p.pass).count();
    let mut text = format!(
        "sign of {} ({}) vs the printed negative set along {}: {fails} of {} points on the wrong side beyond budget {} \
         (Holm, family alpha {:.2e}, {} trials per point)",
        d.output,
        d.observable,
        d.scan,
        c.points.len(),
        fmt_num(budget),
        c.rule.family_alpha,
        c.rule.trials
    );
    if let Some(w) = c.worst_point().filter(|w| !w.pass) {
        let printed = if w.claimed == Some(-1.0) { "negative" } else { "non-negative" };
        text += &format!(
            "; worst at {}: simulated {} (se {}) where the printed set says {printed}",
            fmt_point(&w.at),
            fmt_num(w.residual),
            fmt_num(w.simulated.map_or(0.0, |s| s.se))
        );
    }
    text += &region_suffix(c);
    let lines: Vec<String> = d.lines.iter().map(|l| line(l, &d.output, &d.scan)).collect();
    text += &format!("; {}; budget: {reason}", lines.join("; "));
    text
}
