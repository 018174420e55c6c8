//! Evidence of `collapse` checks (also the context of `directions` checks with a reference).

use super::fmt_num;
use crate::outcome::CheckOutcome;
use crate::outcome::details::{CollapseDetails, Exponent, ScaleAudit};

pub(super) fn render(_c: &CheckOutcome, d: &CollapseDetails) -> String {
    summary(d)
}

/// "N1 1 (printed 1, held fixed)" or "d -3.8 (printed -1, CI [-68, -2.4])".
fn exponent(e: &Exponent) -> String {
    let interval =
        if e.fixed { ", held fixed".to_string() } else { format!(", CI [{}, {}]", fmt_num(e.ci.0), fmt_num(e.ci.1)) };
    format!("{} {} (printed {}{interval})", e.name, fmt_num(e.fitted), fmt_num(e.printed))
}

fn scale(s: &ScaleAudit) -> String {
    let symmetry: Vec<String> = s.symmetry.iter().map(|(k, w)| format!("{k}={}", fmt_num(*w))).collect();
    format!(
        "; scale audit ({}): formula weight {}, output changes by {} +- {} under x -> 2x ({}), printed Gamma predicts {}{}",
        symmetry.join(","),
        s.weight.map_or("none (not homogeneous)".into(), fmt_num),
        fmt_num(s.change.mean),
        fmt_num(s.change.se),
        if s.invariant { "invariant within CI" } else { "not invariant" },
        if s.predicted.is_nan() { "nothing".into() } else { fmt_num(s.predicted) },
        if s.contradicts {
            format!(" (z = {}: the symmetry fits better, contradicts)", fmt_num(s.z))
        } else {
            String::new()
        }
    )
}

/// The collapse audit in one paragraph: exponents, spreads, transition, scale audit, failing parts.
pub(super) fn summary(d: &CollapseDetails) -> String {
    let exps: Vec<String> = d.exponents.iter().map(exponent).collect();
    let mut text = format!(
        "fitted exponents: {}; spread about the collapse curve {} (fitted) vs {} (printed)",
        exps.join(", "),
        fmt_num(d.spread_fitted),
        fmt_num(d.spread_printed)
    );
    text += &match d.transition {
        Some(t) => format!(
            "; transition: output drops {} -> {} (paired drop {} +- {}) at Gamma_fit = {} with width {} e-folds",
            fmt_num(t.high),
            fmt_num(t.low),
            fmt_num(d.drop.mean),
            fmt_num(d.drop.se),
            fmt_num(d.gamma_base * t.location.exp()),
            fmt_num(t.width)
        ),
        None => format!(
            "; no drop along the fitted order parameter (paired drop {} +- {})",
            fmt_num(d.drop.mean),
            fmt_num(d.drop.se)
        ),
    };
    if let Some(s) = &d.scale {
        text += &scale(s);
    }
    if !d.fails_on.is_empty() {
        text += &format!("; fails on: {}", d.fails_on.join(", "));
    }
    text
}
