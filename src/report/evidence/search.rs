//! Evidence of `search` checks.

use super::{fmt_num, fmt_point, region};
use crate::outcome::details::SearchDetails;
use crate::outcome::{CheckOutcome, Verdict};

pub(super) fn render(c: &CheckOutcome, d: &SearchDetails) -> String {
    let what = if d.derivative {
        format!("derivative has the wrong sign{}, by", if d.strict { " (strict)" } else { "" })
    } else {
        "bound exceeded by".to_string()
    };
    let mut text = format!(
        "searched {} grid points over the domain and {} Nelder-Mead refinements of `{}` > 0",
        d.sampled, d.refinements, d.violation
    );
    if let Some(w) = c.worst_point() {
        text += &format!("; largest violation at {}: {what} {}", fmt_point(&w.at), fmt_num(w.residual));
    }
    if d.undefined > 0 {
        text += &format!("; formula undefined (non-finite) at {} points", d.undefined);
    }
    if let (true, Some(r)) = (c.verdict != Verdict::Holds, &c.region) {
        text += &format!("; {}", region(r));
    }
    text
}
