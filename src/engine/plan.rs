//! Plans: what to simulate. One settings resolver ([`Settings`]) turns a check's fixed settings, its
//! quick-precision overrides and a point's coordinates into a validated parameter set; [`grid_points`]
//! is the one Cartesian product of grid axes; a [`Cell`] is one simulated batch.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::observable::{Observable, find};
use crate::params::ParamSet;
use crate::spec::{Quick, value_text};

/// A point as (parameter, value text) pairs.
pub type Point = Vec<(String, String)>;

/// One simulated batch: `trials` independent trials of an observable at `params`, seeded by `seed`.
#[derive(Clone)]
pub struct Cell {
    pub observable: &'static dyn Observable,
    pub params: ParamSet,
    pub trials: usize,
    pub seed: u64,
    /// The outputs the check reads (None: every output); the others need not be simulated.
    pub reads: Option<Vec<&'static str>>,
}

impl Cell {
    /// The key under which a run caches this cell's samples: the trials are not part of it, since
    /// the first n trials of a cell are the same whatever the number drawn; the outputs read are.
    pub fn key(&self) -> String {
        let reads = self.reads.as_ref().map_or(String::new(), |r| format!(" reads {}", r.join(",")));
        format!("{} {} {}{reads}", self.observable.name(), self.params, self.seed)
    }

    /// This cell with only the outputs `reads` simulated.
    pub fn reading(self, reads: &[&'static str]) -> Cell {
        Cell { reads: Some(reads.to_vec()), ..self }
    }
}

/// Every combination of the grid's axes (axes in name order, values as written), lexicographic.
pub fn grid_points(grid: &BTreeMap<String, Vec<toml::Value>>) -> Result<Vec<Point>> {
    let mut points = vec![Vec::new()];
    for (name, values) in grid {
        if values.is_empty() {
            return Err(Error::input(format!("grid.{name} is empty")));
        }
        let texts = values.iter().map(value_text).collect::<Result<Vec<_>>>()?;
        points = points
            .into_iter()
            .flat_map(|p: Point| texts.iter().map(move |v| [p.clone(), vec![(name.clone(), v.clone())]].concat()))
            .collect();
    }
    Ok(points)
}

/// Numeric values of a grid axis, in the order written; an error names the axis when one is not a number.
pub fn axis_numbers(grid: &BTreeMap<String, Vec<toml::Value>>, axis: &str) -> Result<Vec<f64>> {
    let values = grid.get(axis).ok_or_else(|| Error::input(format!("grid.{axis} is missing")))?;
    values
        .iter()
        .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| Error::input(format!("grid.{axis} must be numbers")))
}

/// The named output of an observable (default: its first), or an error listing the known ones.
pub fn output_of(observable: &dyn Observable, output: Option<&str>) -> Result<&'static str> {
    match output {
        None => Ok(observable.outputs()[0].name),
        Some(o) => observable.outputs().iter().find(|x| x.name == o).map(|x| x.name).ok_or_else(|| {
            let known: Vec<&str> = observable.outputs().iter().map(|x| x.name).collect();
            Error::input(format!("`{}` has no output `{o}`; known: {}", observable.name(), known.join(", ")))
        }),
    }
}

/// The one settings resolver: fixed settings, quick-precision overrides and a point's coordinates
/// (which override both) become the observable's parameter set. A fixed setting that only has an
/// effect with another parameter's value (`used_when`) is dropped where that value is not taken.
pub struct Settings {
    observable: &'static dyn Observable,
    fixed: Point,
    quick: Point,
}

fn texts(map: &BTreeMap<String, toml::Value>) -> Result<Point> {
    map.iter().map(|(k, v)| Ok((k.clone(), value_text(v).map_err(|e| Error::input(format!("{k}: {e}")))?))).collect()
}

/// Sets `k = v` in `given`, replacing an earlier value.
fn set(given: &mut Point, k: &str, v: &str) {
    given.retain(|(g, _)| g != k);
    given.push((k.to_string(), v.to_string()));
}

impl Settings {
    /// The resolver of a check on observable `name` with `settings` and `quick` overrides.
    pub fn new(name: &str, settings: &BTreeMap<String, toml::Value>, quick: &Quick) -> Result<Settings> {
        Ok(Settings { observable: find(name)?, fixed: texts(settings)?, quick: texts(&quick.settings)? })
    }

    pub fn observable(&self) -> &'static dyn Observable {
        self.observable
    }

    /// The parameter set at `point` and precision.
    pub fn resolve(&self, point: &[(String, String)], quick: bool) -> Result<ParamSet> {
        let mut given = self.fixed.clone();
        if quick {
            for (k, v) in &self.quick {
                set(&mut given, k, v);
            }
        }
        let from_settings: Vec<String> = given.iter().map(|(k, _)| k.clone()).collect();
        for (k, v) in point {
            set(&mut given, k, v);
        }
        let value_of = |name: &str, given: &Point| {
            given
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| self.observable.params().iter().find(|p| p.name == name).map(|p| p.default.to_string()))
        };
        let inactive: Vec<String> = from_settings
            .into_iter()
            .filter(|k| !point.iter().any(|(pk, _)| pk == k))
            .filter(|k| {
                let spec = self.observable.params().iter().find(|p| p.name == k);
                spec.and_then(|s| s.used_when)
                    .is_some_and(|(other, value)| value_of(other, &given).as_deref() != Some(value))
            })
            .collect();
        given.retain(|(k, _)| !inactive.contains(k));
        self.observable.resolve(&given)
    }

    /// A cell of this observable at `point`.
    pub fn cell(&self, point: &[(String, String)], quick: bool, trials: usize, seed: u64) -> Result<Cell> {
        Ok(Cell { observable: self.observable, params: self.resolve(point, quick)?, trials, seed, reads: None })
    }
}
