//! Calibration: how stable the audit's verdicts are under a change of seed.
//!
//! Every selected claim is decided at N seeds S, S+1, ..., S+N-1 (each seed its own
//! [`crate::engine::Run`], so nothing is shared between seeds and the outcome does not depend on the
//! thread count). Per claim: the counts of each computed verdict, how many seeds reproduce the
//! recorded one (with its binomial standard error and a 95% Clopper-Pearson interval) and the spread
//! of the claim's worst statistic (its max |z|) over seeds. A claim is *stable* when at most one seed
//! disagrees with the recorded verdict (none when N = 1).
//!
//! On claims whose truth is known by construction (the synthetic claims in `tests/calibration/`)
//! the disagreement rate of a claim that holds is the machinery's false-refutation rate (designed to
//! be at most [`crate::engine::alpha::CLAIM_ALPHA`] per claim), and the agreement rate of a claim that
//! does not hold is its power.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ContinuousCDF};

use crate::audit::run_claim;
use crate::claim::Claim;
use crate::engine::{Observer, Precision, Run};
use crate::error::{Error, Result};
use crate::outcome::Verdict;

/// One seed of one claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedOutcome {
    pub seed: u64,
    pub verdict: Verdict,
    pub max_abs_z: Option<f64>,
    pub elapsed_s: f64,
}

/// How often each verdict was computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub holds: usize,
    #[serde(rename = "regime-limited")]
    pub regime_limited: usize,
    pub refuted: usize,
    pub inconclusive: usize,
    pub error: usize,
}

impl Counts {
    fn of(verdicts: impl Iterator<Item = Verdict>) -> Self {
        let mut c = Counts::default();
        for v in verdicts {
            match v {
                Verdict::Holds => c.holds += 1,
                Verdict::RegimeLimited => c.regime_limited += 1,
                Verdict::Refuted => c.refuted += 1,
                Verdict::Inconclusive => c.inconclusive += 1,
                Verdict::Error => c.error += 1,
            }
        }
        c
    }

    /// How many seeds gave verdict `v`.
    pub fn get(&self, v: Verdict) -> usize {
        match v {
            Verdict::Holds => self.holds,
            Verdict::RegimeLimited => self.regime_limited,
            Verdict::Refuted => self.refuted,
            Verdict::Inconclusive => self.inconclusive,
            Verdict::Error => self.error,
        }
    }
}

/// A binomial proportion k / n with its standard error sqrt(p (1 - p) / n) and the exact 95%
/// Clopper-Pearson interval (which stays informative at k = 0 or k = n, where the se is 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub count: usize,
    pub of: usize,
    pub rate: f64,
    pub se: f64,
    pub ci95: (f64, f64),
}

impl Rate {
    /// The proportion `count` of `of` (`of` > 0).
    pub fn new(count: usize, of: usize) -> Rate {
        let (k, n) = (count as f64, of.max(1) as f64);
        let rate = k / n;
        let beta = |a: f64, b: f64, p: f64| Beta::new(a, b).map_or(f64::NAN, |d| d.inverse_cdf(p));
        let lo = if count == 0 { 0.0 } else { beta(k, n - k + 1.0, 0.025) };
        let hi = if count >= of { 1.0 } else { beta(k + 1.0, n - k, 0.975) };
        Rate { count, of, rate, se: (rate * (1.0 - rate) / n).sqrt(), ci95: (lo, hi) }
    }
}

/// Minimum, median and maximum of a statistic over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (None when empty).
    pub fn of(mut values: Vec<f64>) -> Option<Spread> {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => values[n / 2],
            _ => 0.5 * (values[n / 2 - 1] + values[n / 2]),
        };
        Some(Spread { min: values[0], median, max: values[n - 1] })
    }
}

