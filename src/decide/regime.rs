//! Names the regime where a check fails: the simplest description of the failing points, found by
//! exhaustive scan: a threshold on one parameter ("fails where nu2 > 1"), else one condition or a
//! conjunction of two ("holds only where lambda_wd >= 0.5 and variant = early_stop").

use crate::outcome::{Condition, Coord, Coords, PointOutcome, Region, Verdict};

/// The verdict and region of points with pass flags: holds if none fail; regime-limited if a
/// threshold on one number, one condition, or a conjunction of two describes exactly the passing
/// (or exactly the failing) points; refuted otherwise (including when every point fails).
pub fn classify(points: &[(Coords, bool)]) -> (Verdict, Option<Region>) {
    let region = locate(points, true);
    (region.as_ref().map_or(Verdict::Holds, Region::verdict), region)
}

/// [`classify`] on outcomes: each point's coordinates and pass flag.
pub fn classify_points(points: &[PointOutcome]) -> (Verdict, Option<Region>) {
    let flags: Vec<(Coords, bool)> = points.iter().map(|p| (p.at.clone(), p.pass)).collect();
    classify(&flags)
}

/// As [`classify`], but a regime is only a threshold on one numeric parameter (for checks over
/// numeric grids: sign boundaries, domain searches).
pub fn classify_thresholds(points: &[(Coords, bool)]) -> (Verdict, Option<Region>) {
    let region = locate(points, false);
    (region.as_ref().map_or(Verdict::Holds, Region::verdict), region)
}

fn locate(points: &[(Coords, bool)], with_conditions: bool) -> Option<Region> {
    let n = points.len();
    let fails = points.iter().filter(|(_, pass)| !pass).count();
    if fails == 0 {
        return None;
    }
    if fails == n {
        return Some(Region::Everywhere { points: n });
    }
    let conditioned = || if with_conditions { conditions_region(points) } else { None };
    threshold(points, fails).or_else(conditioned).or(Some(Region::Scattered { fails, points: n }))
}

fn min_max(xs: &[f64]) -> (f64, f64) {
    xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// A threshold on one numeric parameter separating failing from passing points.
fn threshold(points: &[(Coords, bool)], fails: usize) -> Option<Region> {
    let n = points.len();
    let names: Vec<&String> = points[0].0.iter().filter(|(_, c)| c.as_num().is_some()).map(|(k, _)| k).collect();
    for name in names {
        let coord = |p: &Coords| p.get(name).and_then(Coord::as_num).unwrap_or(f64::NAN);
        let fail_vals: Vec<f64> = points.iter().filter(|(_, ok)| !ok).map(|(p, _)| coord(p)).collect();
        let pass_vals: Vec<f64> = points.iter().filter(|(_, ok)| *ok).map(|(p, _)| coord(p)).collect();
        if fail_vals.iter().chain(&pass_vals).any(|x| x.is_nan()) {
            continue;
        }
        let (fmin, fmax) = min_max(&fail_vals);
        let (pmin, pmax) = min_max(&pass_vals);
        let name = name.clone();
        if fmin > pmax {
            return Some(Region::Above { name, holds_up_to: pmax, first_failing: fmin, fails, points: n });
        }
        if fmax < pmin {
            return Some(Region::Below { name, holds_from: pmin, last_failing: fmax, fails, points: n });
        }
    }
    None
}

fn holds(c: &Condition, p: &Coords) -> bool {
    match c {
        Condition::AtMost { name, value } => matches!(p.get(name), Some(Coord::Num(x)) if x <= value),
        Condition::AtLeast { name, value } => matches!(p.get(name), Some(Coord::Num(x)) if x >= value),
        Condition::Is { name, word } => matches!(p.get(name), Some(Coord::Word(x)) if x == word),
        Condition::IsNot { name, word } => matches!(p.get(name), Some(Coord::Word(x)) if x != word),
    }
}

/// Every threshold and every word condition the points' coordinates allow.
fn conditions(points: &[(Coords, bool)]) -> Vec<Condition> {
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
        for (i, &value) in nums.iter().enumerate() {
            if i + 1 < nums.len() {
                out.push(Condition::AtMost { name: name.clone(), value });
            }
            if i > 0 {
                out.push(Condition::AtLeast { name: name.clone(), value });
            }
        }
        if words.len() > 1 {
            out.extend(words.iter().map(|w| Condition::Is { name: name.clone(), word: w.clone() }));
        }
        if words.len() > 2 {
            out.extend(words.into_iter().map(|word| Condition::IsNot { name: name.clone(), word }));
        }
    }
    out
}

