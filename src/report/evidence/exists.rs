//! Evidence of `exists` checks.

use super::{fmt_num, fmt_point, region};
use crate::outcome::CheckOutcome;
use crate::outcome::details::ExistsDetails;

pub(super) fn render(c: &CheckOutcome, d: &ExistsDetails) -> String {
    let mut text = format!(
        "{} > {} significantly (Holm at {}) at {} of {} grid points",
        d.output,
        fmt_num(d.bound),
        c.rule.family_alpha,
        d.significant,
        c.points.len()
    );
    if let Some(p) = d.best.and_then(|i| c.points.get(i)) {
        let (mean, se) = p.simulated.map_or((f64::NAN, f64::NAN), |e| (e.mean, e.se));
        let zq = d.z_interval;
        text += &format!(
            "; largest at {}: {} +- {} (CI [{}, {}])",
            fmt_point(&p.at),
            fmt_num(mean),
            fmt_num(se),
            fmt_num(mean - zq * se),
            fmt_num(mean + zq * se)
        );
        if let Some(inv) = &d.invariance {
            text += &format!(
                "; invariance there under x -> 2x ({} scaled): {} changes by {} +- {}",
                inv.scaled.join(", "),
                d.output,
                fmt_num(inv.change.mean),
                fmt_num(inv.change.se)
            );
        }
    }
    if let Some(r) = &d.region {
        text += &format!("; region: {}", region(r).replace("fails", "significant").replace("holds", "not significant"));
    }
    text + "; no printed order parameter for this effect, so no exponents are fitted"
}
