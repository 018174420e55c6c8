//! The main axis of a check's grid (the numeric parameter with the most values), whether its values
//! are geometric, and the curves of claimed values along it: what figures of a check draw against.

use serde::Serialize;

use super::{Coord, Coords, PointOutcome};

/// At most this many combinations of the other grid values get one claimed curve each; more are
/// drawn as standardised residuals.
pub const MAX_CURVES: usize = 4;

/// Samples of a claimed curve along the main axis.
pub const CURVE_SAMPLES: usize = 81;

/// The numeric grid parameter with the most distinct values, with its sorted values.
#[derive(Debug, Clone, PartialEq)]
pub struct MainAxis {
    pub name: String,
    pub values: Vec<f64>,
    /// The values are geometric (all positive, spanning a factor of 8 or more, spaced more evenly
    /// in log than linearly): drawn on a log scale.
    pub log: bool,
}

/// The claimed value along the main axis with the other coordinates fixed at `at`. JSON:
/// `{axis, at, samples: [{at: {axis: value}, claimed}]}`.
#[derive(Debug, Clone)]
pub struct ClaimedCurve {
    pub axis: String,
    /// The other coordinates of the points this curve belongs to.
    pub at: Coords,
    /// (axis value, claimed value) samples, undefined values left out.
    pub samples: Vec<(f64, f64)>,
}

impl Serialize for ClaimedCurve {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let samples: Vec<serde_json::Value> = self
            .samples
            .iter()
            .map(
                |&(x, y)| serde_json::json!({"at": {self.axis.as_str(): crate::formula::whole_value(x)}, "claimed": y}),
            )
            .collect();
        serde_json::json!({"axis": self.axis, "at": self.at, "samples": samples}).serialize(s)
    }
}

/// The main axis of the points' grid; None when no coordinate is numeric with two or more values.
pub fn main_axis(points: &[PointOutcome]) -> Option<MainAxis> {
    let names: Vec<&String> = points.first()?.at.keys().collect();
    let axes = names.into_iter().filter_map(|name| {
        let mut values = points.iter().map(|p| p.at.get(name).and_then(Coord::as_num)).collect::<Option<Vec<f64>>>()?;
        values.sort_by(f64::total_cmp);
        values.dedup();
        (values.len() >= 2).then(|| MainAxis { name: name.clone(), log: geometric(&values), values })
    });
    // Most values; among equals the first name in order.
    axes.fold(None, |best: Option<MainAxis>, a| match best {
        Some(b) if b.values.len() >= a.values.len() => Some(b),
        _ => Some(a),
    })
}

/// Whether sorted distinct values are geometric: positive, max/min >= 8, and their log spacing
/// more even than their linear spacing (coefficient of variation of the log ratios against that of
/// the differences).
pub fn geometric(values: &[f64]) -> bool {
    let (lo, hi) = (values[0], values[values.len() - 1]);
    if lo <= 0.0 || hi / lo < 8.0 {
        return false;
    }
    let ratios: Vec<f64> = values.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let diffs: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    values.len() == 2 || variation(&ratios) <= variation(&diffs)
}

fn variation(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean.abs().max(f64::MIN_POSITIVE)
}

/// The coordinates of `at` other than `axis`: the key of the curve a point belongs to.
pub fn others(at: &Coords, axis: &str) -> Coords {
    at.iter().filter(|(k, _)| k.as_str() != axis).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// `n` >= 2 samples from the axis's first to its last value, evenly spaced (in log when geometric).
pub fn samples(axis: &MainAxis, n: usize) -> Vec<f64> {
    let (lo, hi) = (axis.values[0], axis.values[axis.values.len() - 1]);
    let t = |i: usize| i as f64 / (n - 1) as f64;
    if axis.log {
        (0..n).map(|i| (lo.ln() + (hi.ln() - lo.ln()) * t(i)).exp()).collect()
    } else {
        (0..n).map(|i| lo + (hi - lo) * t(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(pairs: &[(&str, f64)]) -> PointOutcome {
        PointOutcome::at(pairs.iter().map(|(k, v)| (k.to_string(), Coord::Num(*v))).collect())
    }

    #[test]
    fn the_main_axis_has_the_most_values_and_knows_its_scale() {
        let points: Vec<PointOutcome> =
            [0.1, 1.0, 10.0].iter().flat_map(|&g| [0.25, 0.5].map(|n| point(&[("gamma", g), ("nu2", n)]))).collect();
        let axis = main_axis(&points).unwrap();
        assert_eq!((axis.name.as_str(), axis.values.len(), axis.log), ("gamma", 3, true));
        assert!(!geometric(&[0.25, 0.5, 0.75, 1.0]) && !geometric(&[1.0, 2.0]) && geometric(&[1.0, 10.0]));
        assert!(geometric(&[125.0, 250.0, 500.0, 1000.0]) && !geometric(&[1.0, 10.0, 20.0, 30.0, 40.0]));
        let s = samples(&axis, 3);
        assert!((s[1] - 1.0).abs() < 1e-12);
        assert_eq!(others(&points[0].at, "gamma").len(), 1);
    }
}
