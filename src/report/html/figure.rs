//! A check's figure, from its structured outcome only: for a simulation with claimed curves, the
//! claimed value along the grid's main axis with the simulated points (mean ± t se); otherwise the
//! standardised residual z per point, or the printed and fitted values, or the residual
//! (violation) of a deterministic check. Nothing is simulated or evaluated here.

use crate::outcome::axis::{MainAxis, main_axis, others};
use crate::outcome::details::OptimumSummary;
use crate::outcome::{CheckOutcome, Details, PointOutcome};
use crate::plot::{Axis, Curve, Figure, Points};
use crate::stats::distribution::student_quantile;

use super::super::evidence::{fmt_percent, fmt_point};

/// Two-sided level of the error bars drawn around simulated means.
const BAR_LEVEL: f64 = 0.95;

/// Palette indices ([`crate::plot::PALETTE`]) of passing (green) and failing (red) points.
const PASS_FAIL: [usize; 2] = [2, 5];

/// The figure of a check, titled with its description and `setting` (its fixed settings).
pub fn check_figure(check: &CheckOutcome, setting: &str) -> Figure {
    let title = format!("check {}: {}\n{setting}", check.index, check.describe);
    let axis = main_axis(&check.points);
    let curves = match &check.details {
        Details::Simulation(d) => d.curves.as_slice(),
        _ => &[],
    };
    let fig = match axis.as_ref().filter(|_| !curves.is_empty() && has_values(&check.points)) {
        Some(axis) => claimed_figure(check, axis, curves),
        None if matches!(check.details, Details::Optimum(_)) => optimum_figure(check),
        None if check.points.iter().any(|p| p.z.is_some()) => z_figure(check, axis.as_ref()),
        None if has_values(&check.points) => values_figure(check, axis.as_ref()),
        None if !check.points.is_empty() => residual_figure(check, axis.as_ref()),
        None => verdict_figure(check),
    };
    Figure { title, ..fig }
}

/// Every point has a claimed and a simulated value.
fn has_values(points: &[PointOutcome]) -> bool {
    !points.is_empty() && points.iter().all(|p| p.claimed.is_some() && p.simulated.is_some())
}

/// Half-width of a point's error bar: the Student quantile of [`BAR_LEVEL`] times its se.
fn bar(p: &PointOutcome) -> f64 {
    p.simulated.map_or(0.0, |s| {
        let t = if s.trials > 1 { student_quantile(0.5 + BAR_LEVEL / 2.0, s.trials as f64 - 1.0) } else { 1.96 };
        t * s.se
    })
}

/// Claimed curves with the simulated points of each, in matching colours.
fn claimed_figure(check: &CheckOutcome, axis: &MainAxis, curves: &[crate::outcome::axis::ClaimedCurve]) -> Figure {
    let mut lines = Vec::new();
    let mut points = Vec::new();
    for c in curves {
        let key = if c.at.is_empty() { String::new() } else { format!(", {}", fmt_point(&c.at)) };
        lines.push(Curve { label: format!("claimed{key}"), points: c.samples.clone(), dashed: false });
        let sim: Vec<(f64, f64, f64)> = check
            .points
            .iter()
            .filter(|p| others(&p.at, &axis.name) == c.at)
            .filter_map(|p| Some((p.at.get(&axis.name)?.as_num()?, p.simulated?.mean, bar(p))))
            .collect();
        points.push(Points { label: format!("simulated ± 95%{key}"), points: sim });
    }
    let ys: Vec<(f64, f64)> = lines
        .iter()
        .flat_map(|c| c.points.iter().map(|&(_, y)| (y, y)))
        .chain(points.iter().flat_map(|p| p.points.iter().map(|&(_, y, e)| (y - e, y + e))))
        .collect();
    let output = match &check.details {
        Details::Simulation(d) => d.output.clone(),
        _ => "value".into(),
    };
    Figure {
        title: String::new(),
        x: x_axis(axis),
        y: y_axis(&output, &ys, true),
        heat: None,
        curves: lines,
        points,
        point_colours: (0..curves.len()).collect(),
    }
}

