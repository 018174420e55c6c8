//! Names the regime where a claim fails: the simplest description of the failing points as a
//! threshold on one parameter ("fails where nu2 > 1"), found by exhaustive scan.

use std::collections::BTreeMap;

use super::{Verdict, fmt_num};

/// Verdict and regime text for points with numeric coordinates and pass flags.
/// Holds if none fail; regime-limited if a single-parameter threshold separates failing from
/// passing points; refuted otherwise (including when every point fails).
pub fn classify(points: &[(BTreeMap<String, f64>, bool)]) -> (Verdict, String) {
    let fails = points.iter().filter(|(_, pass)| !pass).count();
    if fails == 0 {
        return (Verdict::Holds, String::new());
    }
    if fails == points.len() {
        return (Verdict::Refuted, format!("fails at all {} points", points.len()));
    }
    let names: Vec<&String> = points[0].0.keys().collect();
    for name in names {
        let coord = |p: &BTreeMap<String, f64>| p.get(name).copied().unwrap_or(f64::NAN);
        let fail_vals: Vec<f64> = points.iter().filter(|(_, ok)| !ok).map(|(p, _)| coord(p)).collect();
        let pass_vals: Vec<f64> = points.iter().filter(|(_, ok)| *ok).map(|(p, _)| coord(p)).collect();
        if fail_vals.iter().chain(&pass_vals).any(|x| x.is_nan()) {
            continue;
        }
        let (fmin, fmax) = min_max(&fail_vals);
        let (pmin, pmax) = min_max(&pass_vals);
        if fmin > pmax {
            return (
                Verdict::RegimeLimited,
                format!(
                    "fails where {name} > {} ({} of {} points, from {name} = {}); holds for {name} <= {}",
                    fmt_num(pmax),
                    fail_vals.len(),
                    points.len(),
                    fmt_num(fmin),
                    fmt_num(pmax)
                ),
            );
        }
        if fmax < pmin {
            return (
                Verdict::RegimeLimited,
                format!(
                    "fails where {name} < {} ({} of {} points, up to {name} = {}); holds for {name} >= {}",
                    fmt_num(pmin),
                    fail_vals.len(),
                    points.len(),
                    fmt_num(fmax),
                    fmt_num(pmin)
                ),
            );
        }
    }
    (Verdict::Refuted, format!("fails at {fails} of {} points, not confined to a range of one parameter", points.len()))
}

fn min_max(xs: &[f64]) -> (f64, f64) {
    xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f64, y: f64, pass: bool) -> (BTreeMap<String, f64>, bool) {
        (BTreeMap::from([("x".to_string(), x), ("y".to_string(), y)]), pass)
    }

    #[test]
    fn threshold_in_one_parameter_is_a_regime() {
        let pts = vec![pt(0.5, 1.0, true), pt(0.5, 2.0, true), pt(1.5, 1.0, false), pt(1.5, 2.0, false)];
        let (v, text) = classify(&pts);
        assert_eq!(v, Verdict::RegimeLimited);
        assert!(text.contains("x > 0.5"), "{text}");
    }

    #[test]
    fn scattered_failures_refute() {
        let pts = vec![pt(0.0, 0.0, true), pt(1.0, 1.0, true), pt(0.0, 1.0, false), pt(1.0, 0.0, false)];
        assert_eq!(classify(&pts).0, Verdict::Refuted);
        assert_eq!(classify(&[pt(0.0, 0.0, false)]).0, Verdict::Refuted);
        assert_eq!(classify(&[pt(0.0, 0.0, true)]).0, Verdict::Holds);
    }
}
