//! Names the regime where a claim fails: the simplest description of the failing points, found by
//! exhaustive scan: a threshold on one parameter ("fails where nu2 > 1"), else one condition or a
//! conjunction of two ("holds only where lambda_wd >= 0.5 and variant = early_stop").

use std::collections::BTreeMap;

use super::{PointReport, Verdict, fmt_num};

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

/// A coordinate of a grid point: a number, or a word (a choice such as `variant = ridge`).
#[derive(Debug, Clone, PartialEq)]
pub enum Coord {
    Num(f64),
    Word(String),
}

/// A condition on one coordinate.
#[derive(Debug, Clone)]
enum Cond {
    AtMost(String, f64),
    AtLeast(String, f64),
    Is(String, String),
    IsNot(String, String),
}

impl Cond {
    fn holds(&self, p: &BTreeMap<String, Coord>) -> bool {
        match self {
            Cond::AtMost(n, v) => matches!(p.get(n), Some(Coord::Num(x)) if x <= v),
            Cond::AtLeast(n, v) => matches!(p.get(n), Some(Coord::Num(x)) if x >= v),
            Cond::Is(n, w) => matches!(p.get(n), Some(Coord::Word(x)) if x == w),
            Cond::IsNot(n, w) => matches!(p.get(n), Some(Coord::Word(x)) if x != w),
        }
    }

    fn text(&self) -> String {
        match self {
            Cond::AtMost(n, v) => format!("{n} <= {}", fmt_num(*v)),
            Cond::AtLeast(n, v) => format!("{n} >= {}", fmt_num(*v)),
            Cond::Is(n, w) => format!("{n} = {w}"),
            Cond::IsNot(n, w) => format!("{n} != {w}"),
        }
    }
}

/// Every threshold and every word condition the points' coordinates allow.
fn conditions(points: &[(BTreeMap<String, Coord>, bool)]) -> Vec<Cond> {
    let mut out = Vec::new();
    let names: Vec<String> = points.first().map(|p| p.0.keys().cloned().collect()).unwrap_or_default();
    for name in names {
        let mut nums: Vec<f64> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        for (p, _) in points {
            match p.get(&name) {
                Some(Coord::Num(x)) if !nums.contains(x) => nums.push(*x),
                Some(Coord::Word(w)) if !words.contains(w) => words.push(w.clone()),
                _ => {}
            }
        }
        nums.sort_by(f64::total_cmp);
        // Thresholds strictly inside the range (a condition true everywhere describes nothing).
        for (i, &v) in nums.iter().enumerate() {
            if i + 1 < nums.len() {
                out.push(Cond::AtMost(name.clone(), v));
            }
            if i > 0 {
                out.push(Cond::AtLeast(name.clone(), v));
            }
        }
        if words.len() > 1 {
            out.extend(words.iter().map(|w| Cond::Is(name.clone(), w.clone())));
        }
        if words.len() > 2 {
            out.extend(words.into_iter().map(|w| Cond::IsNot(name.clone(), w)));
        }
    }
    out
}

/// Verdict and regime text for points with numeric or word coordinates. Tries, in order: a threshold
/// on one number ([`classify`]'s wording), one condition, then a conjunction of two conditions that
/// describes exactly the passing (or exactly the failing) points.
pub fn classify_coords(points: &[(BTreeMap<String, Coord>, bool)]) -> (Verdict, String) {
    let numeric: Vec<(BTreeMap<String, f64>, bool)> = points
        .iter()
        .map(|(p, ok)| {
            let nums = p.iter().filter_map(|(k, c)| if let Coord::Num(x) = c { Some((k.clone(), *x)) } else { None });
            (nums.collect(), *ok)
        })
        .collect();
    let first = classify(&numeric);
    if first.0 != Verdict::Refuted || points.iter().all(|(_, ok)| !ok) {
        return first;
    }
    let (n, passing) = (points.len(), points.iter().filter(|(_, ok)| *ok).count());
    let conds = conditions(points);
    let exactly =
        |f: &dyn Fn(&BTreeMap<String, Coord>) -> bool, want: bool| points.iter().all(|(p, ok)| f(p) == (*ok == want));
    for c in &conds {
        if exactly(&|p| c.holds(p), true) {
            return (Verdict::RegimeLimited, format!("holds only where {} ({passing} of {n} points)", c.text()));
        }
    }
    for (i, a) in conds.iter().enumerate() {
        for b in &conds[i + 1..] {
            let both = |p: &BTreeMap<String, Coord>| a.holds(p) && b.holds(p);
            if exactly(&both, true) {
                let text = format!("holds only where {} and {} ({passing} of {n} points)", a.text(), b.text());
                return (Verdict::RegimeLimited, text);
            }
            if exactly(&both, false) {
                let text = format!("fails only where {} and {} ({} of {n} points)", a.text(), b.text(), n - passing);
                return (Verdict::RegimeLimited, text);
            }
        }
    }
    first
}

/// [`classify_coords`] on check reports: numbers and words of each point's `at`.
pub fn classify_reports(reports: &[PointReport]) -> (Verdict, String) {
    let coords: Vec<(BTreeMap<String, Coord>, bool)> = reports
        .iter()
        .map(|r| {
            let at =
                r.at.iter()
                    .filter_map(|(k, v)| match v {
                        serde_json::Value::Number(x) => x.as_f64().map(|x| (k.clone(), Coord::Num(x))),
                        serde_json::Value::String(w) => Some((k.clone(), Coord::Word(w.clone()))),
                        _ => None,
                    })
                    .collect();
            (at, r.pass)
        })
        .collect();
    classify_coords(&coords)
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

    fn mixed(variant: &str, wd: f64, pass: bool) -> (BTreeMap<String, Coord>, bool) {
        let at =
            BTreeMap::from([("variant".to_string(), Coord::Word(variant.into())), ("wd".to_string(), Coord::Num(wd))]);
        (at, pass)
    }

    #[test]
    fn word_conditions_and_conjunctions_name_the_regime() {
        let pts = vec![mixed("readout", 0.0, false), mixed("early", 0.0, true), mixed("readout", 1.0, false)];
        let (v, text) = classify_coords(&[pts.clone(), vec![mixed("early", 1.0, true)]].concat());
        assert_eq!(v, Verdict::RegimeLimited);
        assert!(text.contains("variant = early"), "{text}");
        let (v, text) = classify_coords(
            &[pts, vec![mixed("early", 1.0, true)]]
                .concat()
                .iter()
                .map(|(p, _)| {
                    let ok = p["variant"] == Coord::Word("early".into()) && p["wd"] == Coord::Num(1.0);
                    (p.clone(), ok)
                })
                .collect::<Vec<_>>(),
        );
        assert_eq!(v, Verdict::RegimeLimited);
        assert!(text.contains("wd >= 1") && text.contains("variant = early"), "{text}");
    }
}