/// One condition, then a conjunction of two, describing exactly the passing or the failing points.
fn conditions_region(points: &[(Coords, bool)]) -> Option<Region> {
    let (n, passing) = (points.len(), points.iter().filter(|(_, ok)| *ok).count());
    let conds = conditions(points);
    let exactly = |f: &dyn Fn(&Coords) -> bool, want: bool| points.iter().all(|(p, ok)| f(p) == (*ok == want));
    for c in &conds {
        if exactly(&|p| holds(c, p), true) {
            return Some(Region::HoldsOnly { conditions: vec![c.clone()], passing, points: n });
        }
    }
    for (i, a) in conds.iter().enumerate() {
        for b in &conds[i + 1..] {
            let both = |p: &Coords| holds(a, p) && holds(b, p);
            let pair = vec![a.clone(), b.clone()];
            if exactly(&both, true) {
                return Some(Region::HoldsOnly { conditions: pair, passing, points: n });
            }
            if exactly(&both, false) {
                return Some(Region::FailsOnly { conditions: pair, failing: n - passing, points: n });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f64, y: f64, pass: bool) -> (Coords, bool) {
        (Coords::from([("x".to_string(), Coord::Num(x)), ("y".to_string(), Coord::Num(y))]), pass)
    }

    #[test]
    fn threshold_in_one_parameter_is_a_regime() {
        let pts = vec![pt(0.5, 1.0, true), pt(0.5, 2.0, true), pt(1.5, 1.0, false), pt(1.5, 2.0, false)];
        let (v, region) = classify(&pts);
        assert_eq!(v, Verdict::RegimeLimited);
        assert_eq!(
            region,
            Some(Region::Above { name: "x".into(), holds_up_to: 0.5, first_failing: 1.5, fails: 2, points: 4 })
        );
    }

    #[test]
    fn scattered_failures_refute() {
        let pts = vec![pt(0.0, 0.0, true), pt(1.0, 1.0, true), pt(0.0, 1.0, false), pt(1.0, 0.0, false)];
        assert_eq!(classify(&pts).0, Verdict::Refuted);
        assert_eq!(classify(&[pt(0.0, 0.0, false)]), (Verdict::Refuted, Some(Region::Everywhere { points: 1 })));
        assert_eq!(classify(&[pt(0.0, 0.0, true)]), (Verdict::Holds, None));
    }

    fn mixed(variant: &str, wd: f64, pass: bool) -> (Coords, bool) {
        (Coords::from([("variant".to_string(), Coord::Word(variant.into())), ("wd".to_string(), Coord::Num(wd))]), pass)
    }

    #[test]
    fn word_conditions_and_conjunctions_name_the_regime() {
        let pts = vec![mixed("readout", 0.0, false), mixed("early", 0.0, true), mixed("readout", 1.0, false)];
        let all = [pts.clone(), vec![mixed("early", 1.0, true)]].concat();
        let (v, region) = classify(&all);
        assert_eq!(v, Verdict::RegimeLimited);
        let early = Condition::Is { name: "variant".into(), word: "early".into() };
        assert_eq!(region, Some(Region::HoldsOnly { conditions: vec![early.clone()], passing: 2, points: 4 }));
        let only_one: Vec<(Coords, bool)> = all
            .iter()
            .map(|(p, _)| {
                let ok = p["variant"] == Coord::Word("early".into()) && p["wd"] == Coord::Num(1.0);
                (p.clone(), ok)
            })
            .collect();
        let (v, region) = classify(&only_one);
        assert_eq!(v, Verdict::RegimeLimited);
        let Some(Region::HoldsOnly { conditions, .. }) = region else { panic!("{region:?}") };
        assert!(
            conditions.contains(&early) && conditions.contains(&Condition::AtLeast { name: "wd".into(), value: 1.0 })
        );
    }
}
