//! Evidence of `exhibit` checks.

use super::{fmt_num, fmt_point};
use crate::outcome::CheckOutcome;
use crate::outcome::details::ExhibitDetails;

pub(super) fn render(c: &CheckOutcome, d: &ExhibitDetails) -> String {
    let describe = |i: usize| {
        let r = &c.points[i];
        let z = r.z.unwrap_or(r.residual.signum() * f64::INFINITY);
        format!("{} ({} = {}, key {}, z {z:.1})", fmt_point(&r.at), d.output, fmt_num(r.residual), fmt_num(d.keys[i]))
    };
    match d.pair {
        Some((p, n)) => format!(
            "exhibited at equal key `{}`: {} and {} (each beyond z {:.2}, Bonferroni over {} points at family alpha {:.2e}, \
             {} trials per point)",
            d.key,
            describe(p),
            describe(n),
            d.z_critical,
            c.points.len(),
            c.rule.family_alpha,
            c.rule.trials
        ),
        None => format!(
            "no group of equal key `{}` has outputs of significantly opposite signs among {} points ({} groups)",
            d.key,
            c.points.len(),
            d.groups
        ),
    }
}
