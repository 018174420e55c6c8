//! Evidence of `optimum` checks.

use super::{fmt_num, fmt_point, region_suffix};
use crate::outcome::CheckOutcome;
use crate::outcome::details::{OptimumDetails, OptimumLocation, OptimumSummary};

/// "15.8 [13.9, 17.7]", "unbounded (88% of resamples)", "at 0 (90% of resamples)" or "flat".
fn optimum(o: &OptimumSummary) -> String {
    let end = |x: Option<f64>| x.map_or_else(|| "inf".to_string(), fmt_num);
    match o.location {
        OptimumLocation::Interior => {
            format!("{} [{}, {}]", fmt_num(o.star.unwrap_or(f64::NAN)), end(o.lo), end(o.hi))
        }
        OptimumLocation::Unbounded => format!("unbounded ({:.0}% of resamples)", 100.0 * o.fraction_unbounded),
        OptimumLocation::Lazy => format!("at 0 ({:.0}% of resamples)", 100.0 * o.fraction_lazy),
        OptimumLocation::Flat => "flat".to_string(),
    }
}

/// "phi=relu: nu2=0.5: 15.8 [13.9, 17.7], nu2=1: ..." (no label without a trend variable).
fn line(key: &str, optima: &[OptimumSummary]) -> String {
    let texts: Vec<String> = optima
        .iter()
        .map(|o| format!("{}{}{}", o.label, if o.label.is_empty() { "" } else { ": " }, optimum(o)))
        .collect();
    format!("{key}: {}", texts.join(", "))
}

pub(super) fn render(c: &CheckOutcome, d: &OptimumDetails) -> String {
    let fails = c.points.iter().filter(|p| !p.pass).count();
    let lines: Vec<String> = d.groups.iter().map(|(key, optima)| line(key, optima)).collect();
    let mut text = format!(
        "optimum over {} ({} values, {}) per point, {} trials, bootstrap level {}: {fails} of {} points without an \
         interior optimum or moving the wrong way; {}",
        d.sweep,
        d.values,
        d.observable,
        c.rule.trials,
        d.level,
        c.points.len(),
        lines.join("; ")
    );
    text += &region_suffix(c);
    if let Some(w) = c.worst_point() {
        text += &format!("; first failing point {}", fmt_point(&w.at));
    }
    text
}
