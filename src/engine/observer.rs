//! Progress of long runs, observed from outside the pipeline (as argmin's observers): the pipeline
//! reports what it simulates, the caller decides how to show it.

/// Receives progress events; every method has a no-op default.
pub trait Observer: Sync {
    /// A claim starts.
    fn claim_started(&self, _id: &str) {}
    /// `trials` more trials were simulated.
    fn trials_done(&self, _trials: u64) {}
}

/// An observer that shows nothing (tests, library calls, JSON output to a pipe).
pub struct Silent;

impl Observer for Silent {}
