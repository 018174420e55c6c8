//! Synthetic calibration of the whole decision machinery (plan, samples, statistics, alpha split,
//! Holm, regime classification, claim verdict) on claims whose truth is known by construction
//! (`tests/calibration/*.toml`, observable `synthetic.noisy`), over many seeds at the quick precision:
//! the false-refutation rate of claims that hold and the power on claims that do not.

mod common;

use std::path::Path;

use tlcheck::analysis::calibration::{Calibration, ClaimCalibration, calibrate, seed_range};
use tlcheck::claim::{Claim, load_dir};
use tlcheck::engine::Silent;
use tlcheck::engine::alpha::CLAIM_ALPHA;
use tlcheck::outcome::Verdict;

/// Seed, verdict and max |z| of one run.
type PerSeed = (u64, Verdict, Option<f64>);

fn claims() -> Vec<Claim> {
    load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/calibration")).expect("calibration claims load")
}

fn run(claims: &[Claim], id: &str, seeds: usize) -> Calibration {
    let claim = claims.iter().find(|c| c.id() == id).unwrap_or_else(|| panic!("no claim {id}"));
    calibrate(&[claim], &seed_range(common::SEED, seeds).unwrap(), true, &Silent).expect("calibration runs")
}

/// Prints one claim's counts and agreement rate with its binomial se and exact 95% interval.
fn report(c: &ClaimCalibration) {
    let m = &c.matching;
    println!(
        "{:<26} recorded {:<15} holds {:>4} regime-limited {:>4} refuted {:>4} inconclusive {:>4}  as recorded \
         {}/{} = {:.4} +- {:.4} (95% CI [{:.4}, {:.4}])",
        c.id,
        c.expected.to_string(),
        c.counts.holds,
        c.counts.regime_limited,
        c.counts.refuted,
        c.counts.inconclusive,
        m.count,
        m.of,
        m.rate,
        m.se,
        m.ci95.0,
        m.ci95.1
    );
}

/// Claims that hold (Gaussian noise, and Student t with 3 degrees of freedom) at the boundary of the
/// null (budget 0, no offset): 2000 seeds each. The machinery spends CLAIM_ALPHA = 2e-4 per claim,
/// so the expected number of false refutations (any verdict but holds) is at most 0.4 per claim;
/// more than 2 has probability < 0.8% under Poisson(0.4).
#[test]
fn false_refutation_rate_of_true_claims_is_within_the_claim_alpha() {
    let claims = claims();
    for id in ["synthetic.holds", "synthetic.heavy_tails"] {
        let c = &run(&claims, id, 2000).claims[0];
        report(c);
        let false_verdicts = c.matching.of - c.matching.count;
        println!(
            "  false-verdict rate {false_verdicts}/2000 = {:.1e} +- {:.1e}, 95% CI [{:.1e}, {:.1e}] (design: at most {CLAIM_ALPHA:.0e})",
            1.0 - c.matching.rate,
            c.matching.se,
            1.0 - c.matching.ci95.1,
            1.0 - c.matching.ci95.0
        );
        assert!(false_verdicts <= 2, "{id}: {false_verdicts} false verdicts in 2000 seeds: {:?}", c.counts);
    }
}

/// Claims that do not hold, by a known offset of 8 (refuted) and 10 (regime-limited) standard errors
/// at the quick precision: the power (the recorded verdict found) must be at least 95% over 500 seeds.
#[test]
fn power_on_known_offsets_is_at_least_95_percent() {
    let claims = claims();
    for (id, verdict) in
        [("synthetic.offset_refuted", Verdict::Refuted), ("synthetic.partial_offset", Verdict::RegimeLimited)]
    {
        let c = &run(&claims, id, 500).claims[0];
        report(c);
        assert_eq!(c.expected, verdict);
        assert!(c.matching.rate >= 0.95, "{id}: power {} < 95%: {:?}", c.matching.rate, c.counts);
    }
}

/// Every (claim, seed) is its own run: the same calibration on one thread and on the global pool
/// gives the same verdicts and statistics.
#[test]
fn calibration_does_not_depend_on_the_thread_count() {
    let claims = claims();
    let all: Vec<&Claim> = claims.iter().collect();
    let seeds = seed_range(7, 12).unwrap();
    let strip = |c: &Calibration| -> Vec<(String, Vec<PerSeed>)> {
        c.claims
            .iter()
            .map(|k| (k.id.clone(), k.seeds.iter().map(|s| (s.seed, s.verdict, s.max_abs_z)).collect()))
            .collect()
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let one = pool.install(|| calibrate(&all, &seeds, true, &Silent)).unwrap();
    let many = calibrate(&all, &seeds, true, &Silent).unwrap();
    assert_eq!(strip(&one), strip(&many));
    assert_eq!(one.claims.len(), 4);
    assert!(one.passed, "{:?}", one.claims.iter().map(|c| (&c.id, c.counts)).collect::<Vec<_>>());
}
