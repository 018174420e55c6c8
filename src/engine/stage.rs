//! One look of a check: sequential checks draw their trials in stages and spend the check's alpha
//! across the looks.
//!
//! A check with K looks draws n_k = ceil(n 2^(k - K)) of its declared n trials at look k = 1..K
//! (so the last look has all n), reusing the trials already drawn: trial t of a cell always has the
//! same seed, so a look extends the previous one. Each look tests at alpha / K, so the probability of
//! a false rejection at any look is at most alpha (Bonferroni over looks). A check stops at the first
//! look where its decision is settled: every point is rejected or resolved within its requirement.

use std::ops::Deref;

use super::Precision;

/// Looks of a sequential check (1/4, 1/2 and all of its trials).
pub const LOOKS: usize = 3;

/// The fewest trials a staged look draws (Student-t quantiles with fewer degrees of freedom are too
/// wide for a look to settle anything).
pub const MIN_STAGE_TRIALS: usize = 8;

/// A look: the run's precision, the alpha this look may spend and the share of trials drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub precision: Precision,
    /// Family-wise error rate of this look.
    pub alpha: f64,
    /// 1-based look number and the number of looks.
    pub look: usize,
    pub looks: usize,
}

impl Deref for Stage {
    type Target = Precision;
    fn deref(&self) -> &Precision {
        &self.precision
    }
}

impl Stage {
    /// The single look of a check that is not sequential, spending all of `alpha`.
    pub fn single(precision: Precision, alpha: f64) -> Self {
        Stage { precision, alpha, look: 1, looks: 1 }
    }

    /// Look `look` of `looks`, spending alpha / looks.
    pub fn nth(precision: Precision, alpha: f64, look: usize, looks: usize) -> Self {
        Stage { precision, alpha: alpha / looks as f64, look, looks }
    }

    /// Whether this is the last look (all declared trials).
    pub fn last(&self) -> bool {
        self.look >= self.looks
    }

    /// Trials drawn at this look out of the `declared` ones.
    pub fn trials(&self, declared: usize) -> usize {
        let shift = (self.looks - self.look) as i32;
        let staged = (declared as f64 * 0.5f64.powi(shift)).ceil() as usize;
        staged.max(MIN_STAGE_TRIALS.min(declared)).min(declared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_double_up_to_the_declared_trials() {
        let p = Precision { quick: false, seed: 1 };
        let t: Vec<usize> = (1..=3).map(|k| Stage::nth(p, 0.03, k, 3).trials(100)).collect();
        assert_eq!(t, vec![25, 50, 100]);
        assert_eq!(Stage::nth(p, 0.03, 1, 3).trials(12), 8);
        assert_eq!(Stage::nth(p, 0.03, 1, 3).trials(5), 5);
        assert!((Stage::nth(p, 0.03, 2, 3).alpha - 0.01).abs() < 1e-15);
        assert!(Stage::single(p, 0.01).last());
    }
}
