//! Evidence of `directions` checks.

use super::{collapse, fmt_num, fmt_point};
use crate::outcome::details::{Direction, DirectionsDetails, Step};
use crate::outcome::{CheckOutcome, Verdict};

/// "alpha 0.2->0.5: improvement 0.01 +- 0.002 (claimed way)".
fn step(s: &Step) -> String {
    let tag = match s.direction {
        Direction::Claimed => "claimed way",
        Direction::Against => "AGAINST",
        Direction::NotSignificant => "n.s.",
    };
    format!(
        "{} {}->{}: improvement {} +- {} ({tag})",
        s.name,
        fmt_num(s.from),
        fmt_num(s.to),
        fmt_num(s.improvement.mean),
        fmt_num(s.improvement.se)
    )
}

pub(super) fn render(c: &CheckOutcome, d: &DirectionsDetails) -> String {
    let steps: Vec<String> = d.steps.iter().map(step).collect();
    let fails = c.points.iter().filter(|p| !p.pass).count();
    let mut text = format!(
        "paired changes of {} along each constituent, signed so that > 0 goes the way Gamma predicts: {}; {} of {} steps significantly against (Holm at {})",
        d.output,
        steps.join("; "),
        fails,
        c.points.len(),
        c.rule.family_alpha
    );
    if let Some(context) = &d.context {
        text += &format!("; context: {}", collapse::summary(context));
    }
    if c.verdict == Verdict::RegimeLimited {
        let names: Vec<String> = c.points.iter().filter(|p| !p.pass).map(|p| fmt_point(&p.at)).collect();
        text += &format!("; fails at: {}", names.join("; "));
    }
    text
}