/// One claim over all seeds.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimCalibration {
    pub id: String,
    /// The recorded verdict.
    pub expected: Verdict,
    pub counts: Counts,
    /// Seeds whose verdict equals the recorded one, as a rate.
    pub matching: Rate,
    /// At most one seed disagrees with the recorded verdict (none when there is one seed).
    pub stable: bool,
    /// The recorded verdict is "holds" and some seed refuted the claim.
    pub holds_refuted: bool,
    /// The claim's max |z| over seeds (None when no seed has a z: deterministic checks).
    pub max_abs_z: Option<Spread>,
    /// Time spent on the claim, summed over seeds.
    pub elapsed_s: f64,
    pub seeds: Vec<SeedOutcome>,
}

/// A calibration run.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub quick: bool,
    pub seeds: Vec<u64>,
    pub claims: Vec<ClaimCalibration>,
    /// Number of stable claims.
    pub stable: usize,
    /// Claims recorded as holding that some seed refuted.
    pub holds_refuted: Vec<String>,
    /// Every claim is stable and no claim recorded as holding was ever refuted.
    pub passed: bool,
    pub elapsed_s: f64,
}

/// How many of `n` seeds may disagree with the recorded verdict for a claim to count as stable.
pub fn allowed_mismatches(n: usize) -> usize {
    n.saturating_sub(1).min(1)
}

/// The seeds first, first + 1, ..., first + n - 1 (an input error if n = 0 or they overflow).
pub fn seed_range(first: u64, n: usize) -> Result<Vec<u64>> {
    if n == 0 {
        return Err(Error::input("--seeds must be at least 1"));
    }
    (0..n as u64)
        .map(|i| first.checked_add(i).ok_or_else(|| Error::input(format!("seed {first} + {i} overflows u64"))))
        .collect()
}

/// One (claim, seed) run of a calibration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClaimRun {
    pub claim: String,
    #[serde(flatten)]
    pub outcome: SeedOutcome,
}

/// The (claim, seed) jobs of a calibration in their fixed order: claim by claim, seed by seed.
pub fn jobs<'a>(claims: &[&'a Claim], seeds: &[u64]) -> Vec<(&'a Claim, u64)> {
    claims.iter().flat_map(|c| seeds.iter().map(move |s| (*c, *s))).collect()
}

/// Decides the given (claim, seed) jobs (in parallel, each in its own run, identical for any thread
/// count). Errors of any run end the calibration.
pub fn run_jobs(jobs: &[(&Claim, u64)], quick: bool, observer: &dyn Observer) -> Result<Vec<ClaimRun>> {
    jobs.par_iter()
        .map(|&(claim, seed)| {
            let run = Run::new(Precision { quick, seed }, observer);
            let o = run_claim(claim, &run)?;
            let outcome = SeedOutcome { seed, verdict: o.verdict, max_abs_z: o.max_abs_z, elapsed_s: o.elapsed_s };
            Ok(ClaimRun { claim: claim.id().to_string(), outcome })
        })
        .collect()
}

/// Decides every claim at every seed and summarises each claim over the seeds.
pub fn calibrate(claims: &[&Claim], seeds: &[u64], quick: bool, observer: &dyn Observer) -> Result<Calibration> {
    if seeds.is_empty() {
        return Err(Error::input("a calibration needs at least one seed"));
    }
    let start = std::time::Instant::now();
    let runs = run_jobs(&jobs(claims, seeds), quick, observer)?;
    let expected: Vec<(String, Verdict)> =
        claims.iter().map(|c| (c.id().to_string(), c.file.verdict.at(quick))).collect();
    Ok(summarise_runs(&expected, seeds, runs, quick, start.elapsed().as_secs_f64()))
}