/// The x axis: the main axis (log when geometric), padded by 4% of its span.
fn x_axis(axis: &MainAxis) -> Axis {
    let (lo, hi) = (axis.values[0], axis.values[axis.values.len() - 1]);
    if axis.log {
        let f = (hi / lo).powf(0.04);
        Axis::new(axis.name.clone(), lo / f, hi * f).logarithmic()
    } else {
        let pad = 0.04 * (hi - lo);
        Axis::new(axis.name.clone(), lo - pad, hi + pad)
    }
}

/// A y axis covering every (low, high) range with 6% padding; logarithmic when `may_log`, all
/// values are positive and they span more than two decades.
fn y_axis(label: &str, ranges: &[(f64, f64)], may_log: bool) -> Axis {
    let finite = ranges.iter().filter(|r| r.0.is_finite() && r.1.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), r| (a.min(r.0), b.max(r.1)));
    if !lo.is_finite() {
        return Axis::new(label, -1.0, 1.0);
    }
    if may_log && lo > 0.0 && hi / lo > 100.0 {
        let f = (hi / lo).powf(0.06);
        return Axis::new(label, lo / f, hi * f).logarithmic();
    }
    let span = (hi - lo).max(1e-9 * lo.abs().max(hi.abs())).max(1e-15);
    Axis::new(label, lo - 0.06 * span, hi + 0.06 * span)
}

/// Where each point goes along x: its main-axis value, or its index with named ticks (up to 12
/// points) or numbered ones.
fn positions(points: &[PointOutcome], axis: Option<&MainAxis>) -> (Axis, Vec<f64>) {
    if let Some(a) = axis {
        let xs = points.iter().map(|p| p.at.get(&a.name).and_then(|c| c.as_num()).unwrap_or(f64::NAN)).collect();
        return (x_axis(a), xs);
    }
    let xs = (0..points.len()).map(|i| i as f64).collect();
    // Points with one and the same coordinate (e.g. `exponent`) are named by its value alone.
    let key = points[0].at.keys().next().filter(|k| points.iter().all(|p| p.at.len() == 1 && p.at.contains_key(*k)));
    if let Some(k) = key.filter(|_| points.len() <= 12) {
        let names = points.iter().map(|p| fmt_point(&p.at).trim_start_matches(&format!("{k}=")).to_string()).collect();
        (Axis::named(k.clone(), names), xs)
    } else if points.len() <= 12 {
        let names = points.iter().map(|p| fmt_point(&p.at)).collect();
        (Axis::named("point", names), xs)
    } else {
        (Axis::new("point (grid order)", -0.5, points.len() as f64 - 0.5), xs)
    }
}

/// Passing and failing points as two series of (x, y, bar).
fn by_pass(points: &[PointOutcome], xs: &[f64], y: impl Fn(&PointOutcome) -> (f64, f64)) -> Vec<Points> {
    let series = |pass: bool, label: &str| Points {
        label: label.to_string(),
        points: points
            .iter()
            .zip(xs)
            .filter(|(p, x)| p.pass == pass && x.is_finite())
            .map(|(p, &x)| {
                let (v, e) = y(p);
                (x, v, e)
            })
            .filter(|t| t.1.is_finite())
            .collect(),
    };
    let undefined = points.iter().filter(|p| p.undefined).count();
    let fails =
        if undefined > 0 { format!("fails (and {undefined} where the claim is undefined)") } else { "fails".into() };
    vec![series(true, "passes"), series(false, &fails)]
}

/// The standardised residual z per point (signed towards violation for one-sided tests).
fn z_figure(check: &CheckOutcome, axis: Option<&MainAxis>) -> Figure {
    let (x, xs) = positions(&check.points, axis);
    let points = by_pass(&check.points, &xs, |p| (p.z.unwrap_or(f64::NAN), 0.0));
    let mut ys: Vec<(f64, f64)> = points.iter().flat_map(|s| s.points.iter().map(|t| (t.1, t.1))).collect();
    ys.push((0.0, 0.0));
    let zero = Curve { label: "claimed (z = 0)".into(), points: vec![(x.min, 0.0), (x.max, 0.0)], dashed: true };
    let label = if check.points.iter().all(|p| p.two_sided) {
        "z = (simulated − claimed) / se"
    } else {
        "z, > 0 towards violation"
    };
    let y = y_axis(label, &ys, false);
    Figure { title: String::new(), x, y, heat: None, curves: vec![zero], points, point_colours: PASS_FAIL.to_vec() }
}

