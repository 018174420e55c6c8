//! A run: the precision, the observer and the cache of simulated cells, owned by whoever runs checks
//! (an audit, a calibration). Cells with the same observable, parameters, trials and seed are
//! simulated once per run, e.g. the base point shared by a collapse and a directions check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Cell, Drawn, Observer, Precision};
use crate::error::Result;
use crate::observable::{Sample, simulate_trials};

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

    /// The samples of one cell: from the cache, extended by the missing trials, or simulated (trials
    /// in parallel over independent seeds, identical for any thread count) and cached. Trial t of a
    /// cell is the same however many are drawn, so a later look extends an earlier one.
    pub fn sample(&self, cell: &Cell) -> Result<Arc<Sample>> {
        let key = cell.key();
        let cached = self.cache.lock().ok().and_then(|m| m.get(&key).cloned());
        let have = cached.as_ref().map_or(0, |s| s.rows.len());
        if let Some(s) = &cached
            && have >= cell.trials
        {
            return Ok(if have == cell.trials { s.clone() } else { Arc::new(s.prefix(cell.trials)) });
        }
        let range = have as u64..cell.trials as u64;
        let more = simulate_trials(cell.observable, &cell.params, range, cell.seed, cell.reads.as_deref(), None)?;
        self.observer.trials_done((cell.trials - have) as u64);
        let sample = match cached {
            Some(s) => {
                let mut all = Sample::clone(&s);
                all.extend(more);
                Arc::new(all)
            }
            None => Arc::new(more),
        };
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
