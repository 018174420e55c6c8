//! Evidence of `power_law` checks.

use super::fmt_num;
use crate::outcome::CheckOutcome;
use crate::outcome::details::PowerLawDetails;

pub(super) fn render(c: &CheckOutcome, d: &PowerLawDetails) -> String {
    let texts: Vec<String> = d
        .exponents
        .iter()
        .map(|e| {
            format!(
                "{} {} (printed {}, CI [{}, {}])",
                e.name,
                fmt_num(e.fitted),
                fmt_num(e.printed),
                fmt_num(e.ci.0),
                fmt_num(e.ci.1)
            )
        })
        .collect();
    let mut text = format!(
        "power-law fit of ln mean({}) over {} swept points ({} from {} to {}): fitted exponents {}; {}, intervals at {} each (Bonferroni over {} exponents)",
        d.output,
        d.points,
        d.output,
        fmt_num(d.range.0),
        fmt_num(d.range.1),
        texts.join(", "),
        if d.resamples == 0 {
            "delta-method Student intervals".to_string()
        } else {
            format!("bootstrap standard errors ({} resamples) x Student t", d.resamples)
        },
        fmt_num(d.level),
        d.exponents.len()
    );
    let bad: Vec<&str> =
        c.points.iter().zip(&d.exponents).filter(|(p, _)| !p.pass).map(|(_, e)| e.name.as_str()).collect();
    if !bad.is_empty() {
        text += &format!("; fails on: {}", bad.join(", "));
    }
    text
}
