//! Points grouped along one variable: the lines along which monotone and optimum checks compare
//! (common random numbers within a line).

use std::collections::BTreeMap;

use crate::engine::plan::Point;

/// The value text of `name` at a point, if it has that coordinate.
pub fn value_of<'a>(point: &'a Point, name: &str) -> Option<&'a str> {
    point.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Groups points by every coordinate except `variable` (groups in the order of that key, compared
/// as value texts), each group sorted by `variable`'s numeric value.
pub fn group_along(points: Vec<Point>, variable: &str) -> Vec<Vec<Point>> {
    let mut groups: BTreeMap<Point, Vec<Point>> = BTreeMap::new();
    for p in points {
        let key: Point = p.iter().filter(|(k, _)| k != variable).cloned().collect();
        groups.entry(key).or_default().push(p);
    }
    let value = |p: &Point| value_of(p, variable).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    groups
        .into_values()
        .map(|mut g| {
            g.sort_by(|a, b| value(a).total_cmp(&value(b)));
            g
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(pairs: &[(&str, &str)]) -> Point {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn groups_are_lines_along_the_variable() {
        let points = vec![pt(&[("a", "2"), ("x", "10")]), pt(&[("a", "1"), ("x", "9")]), pt(&[("a", "2"), ("x", "9")])];
        let g = group_along(points, "x");
        assert_eq!(g.len(), 2);
        assert_eq!(g[0], vec![pt(&[("a", "1"), ("x", "9")])]);
        assert_eq!(g[1], vec![pt(&[("a", "2"), ("x", "9")]), pt(&[("a", "2"), ("x", "10")])]);
        assert_eq!(value_of(&g[1][1], "x"), Some("10"));
    }
}
