//! Evidence as text, rendered from structured outcomes: one renderer per method, plus the pieces
//! every renderer shares (numbers, points, regions, budgets).

mod boundary;
mod collapse;
mod decay_exponent;
mod directions;
mod exhibit;
mod exists;
mod monotone;
mod optimum;
mod power_law;
mod search;
mod simulation;

use crate::outcome::{CheckOutcome, Condition, Coord, Coords, Details, FiniteSize, Region, Resolution, Verdict};

/// One paragraph of evidence for a check: what was compared, how many points failed, where, by how much.
pub fn evidence(c: &CheckOutcome) -> String {
    method_evidence(c) + &trust_suffix(c)
}

/// What every check adds to its method's evidence: the consistency label, the resolution of a
/// passing check, undecided points and the looks a sequential check took.
fn trust_suffix(c: &CheckOutcome) -> String {
    let mut text = String::new();
    if let Some(r) = &c.resolution
        && matches!(c.verdict, Verdict::Holds | Verdict::Inconclusive | Verdict::RegimeLimited)
    {
        text += &format!("; {}", resolution_text(r));
    }
    if let Some(u) = &c.undecided {
        text += &format!("; undecided at {} points", u.points);
        if let Some(n) = u.trials_needed {
            text += &format!(" (about {n} trials per point would decide if the estimates stay)");
        }
    }
    if c.looks.planned > 1 {
        let early = if c.looks.taken < c.looks.planned { ", stopped early: decided" } else { "" };
        text += &format!("; sequential: look {} of {}{early}", c.looks.taken, c.looks.planned);
    }
    if let Some(why) = &c.consistency {
        text += &format!("; consistency check, not independent evidence: {why}");
    }
    text
}

/// "excludes deviations beyond 0.012 (3.1% of the claimed scale)". A negative bound of a one-sided
/// check (the confidence bound itself lies on the claimed side) reads "inside the claimed side by at
/// least 0.012".
pub fn resolution_text(r: &Resolution) -> String {
    if r.abs < 0.0 {
        return format!(
            "resolution: inside the claimed side by at least {} everywhere (deviations beyond {} excluded)",
            fmt_num(-r.abs),
            fmt_num(r.abs)
        );
    }
    let rel = r.rel.map_or_else(String::new, |rel| format!(" ({} of the claimed scale)", fmt_percent(rel)));
    let required = r.required.map_or_else(String::new, |m| format!(", margin {}", fmt_num(m)));
    format!("resolution: deviations beyond {}{rel} excluded{required}", fmt_num(r.abs))
}

/// A fraction as a percentage with two significant digits.
pub fn fmt_percent(x: f64) -> String {
    let pct = 100.0 * x;
    if pct >= 10.0 {
        format!("{pct:.0}%")
    } else if pct >= 1.0 {
        format!("{pct:.1}%")
    } else {
        format!("{pct:.2}%")
    }
}

fn method_evidence(c: &CheckOutcome) -> String {
    match &c.details {
        Details::Simulation(d) => simulation::render(c, d),
        Details::Search(d) => search::render(c, d),
        Details::Monotone(d) => monotone::render(c, d),
        Details::Optimum(d) => optimum::render(c, d),
        Details::Boundary(d) => boundary::render(c, d),
        Details::Exhibit(d) => exhibit::render(c, d),
        Details::DecayExponent(d) => decay_exponent::render(c, d),
        Details::Collapse(d) => collapse::render(c, d),
        Details::Directions(d) => directions::render(c, d),
        Details::Exists(d) => exists::render(c, d),
        Details::PowerLaw(d) => power_law::render(c, d),
    }
}

/// Formats a number compactly.
pub fn fmt_num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else if x.abs() >= 1e4 || x.abs() < 1e-3 {
        format!("{x:.3e}")
    } else {
        format!("{}", (x * 1e6).round() / 1e6)
    }
}

/// Formats a point as "a=1 b=2".
pub fn fmt_point(at: &Coords) -> String {
    at.iter()
        .map(|(k, v)| match v {
            Coord::Num(x) => format!("{k}={}", fmt_num(*x)),
            Coord::Word(w) => format!("{k}={w}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn condition(c: &Condition) -> String {
    match c {
        Condition::AtMost { name, value } => format!("{name} <= {}", fmt_num(*value)),
        Condition::AtLeast { name, value } => format!("{name} >= {}", fmt_num(*value)),
        Condition::Is { name, word } => format!("{name} = {word}"),
        Condition::IsNot { name, word } => format!("{name} != {word}"),
    }
}

/// Where a check fails, in words ("fails where nu2 > 0.75 (3 of 9 points, from nu2 = 0.9); holds for nu2 <= 0.75").
pub fn region(r: &Region) -> String {
    match r {
        Region::Everywhere { points } => format!("fails at all {points} points"),
        Region::Above { name, holds_up_to, first_failing, fails, points } => format!(
            "fails where {name} > {} ({fails} of {points} points, from {name} = {}); holds for {name} <= {}",
            fmt_num(*holds_up_to),
            fmt_num(*first_failing),
            fmt_num(*holds_up_to)
        ),
        Region::Below { name, holds_from, last_failing, fails, points } => format!(
            "fails where {name} < {} ({fails} of {points} points, up to {name} = {}); holds for {name} >= {}",
            fmt_num(*holds_from),
            fmt_num(*last_failing),
            fmt_num(*holds_from)
        ),
        Region::HoldsOnly { conditions, passing, points } => {
            let c: Vec<String> = conditions.iter().map(condition).collect();
            format!("holds only where {} ({passing} of {points} points)", c.join(" and "))
        }
        Region::FailsOnly { conditions, failing, points } => {
            let c: Vec<String> = conditions.iter().map(condition).collect();
            format!("fails only where {} ({failing} of {points} points)", c.join(" and "))
        }
        Region::Scattered { fails, points } => {
            format!("fails at {fails} of {points} points, not confined to a range of one parameter")
        }
    }
}

/// `"; {region}"` when the check fails somewhere, else nothing.
pub fn region_suffix(c: &CheckOutcome) -> String {
    c.region.as_ref().map_or_else(String::new, |r| format!("; {}", region(r)))
}

/// How finite size was handled, as an evidence clause.
pub fn finite_size(f: &FiniteSize) -> String {
    match f {
        FiniteSize::Budget { reason, .. } => format!("budget: {reason}"),
        FiniteSize::Extrapolated { param, sizes, model, model_error, reason } => {
            let error = model_error.map_or_else(String::new, |e| {
                let e = fmt_num(e);
                format!("; model error (shift of a when the last correction is dropped, beyond its se) up to {e}, in the budget")
            });
            let why = reason.as_ref().map_or_else(String::new, |r| format!(" ({r})"));
            format!("finite size: extrapolated as {model} over {param} = {sizes:?}{error}{why}")
        }
        FiniteSize::NotApplicable { reason } => reason.clone().unwrap_or_default(),
    }
}