/// Printed (claimed) and fitted (simulated ± 95%) values per point.
fn values_figure(check: &CheckOutcome, axis: Option<&MainAxis>) -> Figure {
    let (x, xs) = positions(&check.points, axis);
    let mut points = by_pass(&check.points, &xs, |p| (p.simulated.map_or(f64::NAN, |s| s.mean), bar(p)));
    points[0].label = "simulated ± 95%, passes".into();
    points[1].label = format!("simulated ± 95%, {}", points[1].label);
    let claimed: Vec<(f64, f64, f64)> =
        check.points.iter().zip(&xs).filter_map(|(p, &x)| Some((x, p.claimed?, 0.0))).collect();
    points.push(Points { label: "claimed".into(), points: claimed });
    let ys: Vec<(f64, f64)> = points.iter().flat_map(|s| s.points.iter().map(|t| (t.1 - t.2, t.1 + t.2))).collect();
    let y = y_axis("value", &ys, false);
    let point_colours = vec![PASS_FAIL[0], PASS_FAIL[1], 0];
    Figure { title: String::new(), x, y, heat: None, curves: Vec::new(), points, point_colours }
}

/// The residual of each point of a deterministic check (for a search: the violation, > 0 fails).
fn residual_figure(check: &CheckOutcome, axis: Option<&MainAxis>) -> Figure {
    let (x, xs) = positions(&check.points, axis);
    let points = by_pass(&check.points, &xs, |p| (p.residual, 0.0));
    let mut ys: Vec<(f64, f64)> = points.iter().flat_map(|s| s.points.iter().map(|t| (t.1, t.1))).collect();
    ys.push((0.0, 0.0));
    let zero = Curve { label: "zero".into(), points: vec![(x.min, 0.0), (x.max, 0.0)], dashed: true };
    let label = if check.method == "search" { "violation (> 0 fails)" } else { "residual" };
    Figure {
        title: String::new(),
        y: y_axis(label, &ys, false),
        x,
        heat: None,
        curves: vec![zero],
        points,
        point_colours: PASS_FAIL.to_vec(),
    }
}

/// A check without compared points: its verdict as one marked point, so the figure is never empty.
fn verdict_figure(check: &CheckOutcome) -> Figure {
    let names = vec![check.verdict.to_string()];
    let points = vec![Points {
        label: format!("verdict of the {} check (no compared points)", check.method),
        points: vec![(0.0, 0.0, 0.0)],
    }];
    Figure {
        title: String::new(),
        x: Axis::named("verdict", names),
        y: Axis::new("", -1.0, 1.0),
        heat: None,
        curves: Vec::new(),
        points,
        point_colours: Vec::new(),
    }
}

/// The optima of an optimum check: each located optimum and the ends of its bootstrap interval,
/// by group and trend value.
fn optimum_figure(check: &CheckOutcome) -> Figure {
    let Details::Optimum(d) = &check.details else { return verdict_figure(check) };
    let optima: Vec<(String, &OptimumSummary)> = d
        .groups
        .iter()
        .flat_map(|(g, list)| list.iter().map(move |o| (format!("{g} {}", o.label).trim().to_string(), o)))
        .collect();
    let mut located = Points { label: format!("{}* (interior or at the low end)", d.sweep), points: Vec::new() };
    let mut ends = Points {
        label: format!("ends of its {} interval (upper end infinite if absent)", fmt_percent(d.level)),
        points: Vec::new(),
    };
    for (i, (_, o)) in optima.iter().enumerate() {
        let x = i as f64;
        located.points.extend(o.star.map(|s| (x, s, 0.0)));
        ends.points.extend([o.lo, o.hi].into_iter().flatten().map(|v| (x, v, 0.0)));
    }
    let ys: Vec<(f64, f64)> = located.points.iter().chain(&ends.points).map(|t| (t.1, t.1)).collect();
    let names = optima.iter().map(|(n, o)| format!("{n}: {:?}", o.location).to_lowercase()).collect();
    Figure {
        title: String::new(),
        x: Axis::named("group: location of the optimum", names),
        y: y_axis(&d.sweep, &ys, true),
        heat: None,
        curves: Vec::new(),
        points: vec![located, ends],
        point_colours: vec![0, 4],
    }
}
