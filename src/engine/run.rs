//! A run: the precision, the observer and the cache of simulated cells, owned by whoever runs checks
//! (an audit, a calibration). Cells with the same observable, parameters, trials and seed are
//! simulated once per run, e.g. the base point shared by a collapse and a directions check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Cell, Drawn, Observer, Precision};
use crate::error::Result;
use crate::observable::{Sample, simulate};

/// The executor of plans, with its cache.
pub struct Run<'a> {
    precision: Precision,
    observer: &'a dyn Observer,
    cache: Mutex<HashMap<String, Arc<Sample>>>,
}

impl<'a> Run<'a> {
    pub fn new(precision: Precision, observer: &'a dyn Observer) -> Self {
        Run { precision, observer, cache: Mutex::new(HashMap::new()) }
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn observer(&self) -> &dyn Observer {
        self.observer
    }

    /// The samples of one cell: from the cache, or simulated (trials in parallel over independent
    /// seeds, identical for any thread count) and cached.
    pub fn sample(&self, cell: &Cell) -> Result<Arc<Sample>> {
        let key = cell.key();
        if let Some(s) = self.cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(s);
        }
        let sample = Arc::new(simulate(cell.observable, &cell.params, cell.trials, cell.seed, None)?);
        self.observer.trials_done(cell.trials as u64);
        if let Ok(mut m) = self.cache.lock() {
            m.insert(key, sample.clone());
        }
        Ok(sample)
    }

    /// Every cell with its samples, in order.
    pub fn draw(&self, cells: Vec<Cell>) -> Result<Vec<Drawn>> {
        cells.into_iter().map(|cell| Ok(Drawn { sample: self.sample(&cell)?, cell })).collect()
    }
}