/// The calibration of the claims (id, recorded verdict) from their runs (in job order).
pub fn summarise_runs(
    claims: &[(String, Verdict)],
    seeds: &[u64],
    runs: Vec<ClaimRun>,
    quick: bool,
    elapsed_s: f64,
) -> Calibration {
    let outcomes: Vec<SeedOutcome> = runs.into_iter().map(|r| r.outcome).collect();
    let per_claim: Vec<ClaimCalibration> = claims
        .iter()
        .zip(outcomes.chunks(seeds.len()))
        .map(|((id, expected), runs)| summarise(id, *expected, runs.to_vec()))
        .collect();
    let stable = per_claim.iter().filter(|c| c.stable).count();
    let holds_refuted: Vec<String> = per_claim.iter().filter(|c| c.holds_refuted).map(|c| c.id.clone()).collect();
    Calibration {
        quick,
        seeds: seeds.to_vec(),
        passed: stable == per_claim.len() && holds_refuted.is_empty(),
        claims: per_claim,
        stable,
        holds_refuted,
        elapsed_s,
    }
}

/// One claim's summary from its per-seed outcomes.
pub fn summarise(id: &str, expected: Verdict, seeds: Vec<SeedOutcome>) -> ClaimCalibration {
    let n = seeds.len();
    let counts = Counts::of(seeds.iter().map(|s| s.verdict));
    let matching = counts.get(expected);
    ClaimCalibration {
        id: id.to_string(),
        expected,
        counts,
        matching: Rate::new(matching, n),
        stable: n - matching <= allowed_mismatches(n),
        holds_refuted: expected == Verdict::Holds && counts.refuted > 0,
        max_abs_z: Spread::of(seeds.iter().filter_map(|s| s.max_abs_z).collect()),
        elapsed_s: seeds.iter().map(|s| s.elapsed_s).sum(),
        seeds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn seed(verdict: Verdict, z: Option<f64>) -> SeedOutcome {
        SeedOutcome { seed: 0, verdict, max_abs_z: z, elapsed_s: 0.5 }
    }

    #[test]
    fn rates_by_hand() {
        let r = Rate::new(0, 200);
        assert_eq!((r.rate, r.se, r.ci95.0), (0.0, 0.0, 0.0));
        // 0 of n: the exact upper limit solves (1 - p)^n = 0.025.
        assert_relative_eq!(r.ci95.1, 1.0 - 0.025f64.powf(1.0 / 200.0), epsilon = 1e-9);
        let r = Rate::new(5, 20);
        assert_relative_eq!(r.se, (0.25f64 * 0.75 / 20.0).sqrt());
        // Clopper-Pearson for 5 of 20 (tabulated: 0.0866, 0.4910).
        assert!((r.ci95.0 - 0.0866).abs() < 1e-3 && (r.ci95.1 - 0.4910).abs() < 1e-3, "{:?}", r.ci95);
        assert_eq!(Rate::new(3, 3).ci95.1, 1.0);
    }

    #[test]
    fn one_disagreeing_seed_is_stable_two_are_not() {
        let runs = |refuted: usize| {
            let mut v: Vec<SeedOutcome> = (0..10).map(|i| seed(Verdict::Holds, Some(f64::from(i)))).collect();
            v.iter_mut().take(refuted).for_each(|s| s.verdict = Verdict::Refuted);
            summarise("c", Verdict::Holds, v)
        };
        let one = runs(1);
        assert!(one.stable && one.holds_refuted);
        assert_eq!((one.counts.holds, one.counts.refuted, one.matching.count), (9, 1, 9));
        assert_eq!(one.max_abs_z, Some(Spread { min: 0.0, median: 4.5, max: 9.0 }));
        assert_relative_eq!(one.elapsed_s, 5.0);
        assert!(!runs(2).stable);
        // A single seed must agree.
        assert!(!summarise("c", Verdict::Holds, vec![seed(Verdict::Inconclusive, None)]).stable);
        assert_eq!(summarise("c", Verdict::Holds, vec![seed(Verdict::Holds, None)]).max_abs_z, None);
    }

    #[test]
    fn seeds_are_consecutive_and_checked() {
        assert_eq!(seed_range(2025, 3).unwrap(), [2025, 2026, 2027]);
        assert!(seed_range(1, 0).is_err());
        assert!(seed_range(u64::MAX, 2).is_err());
        assert_eq!(seed_range(u64::MAX, 1).unwrap(), [u64::MAX]);
    }
}
